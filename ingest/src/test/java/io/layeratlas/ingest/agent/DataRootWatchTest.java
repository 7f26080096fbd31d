package io.layeratlas.ingest.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.events.ChainIds;
import io.layeratlas.events.Digest;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Docker-shaped data-root in a temp folder, changed the way Docker changes it (new files renamed into place),
 * with a tiny reader of its own: a change must reach Kafka as a new generation within two seconds.
 */
class DataRootWatchTest {
    static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka(@TempDir Path dir) {
        kafka = EmbeddedKafka.startTemporary(dir);
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @Test
    void a_new_image_and_a_new_tag_in_a_watched_data_root_each_publish_a_new_generation_within_two_seconds(
            @TempDir Path dataRoot, @TempDir Path state) throws Exception {
        Path store = dataRoot.resolve("image/overlay2");
        Files.createDirectories(store.resolve("imagedb/content/sha256"));
        Files.createDirectories(store.resolve("imagedb/metadata/sha256"));
        Files.createDirectories(store.resolve("layerdb/sha256"));
        Files.createDirectories(dataRoot.resolve("containers/abc"));
        Digest first = addImage(dataRoot, "first");
        writeRepositories(dataRoot, Map.of("app:1", first));

        AgentConfig config = AgentConfig.defaults(dataRoot.toString(), kafka.bootstrapServers())
                .withHostId("watched-host").withStateDir(state).withTopicPrefix("watch.");
        try (Agent agent = new Agent(config, hostId -> readDataRoot(dataRoot, hostId));
             TopicReader snapshots = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.HOST_LAYERS))) {
            agent.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.publishedGeneration() > 0);
            long g1 = agent.publishedGeneration();

            Digest second = addImage(dataRoot, "second");
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                    .until(() -> agent.publishedGeneration() > g1);
            long g2 = agent.publishedGeneration();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    TopicReader.latestComplete(snapshots.snapshots(), "watched-host").orElseThrow(TopicReader::notYet).generation()).isEqualTo(g2));
            assertThat(TopicReader.latestComplete(snapshots.snapshots(), "watched-host").orElseThrow(TopicReader::notYet).images())
                    .extracting(ImageRecord::id).containsExactlyInAnyOrder(first, second);

            writeRepositories(dataRoot, Map.of("app:1", first, "app:2", second));
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                    .until(() -> agent.publishedGeneration() > g2);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    TopicReader.latestComplete(snapshots.snapshots(), "watched-host").orElseThrow(TopicReader::notYet).generation())
                    .isEqualTo(agent.publishedGeneration()));
            assertThat(TopicReader.latestComplete(snapshots.snapshots(), "watched-host").orElseThrow(TopicReader::notYet).images())
                    .filteredOn(i -> i.id().equals(second)).singleElement()
                    .extracting(ImageRecord::repoTags).isEqualTo(List.of("app:2"));

            // Idle, the agent's threads (scan, publish, heartbeat, watch, producer I/O) use next to no CPU.
            long idleCpu = agentThreadsCpuNanos();
            Thread.sleep(2_000);
            assertThat(agentThreadsCpuNanos() - idleCpu).as("CPU nanoseconds of 2 s idle").isLessThan(50_000_000L);

            // Outside the image store (inside a container's folder: its log) nothing is republished.
            long g3 = agent.publishedGeneration();
            Files.writeString(dataRoot.resolve("containers/abc/abc-json.log"), "x");
            Thread.sleep(1_000); // a negative check: nothing may happen within the debounce and a scan
            assertThat(agent.publishedGeneration()).isEqualTo(g3);
        }
    }

    private static long agentThreadsCpuNanos() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long total = 0;
        for (java.lang.management.ThreadInfo t : threads.dumpAllThreads(false, false)) {
            if (t.getThreadName().startsWith("layeratlas-agent") || t.getThreadName().startsWith("kafka-producer-network-thread")) {
                total += Math.max(0, threads.getThreadCpuTime(t.getThreadId()));
            }
        }
        return total;
    }

    /** Writes an image the way Docker does: config by rename into imagedb, layer folder by rename into layerdb. */
    private static Digest addImage(Path dataRoot, String name) throws IOException {
        Path store = dataRoot.resolve("image/overlay2");
        Digest diffId = Digest.sha256Of("layer of " + name);
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]}}";
        Digest id = Digest.sha256Of(config);
        Path tmpLayer = store.resolve("layerdb/tmp/write-set-" + name);
        Files.createDirectories(tmpLayer);
        Files.writeString(tmpLayer.resolve("diff"), diffId.toString());
        Files.move(tmpLayer, store.resolve("layerdb/sha256/" + diffId.hex()), StandardCopyOption.ATOMIC_MOVE);
        Path tmp = store.resolve("imagedb/content/sha256/.tmp-" + id.hex());
        Files.writeString(tmp, config);
        Files.move(tmp, store.resolve("imagedb/content/sha256/" + id.hex()), StandardCopyOption.ATOMIC_MOVE);
        return id;
    }

    private static void writeRepositories(Path dataRoot, Map<String, Digest> tags) throws IOException {
        Map<String, Map<String, String>> repos = new HashMap<>();
        tags.forEach((tag, id) -> repos.computeIfAbsent(tag.substring(0, tag.indexOf(':')), r -> new HashMap<>()).put(tag, id.toString()));
        Path tmp = dataRoot.resolve("image/overlay2/.tmp-repositories.json");
        Files.write(tmp, EventCodec.mapper().writeValueAsBytes(Map.of("Repositories", repos)));
        Files.move(tmp, dataRoot.resolve("image/overlay2/repositories.json"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** Just enough of a data-root reader for this test: configs, their single layer, and tags. */
    private static InventorySource.Scan readDataRoot(Path dataRoot, String hostId) throws IOException {
        Path store = dataRoot.resolve("image/overlay2");
        JsonNode repos = EventCodec.mapper().readTree(store.resolve("repositories.json").toFile()).path("Repositories");
        Map<Digest, List<String>> tagsById = new HashMap<>();
        repos.forEach(repo -> repo.fields().forEachRemaining(e ->
                tagsById.computeIfAbsent(Digest.parse(e.getValue().asText()), k -> new ArrayList<>()).add(e.getKey())));
        List<ImageRecord> images = new ArrayList<>();
        Map<Digest, LayerRecord> layers = new LinkedHashMap<>();
        Map<Digest, String> configs = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(store.resolve("imagedb/content/sha256"))) {
            for (Path f : files.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList()) {
                String text = Files.readString(f);
                Digest id = Digest.sha256Hex(f.getFileName().toString());
                Digest diffId = Digest.parse(EventCodec.mapper().readTree(text).path("rootfs").path("diff_ids").get(0).asText());
                List<String> tags = tagsById.getOrDefault(id, List.of()).stream().sorted().toList();
                images.add(new ImageRecord(id, tags, List.of(), null, null, -1, List.of(diffId), ChainIds.of(List.of(diffId)),
                        List.of(), -1, -1, -1, "linux", "amd64"));
                layers.put(diffId, LayerRecord.of(diffId, diffId, null, -1));
                configs.put(id, text);
            }
        }
        return new InventorySource.Scan(new HostInventory(dataRoot.toString(), "data-root", hostId, Instant.now(), images,
                List.copyOf(layers.values()), List.of()), configs);
    }
}
