package io.layeratlas.ingest.dataroot;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.ChainIds;
import io.layeratlas.events.ContainerRecord;
import io.layeratlas.events.HostMetadata;
import io.layeratlas.events.CompressedDigest;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.SourceScan;
import io.layeratlas.ingest.StorageReader;
import io.layeratlas.ingest.UnreadableSourceException;
import io.layeratlas.ingest.containerd.ContainerdImageStore;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads a Docker data-root ({@code /var/lib/docker}) on disk, without a daemon, for any storage driver
 * (every folder under {@code image/}: overlay2, vfs, btrfs, zfs, fuse-overlayfs…; several are all read).
 * Reads metadata only, never layer contents.
 *
 * <p>What is read, and the moby source that writes it:
 * <ul>
 *   <li>{@code image/<driver>/imagedb/content/sha256/<hex>}: image configs; the image ID is the sha256 of the
 *       bytes and must equal the file name ({@code image/fs.go}, {@code image/store.go}); a mismatch leaves the
 *       image out with a problem, as Docker's own store does.</li>
 *   <li>{@code image/<driver>/imagedb/metadata/sha256/<hex>/parent}: the local-build parent image ID.</li>
 *   <li>{@code image/<driver>/repositories.json}: {@code {"Repositories":{name:{ref:imageId}}}}; refs
 *       {@code name:tag} are repo tags, {@code name@sha256:…} repo digests ({@code reference/store.go}); printed
 *       in Docker's familiar form and order.</li>
 *   <li>{@code image/<driver>/layerdb/sha256/<chain id>/{diff,parent,size,cache-id}}: layers
 *       ({@code layer/filestore.go}); {@code size} is the layer's own bytes ({@code DiffSize}).</li>
 *   <li>{@code image/<driver>/distribution/v2metadata-by-diffid/sha256/<diff hex>}: JSON list of
 *       {@code {Digest, SourceRepository, HMAC}}, the compressed digests ({@code distribution/metadata/v2_metadata_service.go}).</li>
 *   <li>{@code containers/<id>/config.v2.json}: the containers, and the {@code Image} each uses
 *       ({@link ContainerConfigs}).</li>
 * </ul>
 * A data-root without {@code image/<driver>/} whose images are in Docker's containerd image store (Docker with
 * {@code containerd-snapshotter}) is read by {@link ContainerdImageStore}, with that store's image IDs and sizes;
 * when a data-root has both (a host switched stores), Docker uses one of them by its daemon.json, which the
 * data-root does not hold: the graph-driver store is read.
 * Sizes are bytes. An image's size is the sum of its layers' sizes ({@code docker image inspect .Size}); shared
 * and unique size follow Docker's rule in {@link SharedSizes}, over the images of one driver folder.
 * Stateless and thread-safe.
 */
public final class DataRootReader implements StorageReader {

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    @Override
    public SourceKind kind() {
        return SourceKind.DATA_ROOT;
    }

    /**
     * True if the folder holds {@code image/<driver>/imagedb} or {@code image/<driver>/layerdb}, or is a data-root
     * (or containerd root) whose images are in Docker's containerd image store ({@link ContainerdImageStore#locate}).
     */
    public static boolean looksLikeDataRoot(Path dir) {
        return hasGraphDriverStore(dir) || ContainerdImageStore.locate(dir).isPresent();
    }

