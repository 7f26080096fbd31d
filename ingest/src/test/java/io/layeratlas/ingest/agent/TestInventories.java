package io.layeratlas.ingest.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.ChainIds;
import io.layeratlas.events.Digest;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;
import io.layeratlas.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Inventories for agent tests: from Docker's own answers in the fixtures, or generated. */
final class TestInventories {
    private TestInventories() {
    }

    /**
     * A fleet-main host as {@code docker image inspect} described it ({@code truth/<host>/image-inspect.json}),
     * with each image's config text verbatim from the host's data-root ({@code imagedb/content/sha256/<hex>}).
     */
    static InventorySource.Scan fromTruth(String host, String hostId) {
        try {
            JsonNode inspect = EventCodec.mapper().readTree(Fixtures.truth(host).resolve("image-inspect.json").toFile());
            Path content = Fixtures.dataRoot(host).resolve("image/overlay2/imagedb/content/sha256");
            List<ImageRecord> images = new ArrayList<>();
            Map<Digest, LayerRecord> layers = new LinkedHashMap<>();
            Map<Digest, String> configs = new LinkedHashMap<>();
            for (JsonNode i : inspect) {
                Digest id = Digest.parse(i.get("Id").asText());
                List<Digest> diffIds = new ArrayList<>();
                i.path("RootFS").path("Layers").forEach(l -> diffIds.add(Digest.parse(l.asText())));
                List<Digest> chainIds = ChainIds.of(diffIds);
                String parent = i.path("Parent").asText("");
                images.add(new ImageRecord(id, strings(i.get("RepoTags")), strings(i.get("RepoDigests")),
                        parent.isEmpty() ? null : Digest.parse(parent), Instant.parse(i.get("Created").asText()),
                        i.get("Size").asLong(), diffIds, chainIds, List.of(), -1, -1, -1,
                        i.path("Os").asText(null), i.path("Architecture").asText(null)));
                for (int k = 0; k < diffIds.size(); k++) {
                    layers.putIfAbsent(chainIds.get(k), LayerRecord.of(chainIds.get(k), diffIds.get(k),
                            k == 0 ? null : chainIds.get(k - 1), -1));
                }
                configs.put(id, Files.readString(content.resolve(id.hex())));
            }
            HostInventory inv = new HostInventory("/var/lib/docker", "data-root", hostId, Instant.now(), images,
                    List.copyOf(layers.values()), List.of());
            return new InventorySource.Scan(inv, configs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A made-up host with {@code count} images of three layers each; {@code seed} makes the digests differ. */
    static InventorySource.Scan generated(String hostId, int count, String seed) {
        List<ImageRecord> images = new ArrayList<>();
        Map<Digest, LayerRecord> layers = new LinkedHashMap<>();
        Map<Digest, String> configs = new LinkedHashMap<>();
        Digest base = Digest.sha256Of("base " + seed);
        for (int n = 0; n < count; n++) {
            List<Digest> diffIds = List.of(base, Digest.sha256Of(seed + " mid " + (n % 10)), Digest.sha256Of(seed + " top " + n));
            List<Digest> chainIds = ChainIds.of(diffIds);
            String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"n\":\"" + n + "\",\"seed\":\""
                    + seed + "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffIds.get(0) + "\",\"" + diffIds.get(1)
                    + "\",\"" + diffIds.get(2) + "\"]}}";
            Digest id = Digest.sha256Of(config);
            images.add(new ImageRecord(id, List.of("example.invalid/" + seed + "/app-" + n + ":1.0"), List.of(), null,
                    Instant.parse("2024-01-01T00:00:00Z"), 3000, diffIds, chainIds, List.of(), 0, -1, -1, "linux", "amd64"));
            for (int k = 0; k < 3; k++) {
                layers.putIfAbsent(chainIds.get(k), LayerRecord.of(chainIds.get(k), diffIds.get(k), k == 0 ? null : chainIds.get(k - 1), 1000));
            }
            configs.put(id, config);
        }
        HostInventory inv = new HostInventory("/var/lib/docker", "data-root", hostId, Instant.now(), images,
                List.copyOf(layers.values()), List.of(new Problem("image/overlay2/imagedb/content/sha256/00", "zero-byte config")));
        return new InventorySource.Scan(inv, configs);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }
}
