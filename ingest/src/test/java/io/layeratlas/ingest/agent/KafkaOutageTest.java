package io.layeratlas.ingest.agent;

import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.events.Digest;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The broker goes away while the agent runs and the storage changes twice; then it comes back on the same port. */
class KafkaOutageTest {

    @Test
    void after_a_broker_outage_the_latest_state_is_delivered_and_no_config_is_lost(@TempDir Path brokerDir,
                                                                                   @TempDir Path state) {
        EmbeddedKafka kafka = EmbeddedKafka.start(brokerDir, 0, Map.of());
        int port = Integer.parseInt(kafka.bootstrapServers().split(":")[1]);
        InventorySource.Scan before = TestInventories.generated("outage-host", 3, "before");
        InventorySource.Scan during = TestInventories.generated("outage-host", 4, "during");
        InventorySource.Scan latest = TestInventories.generated("outage-host", 5, "latest");
        AtomicReference<InventorySource.Scan> storage = new AtomicReference<>(before);
        AtomicInteger scans = new AtomicInteger();
        AgentConfig config = AgentConfig.defaults("/var/lib/docker", kafka.bootstrapServers())
                .withHostId("outage-host").withStateDir(state).withTopicPrefix("outage.").withDebounce(Duration.ZERO)
                // Fail sends within seconds, so the test sees the agent hold state rather than the producer retry.
                .withKafkaProperties(Map.of("delivery.timeout.ms", "6000", "request.timeout.ms", "2000",
                        "max.block.ms", "2000", "reconnect.backoff.max.ms", "500", "retry.backoff.max.ms", "500"));
        try (Agent agent = new Agent(config, hostId -> {
            scans.incrementAndGet();
            return storage.get();
        })) {
            agent.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.publishedGeneration() > 0);
            long beforeGeneration = agent.publishedGeneration();

            kafka.close();
            storage.set(during);
            agent.rescanNow();
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.metricsText().contains("layeratlas_agent_kafka_reachable 0.0"));
            int scansSoFar = scans.get();
            storage.set(latest);
            agent.rescanNow();
            await().atMost(Duration.ofSeconds(10)).until(() -> scans.get() > scansSoFar);
            assertThat(agent.publishedGeneration()).isEqualTo(beforeGeneration);
            // Held: one snapshot generation (the newest), the configs not yet delivered, perhaps a heartbeat.
            assertThat(pendingRecords(agent)).isBetween(1, 1 + 4 + 5 + 1);

            kafka = EmbeddedKafka.start(brokerDir, port, Map.of());
            try (TopicReader snapshots = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.HOST_LAYERS));
                 TopicReader configs = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.IMAGE_CONFIGS))) {
                // Images travel by reference: with the configs delivered, they are the latest inventory's.
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                        TopicReader.latestComplete(snapshots.snapshots(), "outage-host").orElseThrow(TopicReader::notYet)
                                .imagesWithFacts(configs.configs()))
                        .containsExactlyElementsOf(latest.inventory().images()));
                Map<Digest, String> expected = new HashMap<>(before.configs());
                expected.putAll(during.configs());
                expected.putAll(latest.configs());
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(configs.configs().stream()
                        .collect(Collectors.toMap(ImageConfigEvent::imageId, ImageConfigEvent::config, (a, b) -> a)))
                        .isEqualTo(expected));
                await().atMost(Duration.ofSeconds(10)).until(() -> agent.metricsText().contains("layeratlas_agent_kafka_reachable 1.0"));
                assertThat(agent.publishedGeneration()).isGreaterThan(beforeGeneration);
                // The reader may not have polled the acknowledged generation yet: wait for it, do not race it.
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                        TopicReader.latestComplete(snapshots.snapshots(), "outage-host").orElseThrow(TopicReader::notYet).generation())
                        .isEqualTo(agent.publishedGeneration()));
            }
        } finally {
            kafka.close();
        }
    }

    private static int pendingRecords(Agent agent) {
        return agent.metricsText().lines().filter(l -> l.startsWith("layeratlas_agent_pending_records "))
                .map(l -> (int) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElseThrow();
    }
}
