package io.layeratlas.db.index;

import io.layeratlas.events.ChainIds;
import io.layeratlas.events.CompressedDigest;
import io.layeratlas.events.Digest;
import io.layeratlas.events.Heartbeat;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Made-up but well-formed events for tests: a pool of images built on a few shared bases (so layers are shared
 * across images and hosts, and some images extend others), snapshots of hosts holding some of them, configs
 * and heartbeats. Deterministic for a seed.
 */
public final class SyntheticFleet {
    public static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

    private final Random random;
    private final List<ImageRecord> images = new ArrayList<>();

    public SyntheticFleet(long seed, int imageCount) {
        random = new Random(seed);
        List<List<Digest>> stacks = new ArrayList<>();
        for (int b = 0; b < 3; b++) {
            stacks.add(diffs(1 + b));
        }
        for (int i = 0; i < imageCount; i++) {
            List<Digest> stack;
            if (i < 3) {
                stack = stacks.get(i);
            } else {
                // Build on a base or on an earlier image, so there are inferred bases of several depths.
                List<Digest> below = stacks.get(random.nextInt(stacks.size()));
                stack = new ArrayList<>(below);
                stack.addAll(diffs(1 + random.nextInt(3)));
            }
            stacks.add(stack);
            images.add(image(i, stack, i > 3 && random.nextInt(4) == 0 ? images.get(random.nextInt(i)).id() : null));
        }
    }

    public List<ImageRecord> images() {
        return images;
    }

    /** Some images of the pool, chosen at random (at least one). */
    public List<ImageRecord> someImages(int max) {
        List<ImageRecord> pool = new ArrayList<>(images);
        java.util.Collections.shuffle(pool, random);
        return List.copyOf(pool.subList(0, 1 + random.nextInt(Math.min(max, pool.size()))));
    }

    public Random random() {
        return random;
    }

    private List<Digest> diffs(int n) {
        List<Digest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Digest.sha256Of("layer " + random.nextLong()));
        }
        return out;
    }

    private ImageRecord image(int n, List<Digest> diffIds, Digest parent) {
        String config = configJson(n, diffIds);
        Digest id = Digest.sha256Of(config);
        List<HistoryEntry> history = new ArrayList<>();
        for (int i = 0; i < diffIds.size(); i++) {
            history.add(new HistoryEntry(T0.minusSeconds(1000 - i), "RUN step " + i, null, false, size(diffIds.get(i))));
        }
        history.add(new HistoryEntry(T0.minusSeconds(10), "CMD [\"run\"]", null, true, 0));
        List<Digest> chainIds = ChainIds.of(diffIds);
        long total = diffIds.stream().mapToLong(SyntheticFleet::size).sum();
        return new ImageRecord(id, List.of("shop/app" + n + ":1." + n), List.of("shop/app" + n + "@" + Digest.sha256Of("manifest " + n)),
                parent, T0.minusSeconds(100 + n), total, diffIds, chainIds, history, n % 3, -1, -1, "linux", "amd64");
    }

    public static String configJson(int n, List<Digest> diffIds) {
        StringBuilder sb = new StringBuilder("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"run" + n + "\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[");
        for (int i = 0; i < diffIds.size(); i++) {
            sb.append(i == 0 ? "" : ",").append('"').append(diffIds.get(i)).append('"');
        }
        return sb.append("]}}").toString();
    }

    /** A layer's size: a function of its diff ID, so every host reports the same. */
    static long size(Digest diffId) {
        return 1000 + Math.floorMod(diffId.hex().hashCode(), 1_000_000);
    }

    public ImageConfigEvent config(ImageRecord image) {
        int n = images.indexOf(image);
        return ImageConfigEvent.of(configJson(n, image.diffIds()), image);
    }

    /** A one-chunk snapshot of a host holding {@code held}; its layers are every chain ID of their stacks. */
    public static HostSnapshot snapshot(String host, long generation, List<ImageRecord> held) {
        return chunks(host, generation, held, 1).get(0);
    }

    /** The same snapshot cut into {@code chunkCount} chunks (images and layers spread over them). */
    public static List<HostSnapshot> chunks(String host, long generation, List<ImageRecord> held, int chunkCount) {
        Map<Digest, LayerRecord> layers = new LinkedHashMap<>();
        for (ImageRecord image : held) {
            for (int i = 0; i < image.chainIds().size(); i++) {
                Digest diff = image.diffIds().get(i);
                layers.putIfAbsent(image.chainIds().get(i), new LayerRecord(image.chainIds().get(i), diff,
                        i == 0 ? null : image.chainIds().get(i - 1), size(diff),
                        List.of(new CompressedDigest(Digest.sha256Of("gz " + diff), "application/vnd.oci.image.layer.v1.tar+gzip", null)),
                        "cache" + diff.shortHex(), null));
            }
        }
        List<LayerRecord> allLayers = new ArrayList<>(layers.values());
        List<HostSnapshot> out = new ArrayList<>();
        for (int c = 0; c < chunkCount; c++) {
            List<ImageRecord> imgs = new ArrayList<>();
            for (int i = c; i < held.size(); i += chunkCount) {
                imgs.add(held.get(i));
            }
            List<LayerRecord> lays = new ArrayList<>();
            for (int i = c; i < allLayers.size(); i += chunkCount) {
                lays.add(allLayers.get(i));
            }
            out.add(new HostSnapshot(LayerAtlasEvent.SCHEMA_VERSION, host, generation, c, chunkCount,
                    T0.plusSeconds(generation * 60), "test-agent/1", "data-root", "/var/lib/docker", imgs, lays, List.of()));
        }
        return out;
    }

    public static Heartbeat heartbeat(String host, Instant at) {
        return new Heartbeat(LayerAtlasEvent.SCHEMA_VERSION, host, at, "test-agent/1", -1, 60);
    }
}
