package io.layeratlas.ingest.archive;

import io.layeratlas.events.ChainIds;
import io.layeratlas.events.CompressedDigest;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;
import io.layeratlas.ingest.internal.HistorySizes;
import io.layeratlas.ingest.internal.ImageConfig;
import io.layeratlas.ingest.internal.SharedSizes;
import io.layeratlas.ingest.internal.UnreadableItemException;
import io.layeratlas.ingest.packages.LayerDatabases;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns {@link FoundImage}s into image and layer records: image ID = sha256 of the config; diff IDs from
 * the config, checked against the hashes of the layer streams (a mismatch is a problem: Docker would refuse
 * to load it); layer size = the sum of the layer tar's regular files; compressed digests = the blob digests
 * of compressed layers; shared and unique size by Docker's rule ({@link SharedSizes}) over the images found, as
 * on a host that loaded them; each layer's package databases, read on the walk that hashed its stream, by diff ID
 * (only where the stream hashes to the config's diff ID: the events are content-addressed).
 */
public final class ImageAssembler {
    private final Map<Digest, ImageRecord> images = new TreeMap<>();
    private final Map<Digest, LayerRecord> layers = new TreeMap<>();
    private final Map<Digest, byte[]> configs = new HashMap<>();
    private final Map<Digest, LayerDatabases> databases = new HashMap<>();
    private final List<Problem> problems;

    public ImageAssembler(List<Problem> problems) {
        this.problems = problems;
    }

    private record Pending(Digest id, ImageConfig config, FoundImage found, List<Long> sizes) {
    }

    private final List<Pending> pending = new ArrayList<>();

    /** Adds one image; a bad config becomes a problem and the image is left out. */
    public void add(FoundImage f) {
        try {
            List<Problem> configProblems = new ArrayList<>();
            ImageConfig config = ImageConfig.parse(f.config(), f.where(), configProblems);
            problems.addAll(configProblems);
            Digest id = Digest.sha256Of(f.config());
            List<Digest> diffIds = config.diffIds();
            List<Digest> chain = ChainIds.of(diffIds);
            if (diffIds.size() != f.layers().size()) {
                problems.add(new Problem(f.where(), "config lists " + diffIds.size() + " diff IDs but the image has "
                        + f.layers().size() + " layers"));
            }
            List<Long> sizes = new ArrayList<>();
            for (int i = 0; i < diffIds.size(); i++) {
                FoundImage.FoundLayer l = i < f.layers().size() ? f.layers().get(i) : null;
                if (l == null) {
                    sizes.add(-1L);
                    continue;
                }
                LayerDigests.Hashes h = l.hashes();
                if (h == null) {
                    // a foreign layer not stored here: its diff ID stands as the config says; size unknown, and no
                    // layer record, since this source does not hold its bytes
                    sizes.add(-1L);
                    continue;
                }
                if (!h.uncompressed().equals(diffIds.get(i))) {
                    problems.add(new Problem(l.where(), "layer stream hashes to " + h.uncompressed()
                            + " but the config's diff_ids[" + i + "] is " + diffIds.get(i)));
                } else if (h.databases() != null) {
                    databases.putIfAbsent(diffIds.get(i), h.databases());
                }
                sizes.add(h.contentSize());
                List<CompressedDigest> blobs = h.compression() == LayerDigests.Compression.NONE ? List.of()
                        : List.of(new CompressedDigest(h.digest(), l.mediaType(), null));
                LayerRecord rec = new LayerRecord(chain.get(i), diffIds.get(i), i == 0 ? null : chain.get(i - 1),
                        h.contentSize(), blobs, null, l.v1Id());
                layers.merge(rec.chainId(), rec, (a, b) -> {
                    List<CompressedDigest> all = new ArrayList<>(a.compressedDigests());
                    b.compressedDigests().stream().filter(d -> !all.contains(d)).forEach(all::add);
                    return new LayerRecord(a.chainId(), a.diffId(), a.parentChainId(), a.size(), all, a.cacheId(),
                            a.v1Id() != null ? a.v1Id() : b.v1Id());
                });
            }
            pending.add(new Pending(id, config, f, sizes));
            configs.putIfAbsent(id, f.config());
        } catch (UnreadableItemException e) {
            problems.add(e.toProblem());
        }
    }

    /** Image records of everything added, with sizes and shared sizes. */
    public List<ImageRecord> images() {
        Map<Digest, Pending> unique = new java.util.LinkedHashMap<>();
        for (Pending p : pending) {
            unique.merge(p.id(), p, (a, b) -> new Pending(a.id(), a.config(), new FoundImage(a.found().where(),
                    a.found().config(), union(a.found().repoTags(), b.found().repoTags()), a.found().parent(),
                    a.found().layers()), a.sizes()));
        }
        Map<Digest, SharedSizes.Sizes> sizes = SharedSizes.of(unique.values().stream()
                .map(p -> new SharedSizes.Image(p.id(), !p.found().repoTags().isEmpty(), p.found().parent(),
                        ChainIds.of(p.config().diffIds()), p.sizes()))
                .toList());
        for (Pending p : unique.values()) {
            List<Digest> chain = ChainIds.of(p.config().diffIds());
            SharedSizes.Sizes s = sizes.get(p.id());
            List<HistoryEntry> history = HistorySizes.of(p.config().history(), p.sizes(), p.found().where(), problems);
            images.put(p.id(), new ImageRecord(p.id(), p.found().repoTags(), List.of(), p.found().parent(),
                    p.config().created(), s.size(), p.config().diffIds(), chain, history, 0,
                    s.shared(), s.unique(), p.config().os(), p.config().architecture()));
        }
        return new ArrayList<>(images.values());
    }

    public List<LayerRecord> layers() {
        return new ArrayList<>(layers.values());
    }

    public Map<Digest, byte[]> configs() {
        return configs;
    }

    /** Diff ID to the package databases of that layer's tar stream, for the layers whose stream was read. */
    public Map<Digest, LayerDatabases> layerDatabases() {
        return databases;
    }

    private static List<String> union(List<String> a, List<String> b) {
        java.util.TreeSet<String> s = new java.util.TreeSet<>(a);
        s.addAll(b);
        return List.copyOf(s);
    }
}
