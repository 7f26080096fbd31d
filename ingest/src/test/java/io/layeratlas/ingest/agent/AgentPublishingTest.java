package io.layeratlas.ingest.agent;

import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.events.Digest;
import io.layeratlas.events.Heartbeat;
import io.layeratlas.events.HostSnapshot;
import java.util.ArrayList;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.SnapshotEnvelope;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The agent against a real broker (one for the class), each test on topics of its own. */
class AgentPublishingTest {
    static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka(@TempDir Path dir) {
        kafka = EmbeddedKafka.startTemporary(dir);
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    static AgentConfig config(Path stateDir) {
        return AgentConfig.defaults("/var/lib/docker", kafka.bootstrapServers())
                .withTopicPrefix("t" + UUID.randomUUID().toString().substring(0, 8) + ".")
                .withStateDir(stateDir)
                .withHostId("host-under-test");
    }

    @Test
    void the_agent_publishes_every_config_and_the_whole_inventory_the_source_returned(@TempDir Path state) {
        InventorySource.Scan web01 = TestInventories.fromTruth("web-01", "host-under-test");
        AgentConfig config = config(state);
        try (Agent agent = new Agent(config, hostId -> web01);
             TopicReader snapshots = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.HOST_LAYERS));
             TopicReader configs = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.IMAGE_CONFIGS));
             TopicReader heartbeats = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.HEARTBEATS))) {
            agent.start();
            assertThat(agent.hostId()).isEqualTo("host-under-test");

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(TopicReader.latestComplete(snapshots.snapshots(), "host-under-test")).isPresent());
            TopicReader.Reassembled got = TopicReader.latestComplete(snapshots.snapshots(), "host-under-test").orElseThrow();
            assertThat(snapshots.poll()).allSatisfy(r -> assertThat(r.key()).isEqualTo("host-under-test"));

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(configs.configs()).hasSize(web01.configs().size()));
            // Images with a config travel by reference; with the configs they are the whole inventory again.
            assertThat(got.images()).as("images sent by reference").filteredOn(i -> i.chainIds().isEmpty())
                    .hasSize(web01.configs().size());
            assertThat(got.imagesWithFacts(configs.configs())).containsExactlyElementsOf(web01.inventory().images());
            assertThat(got.layers()).containsExactlyElementsOf(web01.inventory().layers());
            Map<Digest, String> published = configs.configs().stream()
                    .collect(Collectors.toMap(ImageConfigEvent::imageId, ImageConfigEvent::config));
            assertThat(published).isEqualTo(web01.configs());
            // The config text is verbatim: its sha256 is the image ID (Docker's overlay2 store).
            published.forEach((id, text) -> assertThat(Digest.sha256Of(text)).isEqualTo(id));
            assertThat(configs.poll()).allSatisfy(r -> assertThat(r.key()).isEqualTo(
                    EventCodecs.decodeConfig(r).imageId().toString()));

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(heartbeats.events()).isNotEmpty());
            Heartbeat hb = (Heartbeat) heartbeats.events().get(0);
            assertThat(hb.hostId()).isEqualTo("host-under-test");
            assertThat(hb.intervalSeconds()).isEqualTo(30);
            assertThat(agent.publishedGeneration()).isEqualTo(got.generation());
        }
    }

    @Test
    void a_host_with_thousands_of_images_is_chunked_so_no_record_passes_max_request_size(@TempDir Path state) {
        InventorySource.Scan big = TestInventories.generated("big-host", 3000, "chunking");
        int maxRequestSize = 64 * 1024;
        AgentConfig config = config(state).withHostId("big-host")
                .withKafkaProperties(Map.of("max.request.size", String.valueOf(maxRequestSize)));
        try (Agent agent = new Agent(config, hostId -> big);
             TopicReader snapshots = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.HOST_LAYERS));
             TopicReader configs = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.IMAGE_CONFIGS))) {
            agent.start();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(TopicReader.latestComplete(snapshots.snapshots(), "big-host")).isPresent());
            TopicReader.Reassembled got = TopicReader.latestComplete(snapshots.snapshots(), "big-host").orElseThrow();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(configs.configs()).hasSize(big.configs().size()));
            assertThat(got.imagesWithFacts(configs.configs())).containsExactlyElementsOf(big.inventory().images());
            assertThat(got.layers()).containsExactlyElementsOf(big.inventory().layers());
            assertThat(got.problems()).containsExactlyElementsOf(big.inventory().problems());

            List<ConsumerRecord<String, byte[]>> records = snapshots.poll();
            HostSnapshot first = EventCodecs.decodeSnapshot(records.get(0));
            assertThat(first.chunkCount()).isGreaterThan(10).isEqualTo(records.size());
            assertThat(records).allSatisfy(r ->
                    assertThat(r.serializedKeySize() + r.serializedValueSize()).isLessThan(maxRequestSize));
        }
    }

    @Test
    void a_full_resend_of_an_unchanged_state_goes_to_the_resend_topic_with_the_same_holdings_in_its_headers(@TempDir Path state) {
        InventorySource.Scan small = TestInventories.generated("resending-host", 40, "resend");
        // Resends far enough apart that each is delivered before the next replaces it (the publisher keeps the latest).
        AgentConfig config = config(state).withHostId("resending-host").withMaxMessageBytes(8_000)
                .withRescanInterval(Duration.ofMillis(200)).withFullResendInterval(Duration.ofSeconds(3));
        try (Agent agent = new Agent(config, hostId -> small);
             TopicReader changes = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.HOST_LAYERS));
             TopicReader resends = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.HOST_LAYERS_RESEND))) {
            agent.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> !changes.poll().isEmpty()
                    && resends.snapshots().stream().map(HostSnapshot::generation).distinct().count() >= 2);
            List<ConsumerRecord<String, byte[]>> all = new ArrayList<>(changes.poll());
            all.addAll(resends.poll());
            java.util.Set<String> holdings = new java.util.HashSet<>();
            for (ConsumerRecord<String, byte[]> r : all) {
                HostSnapshot chunk = (HostSnapshot) EventCodec.decode(r.value());
                SnapshotEnvelope envelope = SnapshotEnvelope.fromHeaders(name -> {
                    var h = r.headers().lastHeader(name);
                    return h == null ? null : h.value();
                }).orElseThrow();
                assertThat(envelope).isEqualTo(new SnapshotEnvelope(chunk.generation(), chunk.chunk(), chunk.chunkCount(),
                        chunk.scannedAt(), envelope.holdings()));
                holdings.add(envelope.holdings().toString());
            }
            // The first scan is a change, the rest resend it: every chunk names the same complete state.
            long first = changes.snapshots().get(0).generation();
            assertThat(changes.snapshots()).extracting(HostSnapshot::generation).containsOnly(first);
            assertThat(resends.snapshots()).extracting(HostSnapshot::generation).allMatch(g -> g > first);
            assertThat(changes.snapshots().get(0).chunkCount()).isGreaterThan(1);
            assertThat(holdings).singleElement();
        }
    }

    @Test
    void unchanged_state_is_not_republished_but_heartbeats_go_on(@TempDir Path state) {
        InventorySource.Scan small = TestInventories.generated("quiet-host", 5, "quiet");
        AtomicInteger scans = new AtomicInteger();
        AgentConfig config = config(state).withHostId("quiet-host")
                .withRescanInterval(Duration.ofMillis(100)).withHeartbeatInterval(Duration.ofSeconds(1));
        try (Agent agent = new Agent(config, hostId -> {
            scans.incrementAndGet();
            return small;
        });
             TopicReader snapshots = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.HOST_LAYERS));
             TopicReader heartbeats = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.HEARTBEATS))) {
            agent.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> scans.get() >= 10 && heartbeats.poll().size() >= 3);
            assertThat(snapshots.snapshots()).extracting(HostSnapshot::generation).containsOnly(agent.publishedGeneration());
            assertThat(heartbeats.events()).allSatisfy(e -> assertThat(((Heartbeat) e).hostId()).isEqualTo("quiet-host"));
            assertThat(agent.metricsText()).contains("layeratlas_agent_unchanged_scans_total");
        }
    }

    @Test
    void a_failing_scan_is_logged_and_counted_and_the_next_one_is_published(@TempDir Path state) {
        InventorySource.Scan before = TestInventories.generated("flaky-host", 3, "before");
        InventorySource.Scan after = TestInventories.generated("flaky-host", 4, "after");
        AtomicReference<Object> next = new AtomicReference<>(before);
        AgentConfig config = config(state).withHostId("flaky-host").withDebounce(Duration.ZERO);
        try (Agent agent = new Agent(config, hostId -> {
            Object n = next.get();
            if (n instanceof RuntimeException e) {
                throw e;
            }
            return (InventorySource.Scan) n;
        });
             TopicReader snapshots = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.HOST_LAYERS))) {
            agent.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.publishedGeneration() > 0);
            long first = agent.publishedGeneration();

            next.set(new IllegalStateException("truncated repositories.json"));
            agent.rescanNow();
            await().atMost(Duration.ofSeconds(10)).until(() -> agent.metricsText().contains("outcome=\"failed\"} 1.0"));

            next.set(after);
            agent.rescanNow();
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.publishedGeneration() > first);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(TopicReader.latestComplete(snapshots.snapshots(), "flaky-host").orElseThrow(TopicReader::notYet).images())
                            .extracting(ImageRecord::id)
                            .containsExactlyElementsOf(after.inventory().images().stream().map(ImageRecord::id).toList()));
        }
    }

    @Test
    void the_generation_keeps_growing_across_agent_restarts_even_when_the_state_folder_is_lost(@TempDir Path state,
                                                                                               @TempDir Path otherState) {
        InventorySource.Scan inv = TestInventories.generated("restarting-host", 2, "restart");
        AgentConfig config = config(state).withHostId("restarting-host");
        long g1;
        long g2;
        long g3;
        try (Agent agent = new Agent(config, hostId -> inv)) {
            agent.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.publishedGeneration() > 0);
            g1 = agent.publishedGeneration();
        }
        try (Agent agent = new Agent(config, hostId -> inv)) {
            agent.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.publishedGeneration() > 0);
            g2 = agent.publishedGeneration();
        }
        try (Agent agent = new Agent(config.withStateDir(otherState), hostId -> inv)) {
            agent.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.publishedGeneration() > 0);
            g3 = agent.publishedGeneration();
        }
        assertThat(g2).isGreaterThan(g1);
        assertThat(g3).isGreaterThan(g2);
    }

    @Test
    void metrics_are_served_as_prometheus_text_on_a_port_of_their_own(@TempDir Path state) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        InventorySource.Scan inv = TestInventories.generated("metered-host", 2, "metrics");
        AgentConfig config = config(state).withHostId("metered-host").withMetricsPort(port);
        HttpClient http = HttpClient.newHttpClient();
        try (Agent agent = new Agent(config, hostId -> inv)) {
            agent.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.publishedGeneration() > 0);
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
            assertThat(metrics.body()).contains(
                    "layeratlas_agent_scans_total{outcome=\"ok\"} 1.0",
                    "layeratlas_agent_images 2.0",
                    "layeratlas_agent_layers 5.0",
                    "layeratlas_agent_scan_duration_seconds_count 1",
                    "layeratlas_agent_publish_errors_total{kind=\"retriable\"} 0.0",
                    "layeratlas_agent_kafka_reachable 1.0",
                    "layeratlas_agent_last_publish_timestamp_seconds ");
            assertThat(metrics.body()).doesNotContain("layeratlas_agent_last_publish_timestamp_seconds 0.0");
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void a_topic_kafka_can_never_accept_stops_the_agent_with_the_reason(@TempDir Path state) {
        InventorySource.Scan inv = TestInventories.generated("misconfigured-host", 1, "fatal");
        AgentConfig config = config(state).withHostId("misconfigured-host").withTopicPrefix("no spaces allowed ");
        try (Agent agent = new Agent(config, hostId -> inv)) {
            agent.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.failure().isPresent());
            assertThatThrownBy(agent::awaitStop).isInstanceOf(AgentException.class).hasMessageContaining("Kafka refused");
            assertThat(agent.metricsText()).contains("layeratlas_agent_publish_errors_total{kind=\"fatal\"}");
        }
    }

    @Test
    void start_fails_on_invalid_kafka_properties_and_releases_the_metrics_port(@TempDir Path state) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        AgentConfig config = config(state).withMetricsPort(port).withKafkaProperties(Map.of("acks", "sometimes"));
        try (Agent agent = new Agent(config, hostId -> TestInventories.generated(hostId, 1, "bad"))) {
            assertThatThrownBy(agent::start).hasMessageContaining("acks");
        }
        try (ServerSocket reuse = new ServerSocket(port)) {
            assertThat(reuse.getLocalPort()).isEqualTo(port);
        }
    }
}
