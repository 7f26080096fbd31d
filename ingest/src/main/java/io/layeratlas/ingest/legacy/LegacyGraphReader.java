package io.layeratlas.ingest.legacy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layeratlas.events.ChainIds;
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
import io.layeratlas.ingest.internal.DockerReferences;
import io.layeratlas.ingest.internal.GoJson;
import io.layeratlas.ingest.internal.Rfc3339;
import io.layeratlas.ingest.internal.SafeFiles;
import io.layeratlas.ingest.internal.SharedSizes;
import io.layeratlas.ingest.internal.UnreadableItemException;
import io.layeratlas.ingest.internal.V1Migration;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads the pre-1.10 Docker layout: {@code graph/<v1 id>/{json,layersize,tar-data.json.gz}},
 * {@code repositories-<driver>} and the driver's unpacked layers ({@code aufs/diff/<v1 id>},
 * {@code vfs/dir/<v1 id>}); {@code aufs/layers/<v1 id>} (ancestors, nearest first) is checked against the
 * {@code parent} chain.
 *
 * <p>Every v1 layer ID becomes an image and a layer, as Docker's own v1 to v2 migration does
 * (moby {@code migrate/v1/migratev1.go}): the diff ID is the sha256 of the tar stream reassembled from
 * {@code tar-data.json.gz} and the unpacked files ({@link TarSplitAssembler}); the image config is derived from
 * the v1 JSON as {@link V1Migration} says ({@code image/v1/imagev1.go MakeConfigFromV1Config}); the image
 * ID is its sha256. Layer sizes are {@code layersize} in bytes.
 *
 * <p>Limits: v1 JSON from Docker before 1.8.3 is re-marshalled through Go's {@code V1Image} struct by the
 * migration, which this reader does not imitate (it keeps the JSON as written), so such image IDs may
 * differ from a migrated daemon's. The image IDs of images that were saved from a ≥1.10 daemon and laid
 * out as v1 folders (as the legacy-01 fixture was) are not recoverable: the original config's history of
 * empty steps is not in the v1 JSON. Diff IDs, chain IDs, v1 IDs, tags and sizes are exact.
 */
public final class LegacyGraphReader implements StorageReader {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    @Override
    public SourceKind kind() {
        return SourceKind.LEGACY_GRAPH;
    }

    @Override
    public SourceScan read(String source, String hostId) {
        Path root = Path.of(source);
        if (!Files.isDirectory(root.resolve("graph"))) {
            throw new UnreadableSourceException(source, "no graph/ folder: not a pre-1.10 Docker root");
        }
        SafeFiles files = SafeFiles.forSource(source);
        return new Scan(files, source, hostId).run();
    }

    /** A migrated v1 layer: image config built, layer hashed. */
    private record Migrated(String v1Id, Digest imageId, byte[] config, Digest parentImage, Instant created,
                            String os, String arch, List<Digest> diffIds, List<Digest> chainIds,
                            List<Long> sizes, List<HistoryEntry> history, ArrayNode historyJson) {
    }

    private static final class Scan {
        private final SafeFiles files;
        private final Path root;
        private final String source;
        private final String hostId;
        private final List<Problem> problems = new ArrayList<>();
        private final Map<String, Migrated> done = new HashMap<>();
        private final Set<String> failed = new HashSet<>();
        private final Set<String> inProgress = new HashSet<>();
        private final List<String> drivers = new ArrayList<>();

        Scan(SafeFiles files, String source, String hostId) {
            this.files = files;
            this.root = files.root();
            this.source = source;
            this.hostId = hostId;
        }

        SourceScan run() {
            Map<String, TreeSet<String>> tags = readRepositories();
            List<String> ids = new ArrayList<>();
            for (Path p : listOrProblem(root.resolve("graph"))) {
                String name = p.getFileName().toString();
                if (HEX64.matcher(name).matches()) {
                    ids.add(name);
                } else if (!name.startsWith("_tmp")) {
                    problems.add(new Problem(files.rel(p), "not a v1 layer (the name is not 64 hex characters)"));
                }
            }
            for (String id : ids) {
                migrate(id);
            }
            Map<String, Integer> containers = readContainers();

            List<SharedSizes.Image> forSizes = new ArrayList<>();
            for (Migrated m : done.values()) {
                forSizes.add(new SharedSizes.Image(m.imageId(), tags.containsKey(m.v1Id()), m.parentImage(),
                        m.chainIds(), m.sizes()));
            }
            Map<Digest, SharedSizes.Sizes> sizes = SharedSizes.of(forSizes);

            Map<Digest, ImageRecord> images = new TreeMap<>();
            Map<Digest, LayerRecord> layers = new TreeMap<>();
            Map<Digest, byte[]> configs = new HashMap<>();
            for (Migrated m : done.values()) {
                SharedSizes.Sizes s = sizes.get(m.imageId());
                List<String> repoTags = new ArrayList<>();
                List<String> repoDigests = new ArrayList<>();
                for (String ref : tags.getOrDefault(m.v1Id(), new TreeSet<>())) {
                    (ref.contains("@") ? repoDigests : repoTags).add(ref);
                }
                images.put(m.imageId(), new ImageRecord(m.imageId(), repoTags, repoDigests, m.parentImage(),
                        m.created(), s.size(), m.diffIds(), m.chainIds(), m.history(),
                        containers.getOrDefault(m.v1Id(), 0), s.shared(), s.unique(),
                        m.os(), m.arch()));
                configs.put(m.imageId(), m.config());
                int top = m.chainIds().size() - 1;
                Digest chain = m.chainIds().get(top);
                layers.putIfAbsent(chain, new LayerRecord(chain, m.diffIds().get(top),
                        top == 0 ? null : m.chainIds().get(top - 1), m.sizes().get(top), List.of(), m.v1Id(), m.v1Id()));
            }
            tags.keySet().stream().filter(v1 -> !done.containsKey(v1)).forEach(v1 -> problems.add(new Problem(
                    "repositories-" + String.join(",", drivers), "tags " + tags.get(v1) + " point at v1 layer " + v1
                    + ", which could not be read")));
            // The driver is the repositories-<driver> file's suffix; a pre-1.10 layout keeps no containers we read.
            HostInventory inv = new HostInventory(source, SourceKind.LEGACY_GRAPH.id(), hostId, Instant.now(),
                    new ArrayList<>(images.values()), new ArrayList<>(layers.values()), problems, List.of(),
                    new io.layeratlas.events.HostMetadata(null, drivers.isEmpty() ? null
                            : String.join(",", new java.util.TreeSet<>(drivers)), source, null, java.util.Map.of()));
            return new SourceScan(inv, configs);
        }

