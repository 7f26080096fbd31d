package io.layeratlas.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
     * Opens a writer's pool ({@link Timeouts#WRITER_DEFAULTS}) and migrates the schema to the latest version.
     *
     * @param jdbcUrl  {@code jdbc:postgresql://host:port/db}
     * @param user     database user
     * @param password password, or empty
     * @param poolSize maximum connections in the pool
     * @throws org.flywaydb.core.api.FlywayException if migration fails
     */
    public static Database migrateAndOpen(String jdbcUrl, String user, String password, int poolSize) {
        return migrateAndOpen(jdbcUrl, user, password, poolSize, Timeouts.WRITER_DEFAULTS);
    }

    /**
     * Opens a pool with these time limits and migrates the schema to the latest version.
     *
     * @throws org.flywaydb.core.api.FlywayException if migration fails
     */
    public static Database migrateAndOpen(String jdbcUrl, String user, String password, int poolSize, Timeouts timeouts) {
        Database db = open(jdbcUrl, user, password, poolSize, false, timeouts);
        db.migrate();
        return db;
    }

    /**
     * Opens a pool without touching the schema (the dashboard's read-only role), with {@link Timeouts#READER_DEFAULTS}.
     *
     * @param readOnly when true, every connection is read-only and REPEATABLE READ, set once per connection, so an
     *                 answer's queries share one snapshot without two extra round trips per answer
     */
    public static Database open(String jdbcUrl, String user, String password, int poolSize, boolean readOnly) {
        return open(jdbcUrl, user, password, poolSize, readOnly, Timeouts.READER_DEFAULTS);
    }

    /**
     * Opens a pool without touching the schema, with these time limits: a database that is gone or frozen makes a
     * caller fail within about {@code connect + socket}, with a {@link java.sql.SQLException} (SQLState 08xxx for
     * connection failures, 57014 when the server cancelled a statement), instead of waiting for ever. The pool
     * replaces broken connections by itself, so callers recover when the database is back.
     *
     * @param readOnly when true, every connection is read-only, REPEATABLE READ, and plans every statement for its
     *                 parameters ({@link #READER_SESSION})
     */
    public static Database open(String jdbcUrl, String user, String password, int poolSize, boolean readOnly, Timeouts timeouts) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(timeouts, "timeouts");
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
        timeouts.applyTo(config, readOnly ? READER_SESSION : WRITER_SESSION);
        return new Database(new HikariDataSource(config));
    }
    /**
     * {@code random_page_cost = 1.1}, on every connection (PostgreSQL's default 4 prices a random read as a spinning
     * disk's): the index is read from memory. With the default, the indexer's merges read all of {@code host_images}
     * (11,884 rows, 11 ms) to update 412 rows of two hosts, where index probes take about 1 ms (auto_explain, bench
     * --scale small; 17 ms a batch at 1,000 hosts); and the dashboard's host page joined every row of {@code images}
     * and {@code layers} to the host's 60 images and 370 layers where index probes cost a third less CPU (backend CPU
     * per statement, /proc/PID/stat, small scale: host images 2.3 to 1.6 ms, host layers 1.7 to 1.0 ms). 1.1 is the
     * usual value for SSDs and for an index that stays in memory.
     */
    private static final String MEMORY_RESIDENT = "SET random_page_cost = 1.1";

    /**
     * Session settings of a reader's connections, set once per connection: {@link #MEMORY_RESIDENT}, and {@code
     * plan_cache_mode = force_custom_plan}: PgJDBC prepares a statement on the server once a connection has run it 5
     * times ({@code prepareThreshold}), and PostgreSQL then switches to a generic plan after 5 more if that plan's
     * estimate looks no worse (PostgreSQL docs, PREPARE, "Notes"). A generic plan cannot see the values of {@code
     * layer_key = ANY (?)}: the dashboard's answers ask for a layer held by one host and a base layer held by every host
     * with the same statement, and the generic plan of the layer-hosts answer took 550–650 ms where its custom plan took
     * 25–65 ms on the same loaded box (bench --only queries, 2026-12-02). Planning each execution costs about a
     * millisecond; an answer whose plans do not depend on its parameters asks for generic plans in its own transaction
     * ({@code io.layeratlas.db.query.Sql#STABLE_PLANS}).
     */
    static final List<String> READER_SESSION = List.of(MEMORY_RESIDENT, "SET plan_cache_mode = force_custom_plan");

    /** Session settings of a writer's connections: {@link #MEMORY_RESIDENT}. */
    static final List<String> WRITER_SESSION = List.of(MEMORY_RESIDENT);

    /** Applies pending Flyway migrations. */
    public void migrate() {
        // Flyway holds one connection for its lock and works on a second: over its own connections, not the pool's,
        // so a pool of one (`layeratlas hosts retire`) can migrate, and no pool time limit cuts a long migration.
        Flyway flyway = Flyway.configure()
                .dataSource(dataSource.getJdbcUrl(), dataSource.getUsername(), dataSource.getPassword())
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

    /**
     * Time limits of a pool (PgJDBC's connection properties, HikariCP's pool settings, PostgreSQL's
     * {@code statement_timeout}). PgJDBC counts in whole seconds: durations are rounded up to seconds.
     *
     * @param connect   longest TCP connect and login (PgJDBC {@code connectTimeout}, {@code loginTimeout}) and longest
     *                  wait for a pooled connection (HikariCP {@code connectionTimeout}); at least 1 s
     * @param socket    longest wait for any answer from the server (PgJDBC {@code socketTimeout}): ends waits on a
     *                  server that died or froze without closing its sockets; zero = no limit
     * @param statement the server cancels a statement that runs longer (PostgreSQL {@code statement_timeout}, SQLState
     *                  57014), so a slow query frees its connection; zero = no limit
     */
    public record Timeouts(Duration connect, Duration socket, Duration statement) {
        /**
         * For the dashboard: 5 s to connect (a healthy server answers in milliseconds; 5 s still leaves a request
         * time to answer before a browser or load balancer gives up); 10 s per statement (the slowest page, reuse,
         * measured 1.4 s p99 at 300 hosts under load: about 7× headroom); 15 s socket, longer than the statement
         * limit so a merely slow query is cancelled by the server and its connection stays usable. A request on a
         * dead or frozen database thus fails within about 20 s.
         */
        public static final Timeouts READER_DEFAULTS = new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(15), Duration.ofSeconds(10));

        /**
         * For the indexer and other writers: 5 s to connect; 5 min per statement and 6 min socket. A writer's
         * statements are set-based over a whole batch (tens of thousands of rows into tables of millions at fleet
         * scale), so the reader's 10 s would cancel healthy work, and a cancelled batch retried is cancelled again;
         * the limits only end a server that froze or a statement that went badly wrong.
         */
        public static final Timeouts WRITER_DEFAULTS = new Timeouts(Duration.ofSeconds(5), Duration.ofMinutes(6), Duration.ofMinutes(5));

        /** No statement or socket limit: bulk loads that may run for minutes (the benchmark's COPY baseline). */
        public static final Timeouts BULK = new Timeouts(Duration.ofSeconds(5), Duration.ZERO, Duration.ZERO);

        public Timeouts {
            Objects.requireNonNull(connect, "connect");
            Objects.requireNonNull(socket, "socket");
            Objects.requireNonNull(statement, "statement");
            if (connect.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("connect timeout must be at least 1s: " + connect);
            }
            if (socket.isNegative() || statement.isNegative()) {
                throw new IllegalArgumentException("timeouts must not be negative: socket " + socket + ", statement " + statement);
            }
        }

        private void applyTo(HikariConfig config, List<String> sessionSettings) {
            config.addDataSourceProperty("connectTimeout", String.valueOf(seconds(connect)));
            config.addDataSourceProperty("loginTimeout", String.valueOf(seconds(connect)));
            config.addDataSourceProperty("socketTimeout", String.valueOf(seconds(socket)));
            config.setConnectionTimeout(connect.toMillis());
            // Checking a pooled connection before handing it out must fit in the wait for a connection.
            config.setValidationTimeout(Math.min(config.getValidationTimeout(), Math.max(250, connect.toMillis() / 2)));
            List<String> init = new ArrayList<>(sessionSettings);
            if (!statement.isZero()) {
                // SET takes no bind parameters; the number comes from a Duration, never from input.
                init.add(0, "SET statement_timeout = " + statement.toMillis());
            }
            if (!init.isEmpty()) {
                // Once per new connection, one round trip (PgJDBC runs the simple-query string as it is).
                config.setConnectionInitSql(String.join("; ", init));
            }
        }

        private static int seconds(Duration d) {
            return (int) Math.min(Integer.MAX_VALUE, (d.toMillis() + 999) / 1000);
        }
    }
}
