package io.layeratlas.app;

import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 14: `up` killed with SIGKILL (a laptop crash, the OOM killer) did not come back: its embedded PostgreSQL
 * kept the data directory. Here `up` runs in a child JVM on the five fleet-main data-roots and is killed at random
 * moments — during start-up, during indexing, while idle — and after each restart the dashboard's answers must be
 * exactly what Docker reported ({@code truth/}). After idle kills the watchdog must stop the dead process's
 * PostgreSQL; once the watchdog is killed as well, and the next `up` must stop the server left running.
 */
class UpCrashTest {
    private static final int KILLS = 4;
    /**
     * Here the JVM needs about 3 s before it starts the broker, and start-up plus indexing of the five hosts take
     * about 20 s more: early kills are spread over that span.
     */
    private static final int EARLY_KILL_FROM_MS = 3_000;
    private static final int EARLY_KILL_WINDOW_MS = 20_000;
    /** Lines `up` prints as it gets further, in order. */
    private static final List<String> MILESTONES = List.of("starting Kafka broker", "starting PostgreSQL", "  PostgreSQL at",
            "indexer running", "agent for host", "dashboard: http");
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void up_killed_at_random_moments_comes_back_with_exactly_the_hosts_docker_reported(@TempDir Path dir) throws Exception {
        List<String> hosts = Fixtures.fleetMainHosts();
        Map<String, Map<String, Set<String>>> truth = FleetTruth.read(hosts);
        assertThat(truth).hasSizeGreaterThan(40);
        List<String> sources = new ArrayList<>();
        for (String host : hosts) {
            sources.add(host + "=" + Fixtures.dataRoot(host));
        }
        Path state = dir.resolve("state");
        int port = EmbeddedKafka.freePort();
        Random random = new Random(14);
        List<String> log = new ArrayList<>();
        for (int round = 0; round <= KILLS; round++) {
            Process up = launch(state, port, sources, round);
            boolean early = round % 2 == 0 && round < KILLS;
            try {
                if (early) {
                    // Killed somewhere in start-up or indexing; its answers are checked after the next restart.
                    int delay = EARLY_KILL_FROM_MS + random.nextInt(EARLY_KILL_WINDOW_MS);
                    Thread.sleep(delay);
                    log.add("round " + round + ": killed " + delay + " ms after start, after '" + milestone(round) + "'");
                } else {
                    await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofSeconds(1)).ignoreExceptionsInstanceOf(java.io.IOException.class)
                            .untilAsserted(() -> {
                                assertThat(up.isAlive()).as("up is running (see target/up-process-*.log)").isTrue();
                                assertThat(FleetTruth.asked(http, port, truth)).isEqualTo(truth);
                            });
                    int delay = random.nextInt(3_000);
                    Thread.sleep(delay);
                    log.add("round " + round + ": answers matched the truth; " + (round < KILLS ? "killed " + delay + " ms later, idle" : "stopped"));
                }
            } finally {
                Optional<ProcessHandle> postmaster = postmasterPid(state).flatMap(ProcessHandle::of);
                boolean watchdogKilled = round == KILLS - 1;
                if (watchdogKilled) {
                    // As if the whole process group had been killed: the server is left running for the next `up`.
                    up.toHandle().descendants().filter(h -> h.info().commandLine().orElse("").contains("layeratlas-postgres-watchdog"))
                            .forEach(ProcessHandle::destroyForcibly);
                }
                if (round < KILLS) {
                    up.destroyForcibly();
                } else {
                    up.destroy(); // the last one stops as Ctrl-C stops it
                }
                assertThat(up.waitFor(60, TimeUnit.SECONDS)).isTrue();
                if (watchdogKilled) {
                    assertThat(postmaster).as("PostgreSQL of round " + round).isPresent();
                    assertThat(postmaster.get().isAlive()).as("left running without its watchdog").isTrue();
                    log.add("round " + round + ": watchdog killed too, PostgreSQL " + postmaster.get().pid() + " left running");
                } else if (!early) {
                    // After an early kill the next `up` starts at once and races the watchdog; here the watchdog
                    // alone must stop the server of the dead process.
                    postmaster.ifPresent(pm -> await().atMost(Duration.ofSeconds(60)).until(() -> !pm.isAlive()));
                }
            }
        }
        System.out.println("UpCrashTest: " + String.join("; ", log));
        assertThat(postmasterPid(state)).as("the last `up` stopped its PostgreSQL").isEmpty();
    }

    /** The last milestone the log of {@code round}'s `up` shows. */
    private static String milestone(int round) throws java.io.IOException {
        String out = Files.readString(logFile(round).toPath(), StandardCharsets.UTF_8);
        String reached = "(none)";
        for (String m : MILESTONES) {
            if (out.contains(m)) {
                reached = m.trim();
            }
        }
        return reached;
    }

    private static File logFile(int round) {
        return Path.of("target", "up-process-" + round + ".log").toFile();
    }

    private static Optional<Long> postmasterPid(Path state) {
        try {
            List<String> lines = Files.readAllLines(state.resolve("postgres/postmaster.pid"), StandardCharsets.UTF_8);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (java.io.IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Process launch(Path state, int port, List<String> sources, int round) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(java, "-Xmx768m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", classpath, Main.class.getName(), "up", "--state-dir", state.toString(), "--port", Integer.toString(port),
                "--kafka-port", "0"));
        command.addAll(sources);
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(logFile(round))).start();
    }
}
