package io.layeratlas.ingest.agent;

import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.events.Digest;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.InstalledPackage;
import io.layeratlas.events.LayerPackages;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.PackageDatabase;
import io.layeratlas.events.PackageEcosystem;
import io.layeratlas.events.Topics;
import io.layeratlas.ingest.packages.DataRootLayerContents;
import io.layeratlas.ingest.packages.LayerContents;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The agent's layer-packages events against a real broker: one per diff ID, read from the layer's overlay2 diff
 * folder, not read again on rescans or after a restart with the same state folder, and none with packages off.
 */
class AgentLayerPackagesTest {
    static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka(@TempDir Path dir) {
        kafka = EmbeddedKafka.startTemporary(dir);
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    static final String STATUS = """
            Package: libssl3
            Status: install ok installed
            Architecture: amd64
            Source: openssl
            Version: 3.0.7-1~deb12u1

            Package: base-files
            Status: install ok installed
            Architecture: amd64
            Version: 12.4+deb12u5
            """;

    /** Three layers in an overlay2 data-root: one with a dpkg status, one without databases, one shared by two images. */
    record Host(InventorySource.Scan scan, AtomicInteger reads, List<Digest> diffIds) {
    }

    static Host host(Path root) throws IOException {
        List<LayerRecord> layers = new ArrayList<>();
        List<Digest> diffIds = new ArrayList<>();
        Digest parent = null;
        for (int i = 0; i < 3; i++) {
            Digest diffId = Digest.sha256Of("layer " + i + " " + root);
            Digest chain = parent == null ? diffId : Digest.sha256Of(parent + " " + diffId);
            String cacheId = "cache" + i;
            Path diff = Files.createDirectories(root.resolve("overlay2").resolve(cacheId).resolve("diff"));
            if (i == 0) {
                Files.createDirectories(diff.resolve("var/lib/dpkg"));
                Files.writeString(diff.resolve("var/lib/dpkg/status"), STATUS);
            } else {
                Files.writeString(Files.createDirectories(diff.resolve("etc")).resolve("layer"), "layer " + i + "\n");
            }
            layers.add(new LayerRecord(chain, diffId, parent, 100, List.of(), cacheId, null));
            diffIds.add(diffId);
            parent = chain;
        }
        AtomicInteger reads = new AtomicInteger();
        DataRootLayerContents contents = new DataRootLayerContents(root);
        LayerContents counting = layer -> {
            reads.incrementAndGet();
            return contents.read(layer);
        };
        HostInventory inventory = new HostInventory(root.toString(), "data-root", "host-under-test", Instant.now(),
                List.of(), layers, List.of());
        return new Host(new InventorySource.Scan(inventory, Map.of()).withLayerContents(counting), reads, diffIds);
    }

    static AgentConfig config(Path stateDir) {
        return AgentConfig.defaults("/var/lib/docker", kafka.bootstrapServers())
                .withTopicPrefix("t" + UUID.randomUUID().toString().substring(0, 8) + ".")
                .withStateDir(stateDir)
                .withHostId("host-under-test");
    }

    static List<LayerPackages> events(TopicReader reader) {
        return reader.poll().stream().map(r -> {
            LayerPackages e = (LayerPackages) EventCodec.decode(r.value());
            assertThat(r.key()).isEqualTo(e.diffId().toString());
            return e;
        }).toList();
    }

    @Test
    void each_layer_is_read_and_sent_once_and_a_restart_with_the_same_state_reads_none_again(@TempDir Path root,
                                                                                           @TempDir Path state) throws IOException {
        Host host = host(root);
        AgentConfig config = config(state);
        AtomicInteger scans = new AtomicInteger();
        try (TopicReader reader = new TopicReader(kafka.bootstrapServers(), config.topic(Topics.LAYER_PACKAGES))) {
            try (Agent agent = new Agent(config, id -> {
                scans.incrementAndGet();
                return host.scan();
            })) {
                agent.start();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(events(reader)).hasSize(3));
                // the record is on the topic a moment before the acknowledgement reaches the state file
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                        assertThat(Files.readAllLines(state.resolve(SentLayers.FILE_NAME))).hasSize(3));
                agent.rescanNow();
                await().atMost(Duration.ofSeconds(30)).until(() -> scans.get() >= 2);
                agent.rescanNow();
                await().atMost(Duration.ofSeconds(30)).until(() -> scans.get() >= 3);
            }
            assertThat(host.reads()).hasValue(3);

            List<LayerPackages> sent = events(reader);
            assertThat(sent).extracting(LayerPackages::diffId).containsExactlyInAnyOrderElementsOf(host.diffIds());
            LayerPackages first = sent.stream().filter(e -> e.diffId().equals(host.diffIds().get(0))).findFirst().orElseThrow();
            assertThat(first.databases()).containsExactly(PackageDatabase.present(PackageEcosystem.DPKG, "var/lib/dpkg/status",
                    List.of(new InstalledPackage("libssl3", "3.0.7-1~deb12u1", "amd64", "openssl", "3.0.7-1~deb12u1"),
                            new InstalledPackage("base-files", "12.4+deb12u5", "amd64", "base-files", "12.4+deb12u5"))));
            assertThat(first.agentVersion()).isEqualTo(Agent.version());
            assertThat(sent).filteredOn(e -> !e.diffId().equals(host.diffIds().get(0)))
                    .allSatisfy(e -> assertThat(e.databases()).isEmpty());

            AtomicInteger scansAfterRestart = new AtomicInteger();
            try (Agent again = new Agent(config, id -> {
                scansAfterRestart.incrementAndGet();
                return host.scan();
            })) {
                again.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> scansAfterRestart.get() >= 1);
            }
            assertThat(host.reads()).as("no layer read again after a restart").hasValue(3);
        }
    }

    @Test
    void with_packages_off_no_layer_is_read(@TempDir Path root, @TempDir Path state) throws IOException {
        Host host = host(root);
        AgentConfig config = config(state).withReadPackages(false);
        AtomicInteger scans = new AtomicInteger();
        try (Agent agent = new Agent(config, id -> {
            scans.incrementAndGet();
            return host.scan();
        })) {
            agent.start();
            agent.rescanNow();
            await().atMost(Duration.ofSeconds(30)).until(() -> scans.get() >= 2);
        }
        assertThat(host.reads()).hasValue(0);
        assertThat(state.resolve(SentLayers.FILE_NAME)).doesNotExist();
    }
}
