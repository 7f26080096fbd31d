package io.layeratlas.embedded;

import java.nio.file.Path;
import java.sql.DriverManager;

/**
 * An embedded PostgreSQL owned by its own JVM, for tests that kill that JVM: args = data directory. Writes one row,
 * then prints {@code watchdog <pid>}, {@code postmaster <pid>} and {@code ready} and waits to be killed.
 */
public final class PostgresProcess {
    private PostgresProcess() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir, 0);
        try (var c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), ""); var s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS kept (v text)");
            s.execute("INSERT INTO kept VALUES ('written before the kill')");
        }
        System.out.println("watchdog " + pg.watchdogPid());
        System.out.println("postmaster " + Postmasters.pidOf(dir.toAbsolutePath().normalize()).orElseThrow());
        System.out.println("ready");
        System.out.flush();
        Thread.currentThread().join();
    }
}
