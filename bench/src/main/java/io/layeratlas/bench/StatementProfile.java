package io.layeratlas.bench;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the database's time goes in a benchmark phase, from PostgreSQL's own {@code pg_stat_statements}: opt-in with
 * the environment variable {@code LAYERATLAS_BENCH_PG_STATEMENTS=1}, which loads the module into the bench's
 * embedded PostgreSQL; each profiled phase then writes {@code <work>/pg-statements-<phase>.txt} (the statements by
 * total execution time, with calls, rows, mean time, the WAL each wrote (MB and full-page images), the blocks it
 * read from outside shared buffers and the shared-buffer hits per call). Off, the profile's methods do nothing.
 */
final class StatementProfile {
    private static final Logger log = LoggerFactory.getLogger(StatementProfile.class);
    private static final boolean ON = System.getenv("LAYERATLAS_BENCH_PG_STATEMENTS") != null;

    private StatementProfile() {
    }

    /**
     * Plans of statements slower than this many milliseconds, with their actual rows and buffers, are logged by
     * PostgreSQL's {@code auto_explain} to {@code <work>/pg-log/}: the environment variable
     * {@code LAYERATLAS_BENCH_PG_EXPLAIN_MS}, opt-in like the statement profile.
     */
    private static final String EXPLAIN_MS = System.getenv("LAYERATLAS_BENCH_PG_EXPLAIN_MS");

    /**
     * The bench's PostgreSQL is tuned as README's "Deploying for real" advises for a fleet's index, not left at
     * PostgreSQL's defaults (128 MB of shared buffers, checkpoints every 1 GB of WAL or 5 minutes): at 10,000 hosts the
     * defaults evicted the {@code host_layers} index between batches (3.5 million blocks read in the fresh load) and
     * made each page a checkpoint had written a full-page image again (294,333); with them, none of either (the fresh
     * load's time stayed the same: CPU). Both the COPY baselines and the indexer run on this server, so both get them.
     */
    static final Map<String, String> TUNING = Map.of(
            "shared_buffers", "4GB", "max_wal_size", "16GB", "checkpoint_timeout", "30min");

    /**
     * Server settings over {@link #TUNING}, as {@code name=value} pairs separated by commas (for example
     * {@code shared_buffers=128MB,max_wal_size=1GB,checkpoint_timeout=5min}, PostgreSQL's defaults): the environment
     * variable {@code LAYERATLAS_BENCH_PG_SETTINGS}, to measure another tuning.
     */
    private static final String EXTRA = System.getenv("LAYERATLAS_BENCH_PG_SETTINGS");

    /** The tuning the run's server has ({@link #TUNING} with {@code LAYERATLAS_BENCH_PG_SETTINGS} over it): the report names it. */
    static String tuning() {
        Map<String, String> t = new java.util.TreeMap<>(TUNING);
        t.putAll(extra());
        return t.toString();
    }

