package io.layeratlas.bench.simulate;

import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.events.Digest;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.Heartbeat;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerPackages;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Topics;
import io.layeratlas.ingest.agent.AgentConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Publishes a small fleet with churn to a real broker and reads it back with a plain consumer. */
class FleetSimulatorTest {
    private static final int PARTITIONS = 2;
    @TempDir
    static Path dir;
    private static EmbeddedKafka kafka;
    private static FleetSimulator simulator;
    private static PublishReport report;
    private static Instant publishedFrom;
    private static Instant publishedUntil;
    private static final List<ConsumerRecord<String, byte[]>> snapshots = new ArrayList<>();
    private static final List<ConsumerRecord<String, byte[]>> configs = new ArrayList<>();
    private static final List<ConsumerRecord<String, byte[]>> heartbeats = new ArrayList<>();
    private static final List<ConsumerRecord<String, byte[]>> packages = new ArrayList<>();
    /** The same fleet published with configsFromEveryHost: each host sends what it newly holds, as agents do. */
    private static FleetSimulator everyHost;
    private static PublishReport everyHostReport;
    private static final List<ConsumerRecord<String, byte[]>> everyHostPackages = new ArrayList<>();

    @BeforeAll
    static void publishAndReadBack() {
        kafka = EmbeddedKafka.startTemporary(dir.resolve("kafka"));
        // Small messages force chunking; three churn rounds give four generations.
        SimulationSpec spec = SimulationSpec.of(11, 12, 25).withChurn(3, 0.3)
                .withMaxMessageBytes(64 * 1024).withTopicPrefix("simtest.");
        simulator = new FleetSimulator(spec);
        // As the bench does: the contract's topics, not auto-created ones.
        simulator.createTopics(kafka.bootstrapServers(), PARTITIONS);
        publishedFrom = Instant.now();
        report = simulator.publish(kafka.bootstrapServers());
        publishedUntil = Instant.now();
        readBack("simtest-reader", List.of(simulator.hostLayersTopic(), simulator.imageConfigsTopic(),
                simulator.heartbeatsTopic(), simulator.layerPackagesTopic()), report.records(), r -> {
            if (r.topic().equals(simulator.hostLayersTopic())) {
                snapshots.add(r);
            } else if (r.topic().equals(simulator.imageConfigsTopic())) {
                configs.add(r);
            } else if (r.topic().equals(simulator.layerPackagesTopic())) {
                packages.add(r);
            } else {
                heartbeats.add(r);
            }
        });
        everyHost = new FleetSimulator(spec.withConfigsFromEveryHost(true).withTopicPrefix("simtest-every."));
        everyHost.createTopics(kafka.bootstrapServers(), PARTITIONS);
        everyHostReport = everyHost.publish(kafka.bootstrapServers());
        readBack("simtest-every-reader", List.of(everyHost.layerPackagesTopic()), everyHostReport.layerPackages(),
                everyHostPackages::add);
    }

