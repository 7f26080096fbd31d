package io.layeratlas.embedded;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 14: after SIGKILL of `up`, its embedded PostgreSQL kept running, held the data directory, and the next `up`
 * gave up ("Gave up waiting for server to start after 10000ms"). The owner here is a child JVM killed with SIGKILL.
 */
class EmbeddedPostgresCrashTest {

    @Test
    void the_watchdog_stops_postgresql_when_its_jvm_is_killed(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("postgres");
        Map<String, Long> pids = startAndKill(data, false);
        ProcessHandle postmaster = ProcessHandle.of(pids.get("postmaster")).orElseThrow();
        await().atMost(Duration.ofSeconds(60)).until(() -> !postmaster.isAlive());
        assertThat(Postmasters.pidOf(data)).as("a clean shutdown removed postmaster.pid").isEmpty();
        assertRowKept(data);
    }

    @Test
    void a_postgresql_left_running_by_a_killed_jvm_is_stopped_by_the_next_start(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("postgres");
        // The watchdog is killed too: the leftover server is what an `up` without one (or a killed watchdog) leaves.
        Map<String, Long> pids = startAndKill(data, true);
        ProcessHandle postmaster = ProcessHandle.of(pids.get("postmaster")).orElseThrow();
        assertThat(postmaster.isAlive()).as("left running").isTrue();
        assertThat(Postmasters.pidOf(data)).contains(postmaster.pid());
        assertRowKept(data);
        assertThat(postmaster.isAlive()).isFalse();
    }

    @Test
    void a_stale_pid_file_naming_no_postgresql_is_replaced(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("postgres");
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(data, 0)) {
            assertThat(pg.port()).isPositive();
        }
        // The PID of this JVM: alive, but not a PostgreSQL; PostgreSQL itself would refuse to start over it.
        java.nio.file.Files.writeString(data.resolve(Postmasters.PID_FILE), ProcessHandle.current().pid() + "\n" + data + "\n");
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(data, 0);
             var c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), ""); var rs = c.createStatement().executeQuery("select 1")) {
            assertThat(rs.next()).isTrue();
        }
    }

    private static void assertRowKept(Path data) throws Exception {
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(data, 0);
             var c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), "");
             var rs = c.createStatement().executeQuery("select v from kept")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("written before the kill");
        }
    }

    /** Runs {@link PostgresProcess} on {@code data} until it is ready, then SIGKILLs it (and its watchdog first if asked). */
    private static Map<String, Long> startAndKill(Path data, boolean killWatchdogToo) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classpath,
                PostgresProcess.class.getName(), data.toString())
                .redirectError(ProcessBuilder.Redirect.appendTo(Path.of("target", "postgres-process.log").toFile()))
                .start();
        Map<String, Long> pids = new HashMap<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null && !line.equals("ready"); line = out.readLine()) {
                String[] parts = line.split(" ");
                if (parts.length == 2 && parts[1].matches("\\d+")) {
                    pids.put(parts[0], Long.parseLong(parts[1]));
                }
            }
            assertThat(pids).containsKeys("watchdog", "postmaster");
            if (killWatchdogToo) {
                ProcessHandle.of(pids.get("watchdog")).ifPresent(ProcessHandle::destroyForcibly);
            }
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        return pids;
    }
}