        /** Migrates one v1 layer after its parent; null when it or an ancestor cannot be read. */
        private Migrated migrate(String v1Id) {
            if (done.containsKey(v1Id)) {
                return done.get(v1Id);
            }
            if (failed.contains(v1Id)) {
                return null;
            }
            Path dir = root.resolve("graph").resolve(v1Id);
            if (!inProgress.add(v1Id)) {
                problems.add(new Problem(files.rel(dir.resolve("json")), "parent chain loops back to " + v1Id));
                failed.add(v1Id);
                return null;
            }
            try {
                Migrated m = migrateOne(v1Id, dir);
                done.put(v1Id, m);
                return m;
            } catch (UnreadableItemException e) {
                if (failed.add(v1Id)) { // a loop found below already said why
                    problems.add(e.toProblem());
                }
                return null;
            } finally {
                inProgress.remove(v1Id);
            }
        }

        private Migrated migrateOne(String v1Id, Path dir) {
            Path jsonFile = dir.resolve("json");
            String jsonPath = files.rel(jsonFile);
            JsonNode v1 = GoJson.parseObject(files.read(jsonFile), jsonPath, "v1 image JSON");
            String declared = GoJson.text(v1, "id");
            if (!declared.isEmpty() && !declared.equals(v1Id)) {
                problems.add(new Problem(jsonPath, "id " + declared + " differs from the folder name"));
            }
            String parentId = GoJson.text(v1, "parent");
            Migrated parent = null;
            if (!parentId.isEmpty()) {
                if (!HEX64.matcher(parentId).matches()) {
                    throw new UnreadableItemException(jsonPath, "parent '" + parentId + "' is not a v1 layer ID");
                }
                parent = migrate(parentId);
                if (parent == null) {
                    throw new UnreadableItemException(jsonPath, "parent v1 layer " + parentId + " could not be read; left out");
                }
            }
            checkAufsAncestors(v1Id, parent);

            Digest diffId = diffId(v1Id, dir);
            long size = layerSize(dir);

            List<Digest> diffIds = new ArrayList<>(parent == null ? List.of() : parent.diffIds());
            diffIds.add(diffId);
            List<Long> sizes = new ArrayList<>(parent == null ? List.of() : parent.sizes());
            sizes.add(size);

            V1Migration.Derived d = V1Migration.derive(v1, jsonPath, diffIds, parent == null ? null : parent.historyJson(), problems);
            List<HistoryEntry> history = new ArrayList<>(parent == null ? List.of() : parent.history());
            history.add(new HistoryEntry(d.created(), d.createdBy(), d.comment(), false, Math.max(0, size)));

            return new Migrated(v1Id, d.imageId(), d.config(), parent == null ? null : parent.imageId(), d.created(),
                    textOrNull(GoJson.field(v1, "os")), textOrNull(GoJson.field(v1, "architecture")),
                    List.copyOf(diffIds), ChainIds.of(diffIds), List.copyOf(sizes), List.copyOf(history), d.historyJson());
        }

