package io.layeratlas.indexer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.db.Database;
import io.layeratlas.db.index.IndexDump;
import io.layeratlas.db.index.IndexWriter;
import io.layeratlas.events.ChainIds;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.testing.Fixtures;
import io.layeratlas.topics.TopicSetup;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every fleet-main host (../shared/fixtures/fleet-main) indexed together: per layer, the host count and image count
 * must be what Docker's own answers in {@code truth/} imply. The snapshots are built from {@code truth/} here,
 * because the storage readers are written in parallel; the expected counts are computed from the same files
 * independently of the indexer and of {@link ChainIds}.
 */
class FleetFixturesTest extends IndexerTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One image as truth/ describes it: image ID, tags, digests, Docker's parent, diff IDs, v1 layer IDs (legacy only). */
    record TruthImage(String id, List<String> tags, List<String> digests, String parent, Instant created, long size,
                      List<String> diffIds, List<String> v1Ids) {
    }

    static Map<String, List<TruthImage>> truth() throws Exception {
        Map<String, List<TruthImage>> hosts = new TreeMap<>();
        for (String host : Fixtures.fleetMainHosts()) {
            Path dir = Fixtures.truth(host);
            List<TruthImage> images = new ArrayList<>();
            if (Files.exists(dir.resolve("image-inspect.json"))) {
                for (JsonNode i : JSON.readTree(dir.resolve("image-inspect.json").toFile())) {
                    images.add(new TruthImage(i.get("Id").asText(), texts(i.get("RepoTags")), texts(i.get("RepoDigests")),
                            i.path("Parent").asText(""), Instant.parse(i.get("Created").asText()), i.get("Size").asLong(),
                            texts(i.get("RootFS").get("Layers")), List.of()));
                }
            } else {
                for (JsonNode i : JSON.readTree(dir.resolve("images.json").toFile())) {
                    images.add(new TruthImage(i.get("id").asText(), texts(i.get("repoTags")), List.of(), "", null, -1,
                            texts(i.get("diffIds")), texts(i.get("v1LayerIds"))));
                }
            }
            hosts.put(host, images);
        }
        return hosts;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    static HostSnapshot snapshot(String host, List<TruthImage> images) {
        List<ImageRecord> records = new ArrayList<>();
        Map<Digest, LayerRecord> layers = new LinkedHashMap<>();
        for (TruthImage t : images) {
            List<Digest> diffIds = t.diffIds().stream().map(Digest::parse).toList();
            List<Digest> chainIds = ChainIds.of(diffIds);
            records.add(new ImageRecord(Digest.parse(t.id()), t.tags(), t.digests(), t.parent().isEmpty() ? null : Digest.parse(t.parent()),
                    t.created(), t.size(), diffIds, chainIds, List.of(), -1, -1, -1, null, null));
            for (int i = 0; i < chainIds.size(); i++) {
                layers.putIfAbsent(chainIds.get(i), new LayerRecord(chainIds.get(i), diffIds.get(i), i == 0 ? null : chainIds.get(i - 1),
                        -1, List.of(), null, t.v1Ids().isEmpty() ? null : t.v1Ids().get(i)));
            }
        }
        return new HostSnapshot(LayerAtlasEvent.SCHEMA_VERSION, host, 1, 0, 1, Instant.parse("2024-05-01T00:00:00Z"),
                "fixture", "data-root", "truth/" + host, records, new ArrayList<>(layers.values()), List.of());
    }

    /** The chain ID of every prefix of a stack, computed here from the OCI image-spec's definition. */
    private static List<String> chainIdsOf(List<String> diffIds) throws Exception {
        List<String> out = new ArrayList<>();
        String chain = null;
        for (String diff : diffIds) {
            if (chain == null) {
                chain = diff;
            } else {
                byte[] hash = MessageDigest.getInstance("SHA-256").digest((chain + " " + diff).getBytes(StandardCharsets.UTF_8));
                chain = "sha256:" + HexFormat.of().formatHex(hash);
            }
            out.add(chain);
        }
        return out;
    }

    @Test
    void every_fleet_main_host_indexed_together_gives_the_host_and_image_counts_that_truth_implies() throws Exception {
        Map<String, List<TruthImage>> fleet = truth();
        assertThat(fleet).containsKeys("batch-01", "build-01", "legacy-01", "web-01", "web-02");

        Map<String, Set<String>> hostsByLayer = new TreeMap<>();
        Map<String, Set<String>> imagesByLayer = new TreeMap<>();
        for (var host : fleet.entrySet()) {
            for (TruthImage image : host.getValue()) {
                for (String chain : chainIdsOf(image.diffIds())) {
                    hostsByLayer.computeIfAbsent(chain, c -> new TreeSet<>()).add(host.getKey());
                    imagesByLayer.computeIfAbsent(chain, c -> new TreeSet<>()).add(image.id());
                }
            }
        }
        List<String> expected = new ArrayList<>();
        hostsByLayer.forEach((chain, hosts) -> expected.add(chain + " hosts=" + hosts.size() + " images=" + imagesByLayer.get(chain).size()));
        expected.sort(null);
        assertThat(expected).as("fleet-main shares layers across hosts").anyMatch(l -> !l.contains(" hosts=1 "));

        String prefix = unique("fleet") + ".";
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 2, prefix);
        try (TestKafka producer = new TestKafka(kafka.bootstrapServers(), prefix);
             Database db = database(unique("fleet"));
             Indexer indexer = new Indexer(config(prefix, unique("g")), db, new SimpleMeterRegistry())) {
            fleet.forEach((host, images) -> producer.send(snapshot(host, images)));
            producer.flush();
            indexer.start();
            awaitCaughtUp(indexer);

            Map<String, List<String>> d = IndexDump.of(db.dataSource(), "layer_usage", "image_parents", "layers");
            assertThat(d.get("layer_usage")).isEqualTo(expected);
            assertThat(new IndexWriter(db).recount()).isZero();
            // build-01's classic builder kept parent chains: Docker's parent is recorded beside the inferred base.
            assertThat(d.get("image_parents")).anyMatch(l -> l.contains(" docker-parent ")).anyMatch(l -> l.contains(" inferred-base "));
            // The inferred base: longest prefix, then tagged on some host, then the smallest ID (builder intermediates
            // and legacy-01's copies share the stacks of tagged images).
            assertThat(d.get("image_parents").stream().filter(l -> l.contains(" inferred-base ")).toList())
                    .isEqualTo(expectedBases(fleet))
                    .contains(imageTagged(fleet, "127.0.0.1:5055/shop/worker:1.0") + " inferred-base "
                            + imageTagged(fleet, "127.0.0.1:5055/shop/api:1.0"));
            // legacy-01's v1 layer IDs reached the layers they belong to.
            assertThat(d.get("layers")).anyMatch(l -> !l.endsWith(" v1=-"));
        }
    }

    private static String imageTagged(Map<String, List<TruthImage>> fleet, String tag) {
        return fleet.values().stream().flatMap(List::stream).filter(i -> i.tags().contains(tag)).findFirst().orElseThrow().id();
    }

    /** Lines of the dump's inferred bases, computed from truth alone. */
    private static List<String> expectedBases(Map<String, List<TruthImage>> fleet) {
        Map<String, List<String>> stacks = new TreeMap<>();
        Set<String> tagged = new TreeSet<>();
        fleet.values().forEach(images -> images.forEach(i -> {
            stacks.putIfAbsent(i.id(), i.diffIds());
            if (!i.tags().isEmpty()) {
                tagged.add(i.id());
            }
        }));
        List<String> out = new ArrayList<>();
        stacks.forEach((x, stack) -> stacks.entrySet().stream()
                .filter(b -> b.getValue().size() < stack.size() && stack.subList(0, b.getValue().size()).equals(b.getValue()))
                .min(java.util.Comparator.<Map.Entry<String, List<String>>>comparingInt(b -> -b.getValue().size())
                        .thenComparing(b -> tagged.contains(b.getKey()) ? 0 : 1)
                        .thenComparing(Map.Entry::getKey))
                .ifPresent(b -> out.add(x + " inferred-base " + b.getKey())));
        out.sort(null);
        return out;
    }
}
