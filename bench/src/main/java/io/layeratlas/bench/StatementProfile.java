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
import java.util.Locale;
import java.util.Map;

/**
 * Where the database's time goes in a benchmark phase, from PostgreSQL's own {@code pg_stat_statements}: opt-in with
 * the environment variable {@code LAYERATLAS_BENCH_PG_STATEMENTS=1}, which loads the module into the bench's
 * embedded PostgreSQL; each profiled phase then writes {@code <work>/pg-statements-<phase>.txt} (the statements by
 * total execution time, with calls, rows and mean time). Off, every method does nothing.
 */
final class StatementProfile {
    private static final Logger log = LoggerFactory.getLogger(StatementProfile.class);
    private static final boolean ON = System.getenv("LAYERATLAS_BENCH_PG_STATEMENTS") != null;

    private StatementProfile() {
    }

    /** Server settings the embedded PostgreSQL needs for the profile (none when it is off). */
    static Map<String, String> serverSettings() {
        return ON ? Map.of("shared_preload_libraries", "pg_stat_statements", "pg_stat_statements.track", "all",
                "pg_stat_statements.max", "1000") : Map.of();
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

    /** Ends a phase: writes this database's statements by total execution time to {@code work}. */
    static void write(String url, String user, Path work, String phase) {
        if (!ON) {
            return;
        }
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "# pg_stat_statements, phase %s, database %s%n"
                + "%12s %10s %12s %10s  %s%n", phase, url, "total ms", "calls", "rows", "mean ms", "statement"));
        try (Connection c = DriverManager.getConnection(url, user, ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("""
                     SELECT total_exec_time, calls, rows, mean_exec_time,
                            regexp_replace(left(query, 160), '\\s+', ' ', 'g') AS q,
                            sum(total_exec_time) OVER () AS all_ms
                       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                      ORDER BY total_exec_time DESC LIMIT 25""")) {
            double all = 0;
            while (rs.next()) {
                all = rs.getDouble("all_ms");
                out.append(String.format(Locale.ROOT, "%12.0f %10d %12d %10.2f  %s%n", rs.getDouble(1), rs.getLong(2),
                        rs.getLong(3), rs.getDouble(4), rs.getString("q")));
            }
            out.append(String.format(Locale.ROOT, "# all statements of this database: %.0f ms%n", all));
            Path file = work.resolve("pg-statements-" + phase + ".txt");
            Files.writeString(file, out);
            log.info("statement profile of {} in {}", phase, file.toAbsolutePath());
        } catch (SQLException e) {
            log.warn("pg_stat_statements not read: {}", e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