    /** Reads {@code topics} from their start as consumer group {@code group} until {@code records} arrived or 60 s. */
    private static void readBack(String group, List<String> topics, long records,
                                 java.util.function.Consumer<ConsumerRecord<String, byte[]>> each) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                "bootstrap.servers", kafka.bootstrapServers(), "group.id", group,
                "auto.offset.reset", "earliest", "enable.auto.commit", "false"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(topics);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long read = 0;
            while (read < records && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read++;
                    each.accept(r);
                }
            }
        }
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    @Test
    void the_topics_it_creates_are_the_contracts_under_its_prefix_with_their_cleanup_as_the_broker_reports() throws Exception {
        // events/README.md, "Topics": compacted, or deleted after 7 days (snapshots) and 30 days (dead letters).
        Map<String, String> cleanup = Map.of(simulator.imageConfigsTopic(), "compact", simulator.heartbeatsTopic(), "compact",
                simulator.layerPackagesTopic(), "compact", simulator.hostLayersTopic(), "delete",
                simulator.hostLayersResendTopic(), "delete", "simtest." + Topics.DEAD_LETTER, "delete");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            Map<ConfigResource, Config> configs = admin.describeConfigs(cleanup.keySet().stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList()).all().get();
            assertThat(configs).hasSize(cleanup.size());
            configs.forEach((topic, config) -> assertThat(config.get("cleanup.policy").value()).as(topic.name())
                    .isEqualTo(cleanup.get(topic.name())));
            assertThat(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, simulator.hostLayersTopic()))
                    .get("retention.ms").value()).isEqualTo(String.valueOf(Duration.ofDays(7).toMillis()));
            assertThat(admin.describeTopics(cleanup.keySet()).allTopicNames().get().values())
                    .allSatisfy(d -> assertThat(d.partitions()).as(d.name()).hasSize(PARTITIONS));
        }
    }

    @Test
    void every_record_the_report_counts_arrives() {
        assertThat(snapshots).hasSize((int) report.chunks());
        assertThat(configs).hasSize((int) report.configs());
        assertThat(heartbeats).hasSize((int) report.heartbeats());
        assertThat(packages).hasSize((int) report.layerPackages());
        assertThat(report.snapshots()).isEqualTo(12L * 4);
    }

    @Test
    void reassembled_chunks_hold_exactly_the_layers_and_images_the_simulator_says_it_sent() {
        // host -> generation -> chunk -> snapshot
        Map<String, Map<Long, Map<Integer, HostSnapshot>>> byHost = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : snapshots) {
            HostSnapshot s = (HostSnapshot) EventCodec.decode(r.value());
            assertThat(r.key()).isEqualTo(s.hostId());
            byHost.computeIfAbsent(s.hostId(), k -> new TreeMap<>()).computeIfAbsent(s.generation(), k -> new TreeMap<>())
                    .put(s.chunk(), s);
        }
        for (int round = 0; round <= 3; round++) {
            Map<String, Set<Digest>> expectedLayers = simulator.expectedHostLayers(round);
            Map<String, Set<Digest>> expectedImages = simulator.expectedHostImages(round);
            assertThat(byHost.keySet()).isEqualTo(expectedLayers.keySet());
            for (String host : expectedLayers.keySet()) {
                Map<Integer, HostSnapshot> chunks = byHost.get(host).get(round + 1L);
                int count = chunks.values().iterator().next().chunkCount();
                assertThat(chunks.keySet()).as("chunks of %s generation %d", host, round + 1).hasSize(count);
                Set<Digest> layers = new HashSet<>();
                Set<Digest> images = new HashSet<>();
                for (HostSnapshot chunk : chunks.values()) {
                    assertThat(chunk.chunkCount()).isEqualTo(count);
                    chunk.layers().stream().map(LayerRecord::chainId).forEach(layers::add);
                    chunk.images().stream().map(ImageRecord::id).forEach(images::add);
                }
                assertThat(layers).as("layers of %s after round %d", host, round).isEqualTo(expectedLayers.get(host));
                assertThat(images).as("images of %s after round %d", host, round).isEqualTo(expectedImages.get(host));
            }
        }
    }

    @Test
    void no_value_exceeds_the_limit_and_large_hosts_are_chunked() {
        assertThat(snapshots).allMatch(r -> r.value().length <= 64 * 1024);
        assertThat(report.largestValue()).isLessThanOrEqualTo(64 * 1024);
        assertThat(report.chunks()).isGreaterThan(report.snapshots());
    }

    @Test
    void every_config_hashes_to_its_key_and_every_image_in_a_snapshot_has_one() {
        Set<Digest> configured = new HashSet<>();
        for (ConsumerRecord<String, byte[]> r : configs) {
            ImageConfigEvent e = (ImageConfigEvent) EventCodec.decode(r.value());
            assertThat(Digest.sha256Of(e.config().getBytes(StandardCharsets.UTF_8)).toString()).isEqualTo(r.key());
            assertThat(e.imageId().toString()).isEqualTo(r.key());
            configured.add(e.imageId());
        }
        for (int round = 0; round <= 3; round++) {
            simulator.expectedHostImages(round).values().forEach(ids -> assertThat(configured).containsAll(ids));
        }
    }

    @Test
    void generations_grow_per_host_in_partition_order_and_churn_changes_what_hosts_hold() {
        Map<String, Long> last = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : snapshots) {
            HostSnapshot s = (HostSnapshot) EventCodec.decode(r.value());
            Long before = last.put(s.hostId(), s.generation());
            assertThat(before == null || before <= s.generation()).as("generation order of %s", s.hostId()).isTrue();
        }
        assertThat(last.values()).containsOnly(4L);
        assertThat(simulator.expectedHostLayers(3)).isNotEqualTo(simulator.expectedHostLayers(0));
    }

    @Test
    void each_host_sends_one_heartbeat_per_round_naming_its_generation_at_the_time_it_is_sent() {
        Map<String, List<Long>> generations = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : heartbeats) {
            Heartbeat hb = (Heartbeat) EventCodec.decode(r.value());
            generations.computeIfAbsent(hb.hostId(), k -> new ArrayList<>()).add(hb.generation());
            // The agent's clock (Agent sends Instant.now()), not the simulated scan time: a heartbeat in the past
            // would leave the host stale.
            assertThat(hb.at()).isBetween(publishedFrom, publishedUntil);
            assertThat(hb.intervalSeconds()).isEqualTo(AgentConfig.DEFAULT_HEARTBEAT_INTERVAL.toSeconds());
        }
        assertThat(generations).hasSize(12);
        assertThat(generations.values()).allMatch(g -> g.equals(List.of(1L, 2L, 3L, 4L)));
    }

    @Test
    void the_periodic_heartbeats_start_with_every_host_naming_its_last_generation_sent() {
        Instant before = Instant.now();
        long sent;
        try (FleetHeartbeats beats = FleetHeartbeats.toKafka(simulator, kafka.bootstrapServers())) {
            sent = beats.sent();
        }
        Instant after = Instant.now();
        assertThat(sent).isEqualTo(12);
        Map<String, List<Heartbeat>> periodic = new HashMap<>();
        readBack("simtest-periodic", List.of(simulator.heartbeatsTopic()), heartbeats.size() + 12, r -> {
            Heartbeat hb = (Heartbeat) EventCodec.decode(r.value());
            assertThat(r.key()).isEqualTo(hb.hostId());
            if (!hb.at().isBefore(before)) {
                periodic.computeIfAbsent(hb.hostId(), k -> new ArrayList<>()).add(hb);
            }
        });
        assertThat(periodic).hasSize(12);
        assertThat(periodic.values()).allSatisfy(list -> {
            assertThat(list).hasSize(1);
            assertThat(list.get(0).generation()).isEqualTo(4L);
            assertThat(list.get(0).at()).isBetween(before, after);
        });
    }

    @Test
    void layer_packages_decode_keyed_by_diff_id_once_per_fleet_for_every_layer_any_host_held() {
        Map<String, LayerPackages> byKey = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : packages) {
            LayerPackages p = (LayerPackages) EventCodec.decode(r.value());
            assertThat(r.key()).isEqualTo(p.diffId().toString());
            assertThat(byKey.put(r.key(), p)).as("second record of %s", r.key()).isNull();
            assertThat(p.databases()).isEqualTo(simulator.catalog().layerDatabases(p.diffId()));
        }
        assertThat(byKey.keySet()).isEqualTo(heldDiffIds(simulator));
        // A few layers carry databases (base roots: dpkg, some applications: dpkg or apk); most carry none.
        List<LayerPackages> withDatabases = byKey.values().stream().filter(p -> !p.databases().isEmpty()).toList();
        assertThat(withDatabases).isNotEmpty().hasSizeLessThan(byKey.size() / 2);
        assertThat(withDatabases).anySatisfy(p -> assertThat(p.databases().get(0).packages()).hasSizeBetween(80, 120)
                .anySatisfy(pkg -> assertThat(pkg.name()).isEqualTo("openssl")));
    }

    @Test
    void with_every_host_switch_each_host_sends_the_packages_of_each_diff_id_it_newly_holds() {
        // diff ID -> number of (host, round) in which the host holds it and did not in the round before
        Map<String, Integer> expected = new TreeMap<>();
        for (int host = 0; host < everyHost.spec().hosts(); host++) {
            Set<String> before = Set.of();
            for (int round = 0; round <= everyHost.spec().churnRounds(); round++) {
                Set<String> now = diffIds(everyHost, everyHost.model().host(host, round));
                for (String d : now) {
                    if (!before.contains(d)) {
                        expected.merge(d, 1, Integer::sum);
                    }
                }
                before = now;
            }
        }
        Map<String, Integer> sent = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : everyHostPackages) {
            LayerPackages p = (LayerPackages) EventCodec.decode(r.value());
            assertThat(r.key()).isEqualTo(p.diffId().toString());
            sent.merge(r.key(), 1, Integer::sum);
        }
        assertThat(sent).isEqualTo(expected);
        assertThat(everyHostReport.layerPackages()).isGreaterThan(report.layerPackages());
        assertThat(sent.keySet()).isEqualTo(heldDiffIds(simulator));
    }

    private static Set<String> heldDiffIds(FleetSimulator sim) {
        Set<String> out = new HashSet<>();
        for (int host = 0; host < sim.spec().hosts(); host++) {
            for (int round = 0; round <= sim.spec().churnRounds(); round++) {
                out.addAll(diffIds(sim, sim.model().host(host, round)));
            }
        }
        return out;
    }

    private static Set<String> diffIds(FleetSimulator sim, HostState state) {
        Set<String> out = new HashSet<>();
        for (int l : state.layers()) {
            out.add(sim.catalog().layer(l).diffId().toString());
        }
        return out;
    }
}
