package io.layeratlas.ingest.agent;

import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.events.Digest;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.LayerPackages;
import io.layeratlas.events.PackageDatabase;
import io.layeratlas.events.Topics;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.ingest.SourceScan;
import io.layeratlas.ingest.containerd.TrixieDocker;
import io.layeratlas.ingest.engine.DockerDaemon;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The agent following a real {@code dockerd} ({@link DockerDaemon}: one daemon for the class), with the storage
 * readers' {@link Scanner} as its source, as {@code layeratlas agent} runs it. Each change made with the docker CLI
 * must be in Kafka, read back with a plain consumer, as a new generation within two seconds of the command
 * returning (the agent issue's budget): once with the agent reading the daemon's data-root on disk (the file
 * watcher notices the change), once with it reading the Engine API (the {@code /events} stream notices it).
 * The latencies are printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentDockerDaemonTest {
    private static final Duration BUDGET = Duration.ofSeconds(2);

    private DockerDaemon daemon;
    private EmbeddedKafka kafka;
    private Path work;

    @BeforeAll
    void start_a_daemon_and_a_broker(@TempDir Path kafkaDir) throws IOException {
        daemon = DockerDaemon.startOrSkip(Path.of("target").toAbsolutePath());
        work = Files.createDirectories(daemon.dataRoot().resolveSibling("work"));
        kafka = EmbeddedKafka.startTemporary(kafkaDir);
    }

    @AfterAll
    void stop_them() {
        if (kafka != null) {
            kafka.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void with_the_data_root_watched_on_disk_each_docker_change_is_a_new_generation_in_kafka_within_two_seconds(
            @TempDir Path state) {
        changesReachKafkaWithinTheBudget("data-root", daemon.dataRoot().toString(), state);
    }

    @Test
    void with_the_engine_api_events_followed_each_docker_change_is_a_new_generation_in_kafka_within_two_seconds(
            @TempDir Path state) {
        changesReachKafkaWithinTheBudget("engine-api", daemon.host(), state);
    }

    /**
     * import, tag, container create and rm, rmi of one tag (untag), rmi of the last tag (delete), each waited for
     * in Kafka before the next.
     */
    private void changesReachKafkaWithinTheBudget(String mode, String source, Path state) {
        String hostId = "live-" + mode;
        String repo = "atlas/live-" + mode;
        Path rootfs = DockerDaemon.busyboxRootfs(work.resolve(mode + ".tar"), "ID=" + mode);
        AgentConfig config = AgentConfig.defaults(source, kafka.bootstrapServers()).withHostId(hostId)
                .withStateDir(state).withTopicPrefix(prefix());
        Map<String, Long> latencies = new LinkedHashMap<>();
        try (Agent agent = new Agent(config, scanner(config, new ConcurrentHashMap<>()));
             TopicReader snapshots = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.HOST_LAYERS))) {
            agent.start();
            TopicReader.Reassembled last = awaitComplete(snapshots, hostId, -1, g -> true, Duration.ofSeconds(30));

            Digest image = Digest.parse(daemon.docker("import", "-c", "CMD [\"/bin/sh\"]", rootfs.toString(), repo + ":1").strip());
            last = measure(latencies, "docker import", snapshots, hostId, last,
                    g -> find(g, image).filter(i -> i.repoTags().equals(List.of(repo + ":1"))).isPresent());

            daemon.docker("tag", repo + ":1", repo + ":2");
            last = measure(latencies, "docker tag", snapshots, hostId, last,
                    g -> find(g, image).filter(i -> i.repoTags().equals(List.of(repo + ":1", repo + ":2"))).isPresent());

            String container = "c-" + mode;
            daemon.docker("create", "--name", container, repo + ":1");
            last = measure(latencies, "docker create", snapshots, hostId, last,
                    g -> find(g, image).filter(i -> i.containers() == 1).isPresent());

            daemon.docker("rm", container);
            last = measure(latencies, "docker rm", snapshots, hostId, last,
                    g -> find(g, image).filter(i -> i.containers() == 0).isPresent());

            daemon.docker("rmi", repo + ":2");
            last = measure(latencies, "docker rmi (untag)", snapshots, hostId, last,
                    g -> find(g, image).filter(i -> i.repoTags().equals(List.of(repo + ":1"))).isPresent());

            daemon.docker("rmi", repo + ":1");
            last = measure(latencies, "docker rmi (delete)", snapshots, hostId, last, g -> find(g, image).isEmpty());

            assertThat(ids(last)).isEqualTo(imageLsAll());
            assertThat(latencies).allSatisfy((what, ms) ->
                    assertThat(ms).as("%s: ms from the command's return to the generation read from Kafka", what)
                            .isLessThanOrEqualTo(BUDGET.toMillis()));
        } finally {
            System.out.printf("LATENCY %s (command returned -> new generation read from Kafka): %s%n", mode,
                    latencies.entrySet().stream().map(e -> e.getKey() + " " + e.getValue() + " ms")
                            .collect(Collectors.joining(", ")));
        }
    }

    @Test
    void after_a_broker_outage_the_daemons_latest_state_and_every_config_seen_are_delivered(
            @TempDir Path brokerDir, @TempDir Path state) {
        String hostId = "live-outage";
        String repo = "atlas/live-outage";
        EmbeddedKafka broker = EmbeddedKafka.start(brokerDir, 0, Map.of());
        int port = Integer.parseInt(broker.bootstrapServers().split(":")[1]);
        Digest kept = Digest.parse(daemon.docker("import", DockerDaemon.busyboxRootfs(work.resolve("outage-kept.tar"),
                "ID=outage-kept").toString(), repo + ":kept").strip());
        AgentConfig config = AgentConfig.defaults(daemon.dataRoot().toString(), broker.bootstrapServers())
                .withHostId(hostId).withStateDir(state).withTopicPrefix(prefix())
                // Fail sends within seconds, so the agent holds state instead of the producer retrying for minutes.
                .withKafkaProperties(Map.of("delivery.timeout.ms", "6000", "request.timeout.ms", "2000",
                        "max.block.ms", "2000", "reconnect.backoff.max.ms", "500", "retry.backoff.max.ms", "500"));
        Map<Digest, String> seen = new ConcurrentHashMap<>();
        Map<String, Set<String>> lastScanTags = new ConcurrentHashMap<>();
        InventorySource scanner = scanner(config, seen);
        InventorySource recording = id -> {
            InventorySource.Scan s = scanner.scan(id);
            lastScanTags.clear();
            s.inventory().images().forEach(i -> lastScanTags.put(i.id().toString(), new TreeSet<>(i.repoTags())));
            return s;
        };
        try (Agent agent = new Agent(config, recording)) {
            agent.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.publishedGeneration() > 0);
            long before = agent.publishedGeneration();

            broker.close();
            daemon.docker("tag", repo + ":kept", repo + ":during");
            Digest added = Digest.parse(daemon.docker("import", DockerDaemon.busyboxRootfs(work.resolve("outage-added.tar"),
                    "ID=outage-added").toString(), repo + ":added").strip());
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.metricsText().contains("layeratlas_agent_kafka_reachable 0.0"));
            daemon.docker("rmi", repo + ":during");
            daemon.docker("tag", repo + ":added", repo + ":latest");
            // The agent must have seen the last change before the broker returns, or this tests nothing.
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    lastScanTags.getOrDefault(added.toString(), Set.of()).contains(repo + ":latest")
                            && lastScanTags.getOrDefault(kept.toString(), Set.of()).equals(Set.of(repo + ":kept")));
            assertThat(agent.publishedGeneration()).isEqualTo(before);

            broker = EmbeddedKafka.start(brokerDir, port, Map.of());
            try (TopicReader snapshots = new TopicReader(broker.bootstrapServers(), config.topic(Topics.HOST_LAYERS));
                 TopicReader configs = new TopicReader(broker.bootstrapServers(), config.topic(Topics.IMAGE_CONFIGS))) {
                Set<Digest> expectedIds = imageLsAll();
                TopicReader.Reassembled latest = awaitComplete(snapshots, hostId, before,
                        g -> ids(g).equals(expectedIds), Duration.ofSeconds(60));
                assertThat(find(latest, kept).orElseThrow().repoTags()).containsExactly(repo + ":kept");
                assertThat(find(latest, added).orElseThrow().repoTags()).containsExactly(repo + ":added", repo + ":latest");
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(configs.configs().stream()
                        .collect(Collectors.toMap(ImageConfigEvent::imageId, ImageConfigEvent::config, (a, b) -> a)))
                        .containsAllEntriesOf(seen));
                assertThat(seen).containsKeys(kept, added);
                await().atMost(Duration.ofSeconds(10)).until(() -> agent.metricsText().contains("layeratlas_agent_kafka_reachable 1.0"));
            }
        } finally {
            broker.close();
        }
    }

    // -------------------------------------------------------------------------------------------------------

    /** The production wiring (app's {@code Agents}): the storage readers' facade, recording each config seen. */
    /**
     * A rootfs with the dpkg status of a Debian root made by mmdebstrap, {@code docker import}ed: the agent reading
     * the daemon's data-root sends one layer-packages event keyed by the layer's diff ID as Docker reports it, with
     * the packages {@code dpkg-query} lists.
     */
    @Test
    void an_imported_layer_with_a_dpkg_status_is_sent_once_with_the_packages_dpkg_query_lists(@TempDir Path state)
            throws Exception {
        Assumptions.assumeTrue(daemon.driver().equals("overlay2"),
                "layer contents are read from overlay2 diff folders; this daemon runs " + daemon.driver());
        Path admin = TrixieDocker.rootfsOrSkip().resolve("var/lib/dpkg");
        Path tar = work.resolve("dpkg-rootfs.tar");
        try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(Files.newOutputStream(tar))) {
            byte[] status = Files.readAllBytes(admin.resolve("status"));
            for (String dir : List.of("var/", "var/lib/", "var/lib/dpkg/")) {
                out.putArchiveEntry(new org.apache.commons.compress.archivers.tar.TarArchiveEntry(dir));
                out.closeArchiveEntry();
            }
            var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("var/lib/dpkg/status");
            entry.setSize(status.length);
            out.putArchiveEntry(entry);
            out.write(status);
            out.closeArchiveEntry();
        }
        Digest image = Digest.parse(daemon.docker("import", tar.toString(), "atlas/dpkg:1").strip());
        Digest diffId = Digest.parse(daemon.docker("image", "inspect", "--format", "{{index .RootFS.Layers 0}}",
                image.toString()).strip());
        Process q = new ProcessBuilder("dpkg-query", "--admindir=" + admin, "-W", "-f",
                "${Package} ${Version} ${Architecture}\\n").start();
        List<String> truth = new String(q.getInputStream().readAllBytes()).lines().sorted().toList();
        assertThat(q.waitFor()).isZero();

        AgentConfig config = AgentConfig.defaults(daemon.dataRoot().toString(), kafka.bootstrapServers())
                .withHostId("live-packages").withStateDir(state).withTopicPrefix(prefix());
        try (Agent agent = new Agent(config, InventorySource.of(new Scanner(), config));
             TopicReader packages = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.LAYER_PACKAGES))) {
            agent.start();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(packages.poll()).anySatisfy(r -> assertThat(r.key()).isEqualTo(diffId.toString())));
            List<LayerPackages> mine = packages.poll().stream().filter(r -> r.key().equals(diffId.toString()))
                    .map(r -> (LayerPackages) EventCodec.decode(r.value())).toList();
            assertThat(mine).singleElement().satisfies(e -> {
                assertThat(e.diffId()).isEqualTo(diffId);
                assertThat(e.problems()).isEmpty();
                assertThat(e.databases()).singleElement().satisfies(db -> {
                    assertThat(db.path()).isEqualTo("var/lib/dpkg/status");
                    assertThat(db.state()).isEqualTo(PackageDatabase.PRESENT);
                    assertThat(db.packages().stream().map(p -> p.name() + " " + p.version() + " " + p.architecture())
                            .sorted().toList()).isEqualTo(truth);
                });
            });
        } finally {
            daemon.docker("rmi", "atlas/dpkg:1");
        }
    }

    private static InventorySource scanner(AgentConfig config, Map<Digest, String> seen) {
        Scanner scanner = new Scanner();
        return hostId -> {
            SourceScan s = scanner.read(config.source(), config.kind(), hostId);
            InventorySource.Scan scan = InventorySource.Scan.ofBytes(s.inventory(), s.configs());
            seen.putAll(scan.configs());
            return scan;
        };
    }

    /** Waits for the first complete generation after {@code last} that passes {@code ok}; records the latency. */
    private static TopicReader.Reassembled measure(Map<String, Long> latencies, String what, TopicReader snapshots,
                                                   String hostId, TopicReader.Reassembled last,
                                                   Predicate<TopicReader.Reassembled> ok) {
        long start = System.nanoTime();
        TopicReader.Reassembled next = awaitComplete(snapshots, hostId, last.generation(), ok, Duration.ofSeconds(15));
        latencies.put(what, Duration.ofNanos(System.nanoTime() - start).toMillis());
        return next;
    }

    private static TopicReader.Reassembled awaitComplete(TopicReader snapshots, String hostId, long after,
                                                         Predicate<TopicReader.Reassembled> ok, Duration atMost) {
        TopicReader.Reassembled[] got = new TopicReader.Reassembled[1];
        await().atMost(atMost).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).until(() -> {
            Optional<TopicReader.Reassembled> g = TopicReader.latestComplete(snapshots.snapshots(), hostId);
            if (g.isPresent() && g.get().generation() > after && ok.test(g.get())) {
                got[0] = g.get();
                return true;
            }
            return false;
        });
        return got[0];
    }

    private Set<Digest> imageLsAll() {
        return Arrays.stream(daemon.docker("image", "ls", "-aq", "--no-trunc").split("\\s+"))
                .filter(s -> !s.isBlank()).map(Digest::parse).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<Digest> ids(TopicReader.Reassembled g) {
        return g.images().stream().map(ImageRecord::id).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Optional<ImageRecord> find(TopicReader.Reassembled g, Digest id) {
        return g.images().stream().filter(i -> i.id().equals(id)).findFirst();
    }

    private static String prefix() {
        return "live" + UUID.randomUUID().toString().substring(0, 8) + ".";
    }
}
