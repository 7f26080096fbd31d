package io.layeratlas.ingest.containerd;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.ChainIds;
import io.layeratlas.events.CompressedDigest;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;
import io.layeratlas.ingest.SourceScan;
import io.layeratlas.ingest.UnreadableSourceException;
import io.layeratlas.ingest.internal.DockerReferences;
import io.layeratlas.ingest.internal.GoJson;
import io.layeratlas.ingest.internal.HistorySizes;
import io.layeratlas.ingest.internal.ImageConfig;
import io.layeratlas.ingest.internal.SafeFiles;
import io.layeratlas.ingest.internal.SharedSizes;
import io.layeratlas.ingest.internal.UnreadableItemException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads Docker's containerd image store (Docker 24+ with the {@code containerd-snapshotter} feature; the default
 * for new installs since Docker 29) from disk, daemon stopped, as Docker's Engine API gives it for that store
 * (moby {@code daemon/containerd/image.go}, {@code image_list.go}, {@code image_history.go}, Docker 26).
 *
 * <p>Where the store is ({@link #locate}): {@code <data-root>/containerd/daemon/} when dockerd runs its own
 * containerd; the folder itself when it is a containerd root; else, for a folder named {@code docker} with no
 * {@code image/} folder, {@code containerd/} beside it ({@code /var/lib/containerd} beside {@code /var/lib/docker})
 * when dockerd uses the system's containerd.
 *
 * <p>What is read (containerd {@code core/metadata/buckets.go}, {@code images.go}, {@code snapshot.go};
 * {@code snapshots/storage/bolt.go}), all read-only with {@link BoltFile}:
 * <ul>
 *   <li>{@code io.containerd.metadata.v1.bolt/meta.db}, bucket {@code v1/moby/images/<name>}: {@code target/digest},
 *       {@code target/mediatype}, {@code target/size} (a Go varint) and {@code labels/}. An image named
 *       {@code moby-dangling@<digest>} is Docker's untagged image. Every other name is a repo tag; its repo
 *       digest is {@code <name>@<target digest>}, also for a loaded image, as {@code image inspect} gives it (which
 *       repeats it once per tag of the same repository; kept once here).</li>
 *   <li>{@code io.containerd.content.v1.content/blobs/sha256/<hex>}: the manifest or index, the image config
 *       (OCI image-spec {@code manifest.md}, {@code image-index.md}, {@code config.md}; Docker's media types
 *       too). Of an index, the manifest for this machine's platform is taken when its content is here, else
 *       the first whose manifest and config are here (Docker takes its daemon's platform).</li>
 *   <li>{@code v1/moby/snapshots/<snapshotter>/<chain id>/name}: the snapshotter's own key for each layer, and
 *       {@code io.containerd.snapshotter.v1.<snapshotter>/metadata.db}, {@code v1/snapshots/<key>/size}: a
 *       committed layer's unpacked bytes (Go varint).</li>
 * </ul>
 *
 * <p>Values, as the API gives them for this store (sizes in bytes):
 * <ul>
 *   <li>Image ID: the target digest (the manifest or index digest), not the config digest.</li>
 *   <li>{@link ImageRecord#size()}: {@code docker image inspect .Size}: the descriptor sizes of the target, the
 *       manifest taken from an index, its config and its layers (the content as stored, compressed).</li>
 *   <li>{@code docker image ls .Size} is not a field: it is {@code image inspect .Size} plus the sizes of the
 *       image's layers ({@link LayerRecord#size()} of each chain ID), the unpacked snapshots.</li>
 *   <li>{@link LayerRecord#size()} and {@code history[].size}: the layer's snapshot size, -1 (history: 0) when
 *       the layer is not unpacked.</li>
 *   <li>Shared size: the sizes of the image's layers that another image also uses ({@link SharedSizes}, every
 *       image counted); unique size: {@code image inspect .Size} less that. Containers: -1 (unknown: containers
 *       are not counted in this store). Parent: the label {@code org.mobyproject.image.parent}, else none.</li>
 * </ul>
 * A bad image (missing blob, unreadable JSON, unknown media type) is left out with a {@link Problem} naming the
 * file or bucket; a corrupt bbolt file is a problem naming its page. Stateless and thread-safe.
 */
public final class ContainerdImageStore {
    /** Docker's namespace in containerd ({@code daemon/daemon.go}: {@code ContainerdNamespace} default). */
    static final String NAMESPACE = "moby";
    /** Docker's name for an untagged image ({@code daemon/containerd/image_delete.go}: {@code danglingImageName}). */
    static final String DANGLING_PREFIX = "moby-dangling@";
    static final String PARENT_LABEL = "org.mobyproject.image.parent";
    static final String META_DB = "io.containerd.metadata.v1.bolt/meta.db";
    static final String BLOBS = "io.containerd.content.v1.content/blobs";

    private ContainerdImageStore() {
    }

    /**
     * The containerd root holding Docker's image store for a data-root, if there is one (see the class comment).
     */
    public static Optional<Path> locate(Path dir) {
        for (Path c : List.of(dir.resolve("containerd/daemon"), dir)) {
            if (Files.isRegularFile(c.resolve(META_DB))) {
                return Optional.of(c);
            }
        }
        Path parent = dir.toAbsolutePath().normalize().getParent();
        Path name = dir.toAbsolutePath().normalize().getFileName();
        if (parent != null && name != null && name.toString().equals("docker") && !Files.isDirectory(dir.resolve("image"))
                && Files.isRegularFile(parent.resolve("containerd").resolve(META_DB))) {
            return Optional.of(parent.resolve("containerd"));
        }
        return Optional.empty();
    }

    /**
     * Reads the store.
     *
     * @param source the source as given (copied into the inventory)
     * @param kind   the inventory's kind
     * @param root   the containerd root ({@link #locate})
     * @throws UnreadableSourceException if {@code meta.db} cannot be opened or has no {@code moby} namespace
     */
    public static SourceScan read(String source, String kind, Path root, String hostId) {
        SafeFiles files;
        try {
            files = new SafeFiles(root);
        } catch (IOException e) {
            throw new UnreadableSourceException(source, "cannot open " + root + ": " + e.getMessage(), e);
        }
        List<Problem> problems = new ArrayList<>();
        Map<Digest, ImageRecord> images = new TreeMap<>();
        Map<Digest, LayerRecord> layers = new TreeMap<>();
        Map<Digest, byte[]> configs = new HashMap<>();
        String metaWhere = files.rel(root.resolve(META_DB));
        try (BoltFile meta = BoltFile.open(root.resolve(META_DB), metaWhere)) {
            BoltFile.Bucket ns = meta.root().bucket("v1").flatMap(v1 -> v1.bucket(NAMESPACE))
                    .orElseThrow(() -> new UnreadableSourceException(source, metaWhere
                            + " has no bucket v1/" + NAMESPACE + ": Docker has stored no image in it"));
            new Reading(files, problems, metaWhere).read(ns, images, layers, configs);
        } catch (UnreadableItemException e) {
            throw new UnreadableSourceException(source, e.getMessage(), e);
        }
        HostInventory inv = new HostInventory(source, kind, hostId, Instant.now(), new ArrayList<>(images.values()),
                new ArrayList<>(layers.values()), problems);
        return new SourceScan(inv, configs);
    }

    /** One image name's record in {@code v1/moby/images}. */
    private record Named(String name, Digest target, String mediaType, long size, Map<String, String> labels) {
        boolean dangling() {
            return name.startsWith(DANGLING_PREFIX);
        }
    }

    /** One image as read from content, before sizes. */
    private record Loaded(Digest id, List<Named> names, byte[] configBytes, ImageConfig config, List<Digest> chainIds,
                          List<CompressedDigest> blobs, long contentSize, Digest parent, String configPath) {
    }

    private static final class Reading {
        private final SafeFiles files;
        private final List<Problem> problems;
        private final String metaWhere;

        Reading(SafeFiles files, List<Problem> problems, String metaWhere) {
            this.files = files;
            this.problems = problems;
            this.metaWhere = metaWhere;
        }

        void read(BoltFile.Bucket ns, Map<Digest, ImageRecord> images, Map<Digest, LayerRecord> layers,
                  Map<Digest, byte[]> configs) {
            // names in key order, grouped by target: the order images.List gives and Docker prints
            Map<Digest, List<Named>> byTarget = new LinkedHashMap<>();
            Optional<BoltFile.Bucket> imagesBucket = bucket(ns, "images");
            for (BoltFile.Entry e : imagesBucket.map(this::entries).orElse(List.of())) {
                if (!e.isBucket()) {
                    continue;
                }
                String where = metaWhere + ": " + imagesBucket.get().path() + "/" + e.name();
                try {
                    Named n = named(imagesBucket.get().open(e), e.name(), where);
                    byTarget.computeIfAbsent(n.target(), t -> new ArrayList<>()).add(n);
                } catch (UnreadableItemException x) {
                    problems.add(x.toProblem());
                }
            }
            Map<Digest, Long> snapshotSizes = snapshotSizes(ns);

            List<Loaded> loaded = new ArrayList<>();
            for (Map.Entry<Digest, List<Named>> t : byTarget.entrySet()) {
                try {
                    loaded.add(load(t.getKey(), t.getValue()));
                } catch (UnreadableItemException x) {
                    problems.add(new Problem(x.path(), x.reason() + "; image " + t.getKey() + " ("
                            + t.getValue().get(0).name() + ") is left out"));
                }
            }
            Map<Digest, List<Long>> layerSizes = new HashMap<>();
            List<SharedSizes.Image> forShared = new ArrayList<>();
            for (Loaded l : loaded) {
                List<Long> sizes = new ArrayList<>();
                for (Digest c : l.chainIds()) {
                    sizes.add(snapshotSizes.getOrDefault(c, -1L));
                }
                layerSizes.put(l.id(), sizes);
                forShared.add(new SharedSizes.Image(l.id(), true, null, l.chainIds(), sizes));
            }
            Map<Digest, SharedSizes.Sizes> shared = SharedSizes.of(forShared);
            for (Loaded l : loaded) {
                List<Long> sizes = layerSizes.get(l.id());
                List<Digest> diffIds = l.config().diffIds();
                for (int i = 0; i < diffIds.size(); i++) {
                    List<CompressedDigest> blob = i < l.blobs().size() ? List.of(l.blobs().get(i)) : List.of();
                    LayerRecord layer = new LayerRecord(l.chainIds().get(i), diffIds.get(i),
                            i == 0 ? null : l.chainIds().get(i - 1), sizes.get(i), blob, null, null);
                    layers.merge(layer.chainId(), layer, ContainerdImageStore::mergeLayers);
                }
                List<HistoryEntry> history = HistorySizes.of(l.config().history(), sizes, l.configPath(), problems);
                long sharedSize = shared.get(l.id()).shared();
                List<String> tags = new ArrayList<>();
                List<String> digests = new ArrayList<>();
                for (Named n : l.names()) {
                    if (n.dangling()) {
                        continue;
                    }
                    Optional<DockerReferences.Parsed> p = DockerReferences.parse(n.name());
                    if (p.isEmpty()) {
                        problems.add(new Problem(metaWhere + ": v1/moby/images/" + n.name(),
                                "not an image reference; left out of the tags"));
                        continue;
                    }
                    if (p.get().isDigest()) {
                        if (!digests.contains(DockerReferences.familiar(n.name()))) {
                            digests.add(DockerReferences.familiar(n.name()));
                        }
                    } else {
                        tags.add(DockerReferences.familiar(n.name()));
                        String digested = DockerReferences.familiar(p.get().name()) + "@" + l.id();
                        // inspect repeats name@digest once per tag of the same repository: kept once
                        if (!digests.contains(digested)) {
                            digests.add(digested);
                        }
                    }
                }
                images.put(l.id(), new ImageRecord(l.id(), tags, digests, l.parent(), l.config().created(),
                        l.contentSize(), diffIds, l.chainIds(), history, -1, sharedSize,
                        sharedSize >= 0 ? l.contentSize() - sharedSize : -1, l.config().os(),
                        l.config().architecture()));
                configs.put(l.id(), l.configBytes());
            }
        }

        private List<BoltFile.Entry> entries(BoltFile.Bucket b) {
            try {
                return b.entries();
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
                return List.of();
            }
        }

        private Optional<BoltFile.Bucket> bucket(BoltFile.Bucket b, String name) {
            try {
                return b.bucket(name);
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
                return Optional.empty();
            }
        }

        private Named named(BoltFile.Bucket img, String name, String where) {
            BoltFile.Bucket target = img.bucket("target")
                    .orElseThrow(() -> new UnreadableItemException(where, "has no target bucket"));
            String digest = target.get("digest").map(ContainerdImageStore::text)
                    .orElseThrow(() -> new UnreadableItemException(where, "has no target/digest"));
            Digest d;
            try {
                d = Digest.parse(digest);
            } catch (IllegalArgumentException e) {
                throw new UnreadableItemException(where, "target/digest is not a digest: " + e.getMessage());
            }
            String mediaType = target.get("mediatype").map(ContainerdImageStore::text).orElse("");
            long size = target.get("size").map(v -> varint(v, where + "/target/size")).orElse(-1L);
            Map<String, String> labels = new LinkedHashMap<>();
            img.bucket("labels").ifPresent(l -> {
                for (BoltFile.Entry e : l.entries()) {
                    if (!e.isBucket()) {
                        labels.put(e.name(), text(e.value()));
                    }
                }
            });
            return new Named(name, d, mediaType, size, labels);
        }

        /** Chain ID to snapshot size, over every snapshotter Docker's namespace uses. */
        private Map<Digest, Long> snapshotSizes(BoltFile.Bucket ns) {
            Map<Digest, Long> out = new HashMap<>();
            Optional<BoltFile.Bucket> snapshots = bucket(ns, "snapshots");
            for (BoltFile.Entry s : snapshots.map(this::entries).orElse(List.of())) {
                if (!s.isBucket()) {
                    continue;
                }
                String snapshotter = s.name();
                Path db = files.root().resolve("io.containerd.snapshotter.v1." + snapshotter).resolve("metadata.db");
                Map<String, Long> sizeByKey = new HashMap<>();
                if (!Files.isRegularFile(db)) {
                    problems.add(new Problem(files.rel(db), "missing: the sizes of the " + snapshotter
                            + " snapshots are unknown"));
                    continue;
                }
                try (BoltFile f = BoltFile.open(db, files.rel(db))) {
                    f.root().bucket("v1").flatMap(v1 -> v1.bucket("snapshots")).ifPresent(b -> {
                        for (BoltFile.Entry e : b.entries()) {
                            if (e.isBucket()) {
                                b.open(e).get("size").ifPresent(v -> sizeByKey.put(e.name(),
                                        varint(v, files.rel(db) + ": v1/snapshots/" + e.name() + "/size")));
                            }
                        }
                    });
                } catch (UnreadableItemException e) {
                    problems.add(e.toProblem());
                }
                BoltFile.Bucket byChain = snapshots.get().open(s);
                for (BoltFile.Entry e : entries(byChain)) {
                    if (!e.isBucket()) {
                        continue;
                    }
                    String where = metaWhere + ": " + byChain.path() + "/" + e.name();
                    try {
                        Digest chain = Digest.parse(e.name());
                        byChain.open(e).get("name").map(ContainerdImageStore::text).map(sizeByKey::get)
                                .ifPresent(size -> out.putIfAbsent(chain, size));
                    } catch (IllegalArgumentException x) {
                        // active (container) snapshots have keys that are not chain IDs: not layers
                    } catch (UnreadableItemException x) {
                        problems.add(new Problem(where, x.reason()));
                    }
                }
            }
            return out;
        }

        private Loaded load(Digest target, List<Named> names) {
            Named first = names.get(0);
            long size = first.size() >= 0 ? first.size() : 0;
            JsonNode doc = json(target, "manifest or index");
            String mediaType = first.mediaType().isEmpty() ? GoJson.text(doc, "mediaType") : first.mediaType();
            Digest manifestDigest = target;
            JsonNode manifest = doc;
            if (isIndex(mediaType, doc)) {
                Digest chosen = chooseManifest(target, doc);
                manifestDigest = chosen;
                manifest = json(chosen, "manifest");
                size += descriptorSize(doc, chosen);
            }
            String mpath = blobPath(manifestDigest);
            JsonNode config = GoJson.field(manifest, "config");
            Digest configDigest = GoJson.digest(config, "digest", mpath + ": config");
            size += config.path("size").asLong(0);
            List<CompressedDigest> blobs = new ArrayList<>();
            JsonNode layers = GoJson.field(manifest, "layers");
            if (layers.isArray()) {
                for (int i = 0; i < layers.size(); i++) {
                    JsonNode l = layers.get(i);
                    size += l.path("size").asLong(0);
                    blobs.add(new CompressedDigest(GoJson.digest(l, "digest", mpath + ": layers[" + i + "]"),
                            GoJson.text(l, "mediaType"), null));
                }
            }
            byte[] configBytes = files.read(blob(configDigest));
            String cpath = blobPath(configDigest);
            ImageConfig cfg = ImageConfig.parse(configBytes, cpath, problems);
            Digest parent = null;
            for (Named n : names) {
                String p = n.labels().get(PARENT_LABEL);
                if (p != null && !p.isEmpty() && parent == null) {
                    try {
                        parent = Digest.parse(p);
                    } catch (IllegalArgumentException e) {
                        problems.add(new Problem(metaWhere + ": v1/moby/images/" + n.name() + "/labels",
                                PARENT_LABEL + " is not a digest: " + e.getMessage()));
                    }
                }
            }
            return new Loaded(target, names, configBytes, cfg, ChainIds.of(cfg.diffIds()), blobs, size, parent,
                    cpath);
        }

        private static boolean isIndex(String mediaType, JsonNode doc) {
            return mediaType.equals("application/vnd.oci.image.index.v1+json")
                    || mediaType.equals("application/vnd.docker.distribution.manifest.list.v2+json")
                    || (mediaType.isEmpty() && GoJson.field(doc, "manifests").isArray());
        }

        /** The index's manifest for this machine's platform whose content is here, else the first one here. */
        private Digest chooseManifest(Digest index, JsonNode doc) {
            String path = blobPath(index);
            JsonNode ms = GoJson.field(doc, "manifests");
            if (!ms.isArray()) {
                throw new UnreadableItemException(path, "manifests is not an array");
            }
            String arch = switch (System.getProperty("os.arch")) {
                case "amd64", "x86_64" -> "amd64";
                case "aarch64", "arm64" -> "arm64";
                default -> System.getProperty("os.arch");
            };
            Digest firstPresent = null;
            for (int i = 0; i < ms.size(); i++) {
                JsonNode m = ms.get(i);
                Digest d = GoJson.digest(m, "digest", path + ": manifests[" + i + "]");
                if (!Files.isRegularFile(blob(d))) {
                    continue;
                }
                JsonNode platform = GoJson.field(m, "platform");
                if ("linux".equals(GoJson.text(platform, "os"))
                        && arch.equals(GoJson.text(platform, "architecture"))) {
                    return d;
                }
                if (firstPresent == null && (!"unknown".equals(GoJson.text(platform, "os")))) {
                    firstPresent = d;
                }
            }
            if (firstPresent == null) {
                throw new UnreadableItemException(path, "none of the index's " + ms.size()
                        + " manifests is in the content store");
            }
            return firstPresent;
        }

        private static long descriptorSize(JsonNode index, Digest d) {
            for (JsonNode m : GoJson.field(index, "manifests")) {
                if (d.toString().equals(GoJson.text(m, "digest"))) {
                    return m.path("size").asLong(0);
                }
            }
            return 0;
        }

        private JsonNode json(Digest d, String what) {
            return GoJson.parseObject(files.read(blob(d)), blobPath(d), what);
        }

        private Path blob(Digest d) {
            return files.root().resolve(BLOBS).resolve(d.algorithm()).resolve(d.hex());
        }

        private String blobPath(Digest d) {
            return files.rel(blob(d));
        }
    }

    /** Two images' views of one layer: keep a known size, and every blob digest seen for it. */
    private static LayerRecord mergeLayers(LayerRecord a, LayerRecord b) {
        List<CompressedDigest> blobs = new ArrayList<>(a.compressedDigests());
        for (CompressedDigest c : b.compressedDigests()) {
            if (blobs.stream().noneMatch(x -> x.digest().equals(c.digest()))) {
                blobs.add(c);
            }
        }
        return new LayerRecord(a.chainId(), a.diffId(), a.parentChainId(), a.size() >= 0 ? a.size() : b.size(),
                blobs, null, null);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * A Go signed varint ({@code encoding/binary.PutVarint}: zigzag, 7 bits a byte, low groups first).
     *
     * @throws UnreadableItemException naming {@code where} if it is empty, longer than 10 bytes or overflows
     */
    static long varint(byte[] b, String where) {
        long ux = 0;
        int shift = 0;
        for (int i = 0; i < b.length; i++) {
            int c = b[i] & 0xff;
            if (i == 9 && c > 1) {
                throw new UnreadableItemException(where, "varint overflows 64 bits");
            }
            ux |= (long) (c & 0x7f) << shift;
            if (c < 0x80) {
                return (ux >>> 1) ^ -(ux & 1);
            }
            shift += 7;
            if (i == 9) {
                break;
            }
        }
        throw new UnreadableItemException(where, "not a varint (" + b.length + " bytes, unterminated)");
    }
}