    private static boolean hasGraphDriverStore(Path dir) {
        Path image = dir.resolve("image");
        if (!Files.isDirectory(image)) {
            return false;
        }
        try (var s = Files.list(image)) {
            return s.anyMatch(d -> Files.isDirectory(d.resolve("imagedb")) || Files.isDirectory(d.resolve("layerdb")));
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public SourceScan read(String source, String hostId) {
        Path root = Path.of(source);
        if (!Files.isDirectory(root)) {
            throw new UnreadableSourceException(source, "not a folder");
        }
        if (!hasGraphDriverStore(root)) {
            Optional<Path> containerd = ContainerdImageStore.locate(root);
            if (containerd.isPresent()) {
                SourceScan scan = ContainerdImageStore.read(source, kind().id(), containerd.get(), hostId);
                List<Problem> problems = new ArrayList<>(scan.inventory().problems());
                List<ContainerRecord> containers = ContainerConfigs.read(SafeFiles.forSource(source), problems);
                HostInventory i = scan.inventory();
                return new SourceScan(new HostInventory(i.source(), i.kind(), i.hostId(), i.scannedAt(), i.images(),
                        i.layers(), problems, containers, new HostMetadata(null, null, source, null, Map.of())),
                        scan.configs());
            }
        }
        SafeFiles files = SafeFiles.forSource(source);
        List<Problem> problems = new ArrayList<>();
        List<Path> drivers = new ArrayList<>();
        try {
            for (Path d : files.list(root.resolve("image"))) {
                if (files.isDirectory(d)) {
                    drivers.add(d);
                }
            }
        } catch (UnreadableItemException e) {
            throw new UnreadableSourceException(source, e.reason(), e);
        }
        if (drivers.isEmpty()) {
            throw new UnreadableSourceException(source, "no image/<driver>/ folder: not a Docker data-root");
        }
        List<ContainerRecord> containerList = ContainerConfigs.read(files, problems);
        Map<Digest, Integer> containers = ContainerConfigs.countByImage(containerList);

        Map<Digest, ImageRecord> images = new TreeMap<>();
        Map<Digest, LayerRecord> layers = new TreeMap<>();
        Map<Digest, byte[]> configs = new HashMap<>();
        for (Path driver : drivers) {
            new DriverStore(files, driver, containers, problems).read(images, layers, configs);
        }
        // The storage driver is the image/<driver>/ folder's name (several when a host switched drivers).
        String driver = String.join(",", drivers.stream().map(d -> d.getFileName().toString()).sorted().toList());
        HostInventory inventory = new HostInventory(source, kind().id(), hostId, Instant.now(),
                new ArrayList<>(images.values()), new ArrayList<>(layers.values()), problems, containerList,
                new HostMetadata(null, driver, source, null, Map.of()));
        return new SourceScan(inventory, configs);
    }

    /** One {@code image/<driver>/} folder. */
    private static final class DriverStore {
        private final SafeFiles files;
        private final Path dir;
        private final Map<Digest, Integer> containers;
        private final List<Problem> problems;

        DriverStore(SafeFiles files, Path dir, Map<Digest, Integer> containers, List<Problem> problems) {
            this.files = files;
            this.dir = dir;
            this.containers = containers;
            this.problems = problems;
        }

        /** An image whose config was read and verified; sizes come later. */
        private record Loaded(Digest id, byte[] bytes, ImageConfig config, List<Digest> chainIds, Digest parent,
                              String path) {
        }

        void read(Map<Digest, ImageRecord> images, Map<Digest, LayerRecord> layers, Map<Digest, byte[]> configs) {
            Map<Digest, List<CompressedDigest>> blobs = readDistribution();
            Map<Digest, LayerRecord> driverLayers = readLayerDb(blobs);
            Map<Digest, References> refs = readRepositories();

            List<Loaded> loaded = readImageDb();
            Map<Digest, List<Long>> layerSizes = new HashMap<>();
            List<SharedSizes.Image> forSizes = new ArrayList<>();
            for (Loaded l : loaded) {
                References r = refs.getOrDefault(l.id(), References.NONE);
                List<Long> sizes = layerSizes(l, driverLayers);
                layerSizes.put(l.id(), sizes);
                forSizes.add(new SharedSizes.Image(l.id(), !r.all().isEmpty(), l.parent(), l.chainIds(), sizes));
            }
            Map<Digest, SharedSizes.Sizes> sizes = SharedSizes.of(forSizes);
            Map<Digest, Boolean> present = new HashMap<>();
            for (Loaded l : loaded) {
                present.put(l.id(), true);
                References r = refs.getOrDefault(l.id(), References.NONE);
                List<HistoryEntry> history = HistorySizes.of(l.config().history(), layerSizes.get(l.id()), l.path(), problems);
                SharedSizes.Sizes s = sizes.get(l.id());
                ImageRecord image = new ImageRecord(l.id(), r.tags(), r.digests(), l.parent(), l.config().created(),
                        s.size(), l.config().diffIds(), l.chainIds(), history, containers.getOrDefault(l.id(), 0),
                        s.shared(), s.unique(), l.config().os(), l.config().architecture());
                images.putIfAbsent(image.id(), image);
                configs.putIfAbsent(image.id(), l.bytes());
            }
            refs.forEach((id, r) -> {
                if (!present.containsKey(id)) {
                    problems.add(new Problem(files.rel(dir.resolve("repositories.json")),
                            "references " + r.all() + " point at image " + id + ", which is not in imagedb"));
                }
            });
            driverLayers.forEach(layers::putIfAbsent);
        }

        /** Each layer's size from layerdb, bottom first; -1 (and a problem) where unknown. */
        private List<Long> layerSizes(Loaded l, Map<Digest, LayerRecord> layers) {
            List<Long> sizes = new ArrayList<>(l.chainIds().size());
            for (int i = 0; i < l.chainIds().size(); i++) {
                Digest chain = l.chainIds().get(i);
                LayerRecord layer = layers.get(chain);
                if (layer == null || layer.size() < 0) {
                    sizes.add(-1L);
                    problems.add(new Problem(l.path(), "layer " + i + " (chain ID " + chain + ") is "
                            + (layer == null ? "not in layerdb" : "of unknown size") + "; the image's size is unknown"));
                    continue;
                }
                sizes.add(layer.size());
            }
            return sizes;
        }

        private List<Loaded> readImageDb() {
            List<Loaded> out = new ArrayList<>();
            Path content = dir.resolve("imagedb/content/sha256");
            List<Path> entries;
            try {
                entries = files.list(content);
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
                return out;
            }
            for (Path file : entries) {
                String name = file.getFileName().toString();
                String path = files.rel(file);
                if (!HEX64.matcher(name).matches()) {
                    problems.add(new Problem(path, "not an image config (the name is not 64 hex characters)"));
                    continue;
                }
                try {
                    byte[] bytes = files.read(file);
                    if (bytes.length == 0) {
                        throw new UnreadableItemException(path, "image config is empty (0 bytes)");
                    }
                    Digest id = Digest.sha256Of(bytes);
                    if (!id.hex().equals(name)) {
                        throw new UnreadableItemException(path, "content does not match its name: sha256 of the "
                                + bytes.length + " bytes is " + id.hex() + " (truncated or altered)");
                    }
                    List<Problem> configProblems = new ArrayList<>();
                    ImageConfig config = ImageConfig.parse(bytes, path, configProblems);
                    problems.addAll(configProblems);
                    out.add(new Loaded(id, bytes, config, ChainIds.of(config.diffIds()), readParent(name), path));
                } catch (UnreadableItemException e) {
                    problems.add(e.toProblem());
                }
            }
            return out;
        }

        private Digest readParent(String hex) {
            Path file = dir.resolve("imagedb/metadata/sha256").resolve(hex).resolve("parent");
            try {
                Optional<String> text = files.readTextIfPresent(file);
                if (text.isEmpty() || text.get().isEmpty()) {
                    return null;
                }
                return Digest.parse(text.get());
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
            } catch (IllegalArgumentException e) {
                problems.add(new Problem(files.rel(file), "parent is not an image ID: " + e.getMessage()));
            }
            return null;
        }

        /** Repo tags and repo digests of one image, familiar and sorted as Docker prints them. */
        private record References(List<String> tags, List<String> digests) {
            static final References NONE = new References(List.of(), List.of());

            List<String> all() {
                List<String> a = new ArrayList<>(tags);
                a.addAll(digests);
                return a;
            }
        }

        private Map<Digest, References> readRepositories() {
            Path file = dir.resolve("repositories.json");
            String path = files.rel(file);
            Map<Digest, TreeSet<String>> tags = new HashMap<>();
            Map<Digest, TreeSet<String>> digests = new HashMap<>();
            try {
                Optional<byte[]> bytes = files.readIfPresent(file);
                if (bytes.isPresent()) {
                    JsonNode repos = GoJson.field(GoJson.parse(bytes.get(), path, "repositories.json"), "Repositories");
                    if (GoJson.absent(repos)) {
                        problems.add(new Problem(path, "no Repositories object: no repo tags or repo digests"));
                    } else if (!repos.isObject()) {
                        problems.add(new Problem(path, "Repositories is not an object: no repo tags or repo digests"));
                    } else {
                        repos.fields().forEachRemaining(repo -> {
                            if (!repo.getValue().isObject()) {
                                problems.add(new Problem(path, "Repositories[\"" + repo.getKey() + "\"] is not an object"));
                                return;
                            }
                            repo.getValue().fields().forEachRemaining(e -> addReference(path, e.getKey(), e.getValue(), tags, digests));
                        });
                    }
                }
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
            }
            // Docker sorts references by their familiar string (reference/store.go, lexicalRefs).
            Map<Digest, References> out = new LinkedHashMap<>();
            LinkedHashSet<Digest> ids = new LinkedHashSet<>(tags.keySet());
            ids.addAll(digests.keySet());
            for (Digest id : ids) {
                out.put(id, new References(List.copyOf(tags.getOrDefault(id, new TreeSet<>())),
                        List.copyOf(digests.getOrDefault(id, new TreeSet<>()))));
            }
            return out;
        }

        private void addReference(String path, String ref, JsonNode target, Map<Digest, TreeSet<String>> tags,
                                  Map<Digest, TreeSet<String>> digests) {
            Digest id;
            try {
                id = Digest.parse(target.isTextual() ? target.textValue() : "");
            } catch (IllegalArgumentException e) {
                problems.add(new Problem(path, "reference " + ref + " points at " + target + ", not an image ID"));
                return;
            }
            Optional<DockerReferences.Parsed> parsed = DockerReferences.parse(ref);
            if (parsed.isEmpty()) {
                problems.add(new Problem(path, "reference " + ref + " is neither name:tag nor name@digest"));
                return;
            }
            String familiar = DockerReferences.familiar(ref);
            (parsed.get().isDigest() ? digests : tags).computeIfAbsent(id, k -> new TreeSet<>()).add(familiar);
        }

        private Map<Digest, List<CompressedDigest>> readDistribution() {
            Map<Digest, List<CompressedDigest>> out = new HashMap<>();
            List<Path> entries;
            try {
                entries = files.list(dir.resolve("distribution/v2metadata-by-diffid/sha256"));
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
                return out;
            }
            for (Path file : entries) {
                String name = file.getFileName().toString();
                String path = files.rel(file);
                if (!HEX64.matcher(name).matches()) {
                    problems.add(new Problem(path, "not a diff ID entry (the name is not 64 hex characters)"));
                    continue;
                }
                try {
                    JsonNode list = GoJson.parse(files.read(file), path, "v2 metadata");
                    if (!list.isArray()) {
                        problems.add(new Problem(path, "v2 metadata is not a JSON list"));
                        continue;
                    }
                    LinkedHashSet<CompressedDigest> digests = new LinkedHashSet<>();
                    for (int i = 0; i < list.size(); i++) {
                        JsonNode m = list.get(i);
                        try {
                            String repo = GoJson.text(m, "SourceRepository");
                            digests.add(new CompressedDigest(Digest.parse(GoJson.text(m, "Digest")), null,
                                    repo.isEmpty() ? null : repo));
                        } catch (IllegalArgumentException e) {
                            problems.add(new Problem(path, "[" + i + "].Digest is not a digest: " + e.getMessage()));
                        }
                    }
                    out.put(Digest.sha256Hex(name), List.copyOf(digests));
                } catch (UnreadableItemException e) {
                    problems.add(e.toProblem());
                }
            }
            return out;
        }

        private Map<Digest, LayerRecord> readLayerDb(Map<Digest, List<CompressedDigest>> blobs) {
            Map<Digest, LayerRecord> out = new HashMap<>();
            List<Path> entries;
            try {
                entries = files.list(dir.resolve("layerdb/sha256"));
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
                return out;
            }
            for (Path layerDir : entries) {
                String name = layerDir.getFileName().toString();
                String path = files.rel(layerDir);
                if (!HEX64.matcher(name).matches()) {
                    problems.add(new Problem(path, "not a layer (the name is not 64 hex characters)"));
                    continue;
                }
                try {
                    LayerRecord layer = readLayer(layerDir, Digest.sha256Hex(name), blobs);
                    if (layer != null) {
                        out.put(layer.chainId(), layer);
                    }
                } catch (UnreadableItemException e) {
                    problems.add(e.toProblem());
                }
            }
            return out;
        }

        private LayerRecord readLayer(Path layerDir, Digest chainId, Map<Digest, List<CompressedDigest>> blobs) {
            if (!files.isDirectory(layerDir)) {
                throw new UnreadableItemException(files.rel(layerDir), "not a folder");
            }
            Digest diffId = digestFile(layerDir.resolve("diff"), true);
            Digest parent = digestFile(layerDir.resolve("parent"), false);
            Digest expected = parent == null ? diffId : Digest.sha256Of(parent + " " + diffId);
            if (!expected.equals(chainId)) {
                throw new UnreadableItemException(files.rel(layerDir), "chain ID does not match its diff and parent: "
                        + "they give " + expected + "; layer left out");
            }
            long size = -1;
            Path sizeFile = layerDir.resolve("size");
            Optional<String> sizeText = files.readTextIfPresent(sizeFile);
            if (sizeText.isEmpty()) {
                problems.add(new Problem(files.rel(sizeFile), "missing: the layer's size is unknown"));
            } else {
                try {
                    size = Long.parseLong(sizeText.get());
                    if (size < 0) {
                        problems.add(new Problem(files.rel(sizeFile), "negative size " + size + ": taken as unknown"));
                        size = -1;
                    }
                } catch (NumberFormatException e) {
                    problems.add(new Problem(files.rel(sizeFile), "not a number of bytes: '" + abbreviate(sizeText.get()) + "'"));
                }
            }
            String cacheId = null;
            Path cacheFile = layerDir.resolve("cache-id");
            try {
                cacheId = files.readTextIfPresent(cacheFile).filter(s -> !s.isEmpty()).orElse(null);
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
            }
            return new LayerRecord(chainId, diffId, parent, size, blobs.getOrDefault(diffId, List.of()), cacheId, null);
        }

        private Digest digestFile(Path file, boolean required) {
            Optional<String> text = files.readTextIfPresent(file);
            if (text.isEmpty() || text.get().isEmpty()) {
                if (required) {
                    throw new UnreadableItemException(files.rel(file), "missing or empty; layer left out");
                }
                return null;
            }
            try {
                return Digest.parse(text.get());
            } catch (IllegalArgumentException e) {
                throw new UnreadableItemException(files.rel(file), "not a digest: " + e.getMessage() + "; layer left out");
            }
        }
    }

    private static String abbreviate(String s) {
        String one = new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        return one.length() <= 40 ? one : one.substring(0, 37) + "...";
    }
}