        private Digest diffId(String v1Id, Path dir) {
            Path tarData = dir.resolve("tar-data.json.gz");
            for (String driver : drivers.isEmpty() ? List.of("aufs") : drivers) {
                Path diffDir = switch (driver) {
                    case "aufs" -> root.resolve("aufs/diff").resolve(v1Id);
                    case "vfs" -> root.resolve("vfs/dir").resolve(v1Id);
                    case "overlay" -> root.resolve("overlay").resolve(v1Id).resolve("root");
                    default -> root.resolve(driver).resolve(v1Id);
                };
                if (!files.isDirectory(diffDir)) {
                    continue;
                }
                SafeFiles layerFiles;
                try {
                    layerFiles = new SafeFiles(diffDir);
                } catch (IOException e) {
                    throw new UnreadableItemException(files.rel(diffDir), "cannot open: " + e.getMessage());
                }
                try (InputStream in = files.open(tarData)) {
                    Digest d = TarSplitAssembler.diffId(in, diffDir, layerFiles, files.rel(tarData));
                    return d;
                } catch (UnreadableItemException e) {
                    String p = e.path().startsWith("/") || e.path().contains("tar-data") ? e.path()
                            : files.rel(diffDir) + "/" + e.path();
                    throw new UnreadableItemException(p, e.reason() + "; layer left out");
                } catch (IOException e) {
                    throw new UnreadableItemException(files.rel(tarData), "cannot read: " + e.getMessage());
                }
            }
            throw new UnreadableItemException(files.rel(dir), "no unpacked layer folder for " + v1Id
                    + " (looked for the " + (drivers.isEmpty() ? "aufs" : String.join(", ", drivers)) + " driver); layer left out");
        }

        private long layerSize(Path dir) {
            Path f = dir.resolve("layersize");
            try {
                return files.readTextIfPresent(f).map(Long::parseLong).orElseGet(() -> {
                    problems.add(new Problem(files.rel(f), "missing: the layer's size is unknown"));
                    return -1L;
                });
            } catch (NumberFormatException e) {
                problems.add(new Problem(files.rel(f), "not a number of bytes (" + e.getMessage() + "): the layer's size is unknown"));
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
            }
            return -1;
        }

        private void checkAufsAncestors(String v1Id, Migrated parent) {
            Path f = root.resolve("aufs/layers").resolve(v1Id);
            try {
                files.readTextIfPresent(f).ifPresent(text -> {
                    List<String> listed = text.isEmpty() ? List.of() : List.of(text.split("\\s+"));
                    List<String> chain = new ArrayList<>();
                    for (Migrated p = parent; p != null; p = p.parentImage() == null ? null : byImage(p.parentImage())) {
                        chain.add(p.v1Id());
                    }
                    if (!listed.equals(chain)) {
                        problems.add(new Problem(files.rel(f), "lists ancestors " + listed
                                + " but the parent chain in graph/ is " + chain));
                    }
                });
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
            }
        }

        private Migrated byImage(Digest imageId) {
            return done.values().stream().filter(m -> m.imageId().equals(imageId)).findFirst().orElse(null);
        }

        /** v1 layer ID to its refs ({@code name:tag}, familiar), from every {@code repositories-<driver>}. */
        private Map<String, TreeSet<String>> readRepositories() {
            Map<String, TreeSet<String>> out = new HashMap<>();
            for (Path f : listOrProblem(root)) {
                String name = f.getFileName().toString();
                if (!name.startsWith("repositories-")) {
                    continue;
                }
                drivers.add(name.substring("repositories-".length()));
                String path = files.rel(f);
                try {
                    JsonNode repos = GoJson.field(GoJson.parse(files.read(f), path, name), "Repositories");
                    if (!repos.isObject()) {
                        problems.add(new Problem(path, (GoJson.absent(repos) ? "no Repositories object"
                                : "Repositories is a JSON " + GoJson.kind(repos) + ", not an object") + ": no repo tags"));
                        continue;
                    }
                    repos.fields().forEachRemaining(repo -> repo.getValue().fields().forEachRemaining(t -> {
                        String v1 = t.getValue().asText("");
                        if (!HEX64.matcher(v1).matches()) {
                            problems.add(new Problem(path, repo.getKey() + ":" + t.getKey() + " points at '" + v1
                                    + "', not a v1 layer ID"));
                            return;
                        }
                        String ref = t.getKey().startsWith("sha256:") ? repo.getKey() + "@" + t.getKey()
                                : repo.getKey() + ":" + t.getKey();
                        out.computeIfAbsent(v1, k -> new TreeSet<>()).add(DockerReferences.familiar(ref));
                    }));
                } catch (UnreadableItemException e) {
                    problems.add(new Problem(e.path(), e.reason() + ": no repo tags"));
                }
            }
            return out;
        }

        /** Containers per v1 image ID ({@code containers/<id>/config.json}'s {@code Image}). */
        private Map<String, Integer> readContainers() {
            Map<String, Integer> out = new HashMap<>();
            for (Path dir : listOrProblem(root.resolve("containers"))) {
                Path f = dir.resolve("config.json");
                try {
                    files.readIfPresent(f).ifPresent(b -> out.merge(
                            GoJson.text(GoJson.parse(b, files.rel(f), "container config"), "Image"), 1, Integer::sum));
                } catch (UnreadableItemException e) {
                    problems.add(e.toProblem());
                }
            }
            return out;
        }

        private List<Path> listOrProblem(Path dir) {
            try {
                return files.list(dir);
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
                return List.of();
            }
        }
    }

    private static String textOrNull(JsonNode n) {
        return n == null || !n.isTextual() || n.textValue().isEmpty() ? null : n.textValue();
    }
}
