package io.layeratlas.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.util.Objects;

/**
 * The index's PostgreSQL database: a HikariCP pool, migrated with Flyway ({@code db/migration/V*.sql}) on open.
 * Thread-safe. Close it to close the pool.
 */
public final class Database implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Database.class);

    private final HikariDataSource dataSource;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Opens a pool and migrates the schema to the latest version.
     *
     * @param jdbcUrl  {@code jdbc:postgresql://host:port/db}
     * @param user     database user
     * @param password password, or empty
     * @param poolSize maximum connections in the pool
     * @throws org.flywaydb.core.api.FlywayException if migration fails
     */
    public static Database migrateAndOpen(String jdbcUrl, String user, String password, int poolSize) {
        Database db = open(jdbcUrl, user, password, poolSize, false);
        db.migrate();
        return db;
    }

    /**
     * Opens a pool without touching the schema (the dashboard's read-only role).
     *
     * @param readOnly when true, every connection is read-only and REPEATABLE READ, set once per connection, so an
     *                 answer's queries share one snapshot without two extra round trips per answer
     */
    public static Database open(String jdbcUrl, String user, String password, int poolSize, boolean readOnly) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password == null ? "" : password);
        config.setMaximumPoolSize(poolSize);
        config.setReadOnly(readOnly);
        if (readOnly) {
            config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
        }
        config.setPoolName("layeratlas");
        // Fail fast at start-up if the database is unreachable, instead of on the first query.
        config.setInitializationFailTimeout(30_000);
        return new Database(new HikariDataSource(config));
    }

    /** Applies pending Flyway migrations. */
    public void migrate() {
        Flyway flyway = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .load();
        var result = flyway.migrate();
        var current = flyway.info().current();
        log.info("database schema at version {} ({} migrations applied now)",
                current == null ? "none" : current.getVersion(), result.migrationsExecuted);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