    private static Map<String, String> extra() {
        Map<String, String> settings = new java.util.HashMap<>();
        if (EXTRA != null && !EXTRA.isBlank()) {
            for (String pair : EXTRA.split(",")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("LAYERATLAS_BENCH_PG_SETTINGS: \"" + pair
                            + "\" is not name=value (pairs are separated by commas)");
                }
                settings.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
        return settings;
    }

    /**
     * Server settings of the bench's embedded PostgreSQL: {@link #TUNING}, {@code LAYERATLAS_BENCH_PG_SETTINGS} over
     * it, and what the profile and the plans need when they are on.
     *
     * @throws IllegalArgumentException when {@code LAYERATLAS_BENCH_PG_SETTINGS} has a pair without {@code =}
     */
    static Map<String, String> serverSettings(Path work) {
        Map<String, String> settings = new java.util.HashMap<>(TUNING);
        settings.putAll(extra());
        log.info("bench PostgreSQL tuning: {}", tuning());
        List<String> libraries = new java.util.ArrayList<>();
        if (ON) {
            libraries.add("pg_stat_statements");
            settings.putAll(Map.of("pg_stat_statements.track", "all", "pg_stat_statements.max", "1000",
                    "pg_stat_statements.track_planning", "on"));
        }
        if (EXPLAIN_MS != null) {
            libraries.add("auto_explain");
            settings.putAll(Map.of("auto_explain.log_min_duration", EXPLAIN_MS, "auto_explain.log_analyze", "on",
                    "auto_explain.log_buffers", "on", "auto_explain.log_nested_statements", "on",
                    "logging_collector", "on", "log_directory", work.resolve("pg-log").toAbsolutePath().toString()));
        }
        if (!libraries.isEmpty()) {
            settings.put("shared_preload_libraries", String.join(",", libraries));
        }
        return settings;
    }

    /** Starts a phase: the counters of every database are zeroed. */
    static void reset(String url, String user) {
        if (!ON) {
            return;
        }
        try (Connection c = DriverManager.getConnection(url, user, ""); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            s.execute("SELECT pg_stat_statements_reset()");
        } catch (SQLException e) {
            log.warn("pg_stat_statements not reset: {}", e.getMessage());
        }
    }

    /**
     * Ends a phase: writes this database's 40 costliest statements (execution and planning) to
     * {@code work/pg-statements-<phase>.txt}, a line each with the statement's first 300 characters, and their whole
     * texts, numbered as the lines, to {@code work/pg-statements-<phase>-texts.txt} (variants of one statement differ
     * past the first 300 characters).
     */
    static void write(String url, String user, Path work, String phase) {
        if (!ON) {
            return;
        }
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "# pg_stat_statements, phase %s, database %s%n"
                + "%3s %12s %10s %10s %12s %10s %10s %10s %10s %10s  %s%n", phase, url, "#", "total ms", "plan ms", "calls",
                "rows", "mean ms", "WAL MB", "WAL FPI", "blks read", "hits/call", "statement"));
        StringBuilder texts = new StringBuilder(String.format(Locale.ROOT,
                "# pg_stat_statements, phase %s, database %s: the whole text of each statement of pg-statements-%s.txt%n",
                phase, url, phase));
        try (Connection c = DriverManager.getConnection(url, user, ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("""
                     SELECT total_exec_time, calls, rows, mean_exec_time, total_plan_time, wal_bytes, wal_fpi,
                            shared_blks_read + local_blks_read AS blks_read, shared_blks_hit::float8 / greatest(calls, 1) AS hits,
                            regexp_replace(left(query, 300), '\\s+', ' ', 'g') AS q, query,
                            sum(total_exec_time) OVER () AS all_ms
                       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                      ORDER BY total_exec_time + total_plan_time DESC LIMIT 40""")) {
            double all = 0;
            int n = 0;
            while (rs.next()) {
                all = rs.getDouble("all_ms");
                n++;
                texts.append(String.format(Locale.ROOT, "%n-- #%d%n%s%n", n, rs.getString("query")));
                out.append(String.format(Locale.ROOT, "%3d %12.0f %10.0f %10d %12d %10.2f %10.1f %10d %10d %10.0f  %s%n", n, rs.getDouble(1),
                        rs.getDouble("total_plan_time"), rs.getLong(2), rs.getLong(3), rs.getDouble(4),
                        rs.getDouble("wal_bytes") / (1 << 20), rs.getLong("wal_fpi"), rs.getLong("blks_read"),
                        rs.getDouble("hits"), rs.getString("q")));
            }
            out.append(String.format(Locale.ROOT, "# all statements of this database: %.0f ms executing%n", all));
            Path file = work.resolve("pg-statements-" + phase + ".txt");
            Files.writeString(file, out);
            Files.writeString(work.resolve("pg-statements-" + phase + "-texts.txt"), texts);
            log.info("statement profile of {} in {}", phase, file.toAbsolutePath());
        } catch (SQLException e) {
            log.warn("pg_stat_statements not read: {}", e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
