package io.layeratlas.ingest.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.layeratlas.events.Digest;
import io.layeratlas.events.Problem;
import io.layeratlas.ingest.internal.DockerReferences;
import io.layeratlas.ingest.internal.GoJson;
import io.layeratlas.ingest.internal.UnreadableItemException;
import io.layeratlas.ingest.internal.V1Migration;

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
 * Reads a pre-1.10 {@code docker save} archive, one without {@code manifest.json}: a {@code repositories} file
 * ({@code {"name":{"tag":"<v1 id>"}}}) and one folder per v1 image, {@code <v1 id>/{VERSION,json,layer.tar}}. As
 * Docker's legacy loader reads it (moby {@code image/tarexport/load.go}, {@code legacyLoad} and
 * {@code legacyLoadImage}): every folder is an image; its {@code json}'s {@code parent} (any case: Go decodes it
 * into a struct) names the parent folder, read first; the diff ID is the digest of the (decompressed)
 * {@code layer.tar} stream; the config is derived from the {@code json} as the v1 migration derives it
 * ({@link V1Migration}), so the image ID is the one {@code docker load} gives; the parent image is the parent
 * folder's image. Tags come from {@code repositories} in Docker's familiar form.
 *
 * <p>Where Docker's loader stops the whole load (a folder without {@code json} or {@code layer.tar}, a parent that
 * is not in the archive, a tag pointing at a folder that is not there, no {@code repositories}), this reader gives a
 * located problem and reads the rest: images whose chain is whole are kept. Stateless.
 */
final class LegacyArchive {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private LegacyArchive() {
    }

    /** The archive's entries, by name relative to the archive's top. */
    interface Entries {
        Set<String> names();

        /** A small entry's bytes. @throws UnreadableItemException if missing, broken or too large */
        byte[] small(String name);

        /** A regular entry's digests. @throws UnreadableItemException if missing or broken */
        LayerDigests.Hashes hashes(String name);
    }

    /** One v1 folder read, with its chain below it. */
    private record Loaded(String v1Id, Digest imageId, byte[] config, ArrayNode historyJson, List<Digest> diffIds,
                          List<FoundImage.FoundLayer> layers, Digest parent, String where) {
    }

    /**
     * Reads every v1 folder under {@code root} ({@code ""} or {@code "folder/"}).
     *
     * @param label how problems name the archive ({@code <label>!<entry>})
     */
    static List<FoundImage> read(Entries entries, String root, String label, List<Problem> problems) {
        TreeSet<String> folders = new TreeSet<>();
        for (String n : entries.names()) {
            if (!n.startsWith(root)) {
                continue;
            }
            int slash = n.indexOf('/', root.length());
            if (slash > root.length()) {
                folders.add(n.substring(root.length(), slash));
            }
        }
        Reading r = new Reading(entries, root, label, problems);
        for (String f : folders) {
            r.load(f);
        }
        Map<String, TreeSet<String>> tags = r.repositories();
        List<FoundImage> out = new ArrayList<>();
        for (String f : folders) {
            Loaded l = r.done.get(f);
            if (l != null) {
                out.add(new FoundImage(l.where(), l.config(), List.copyOf(tags.getOrDefault(f, new TreeSet<>())),
                        l.parent(), l.layers()));
            }
        }
        return out;
    }

    private static final class Reading {
        private final Entries entries;
        private final String root;
        private final String label;
        private final List<Problem> problems;
        private final Map<String, Loaded> done = new HashMap<>();
        private final Set<String> failed = new HashSet<>();
        private final Set<String> inProgress = new HashSet<>();

        Reading(Entries entries, String root, String label, List<Problem> problems) {
            this.entries = entries;
            this.root = root;
            this.label = label;
            this.problems = problems;
        }

        private String where(String name) {
            return label + "!" + root + name;
        }

        /** Loads one folder after its parent; null when it or an ancestor cannot be read (a problem says why). */
        Loaded load(String folder) {
            if (done.containsKey(folder)) {
                return done.get(folder);
            }
            if (failed.contains(folder)) {
                return null;
            }
            String jsonName = folder + "/json";
            if (!inProgress.add(folder)) {
                problems.add(new Problem(where(jsonName), "parent chain loops back to " + folder));
                failed.add(folder);
                return null;
            }
            try {
                Loaded l = loadOne(folder, jsonName);
                done.put(folder, l);
                return l;
            } catch (UnreadableItemException e) {
                if (failed.add(folder)) {
                    problems.add(e.toProblem());
                }
                return null;
            } finally {
                inProgress.remove(folder);
            }
        }

        private Loaded loadOne(String folder, String jsonName) {
            if (!entries.names().contains(root + jsonName)) {
                throw new UnreadableItemException(where(jsonName), "missing: every folder of an archive without "
                        + "manifest.json is a v1 image and needs a json file (docker load fails on this archive)");
            }
            JsonNode v1 = GoJson.parseObject(entries.small(root + jsonName), where(jsonName), "v1 image JSON");
            String parentId = GoJson.text(v1, "parent");
            Loaded parent = null;
            if (!parentId.isEmpty()) {
                boolean present = entries.names().stream().anyMatch(n -> n.startsWith(root + parentId + "/"));
                if (!present) {
                    throw new UnreadableItemException(where(jsonName), "parent " + parentId
                            + " is not in the archive; the image is left out");
                }
                parent = load(parentId);
                if (parent == null) {
                    throw new UnreadableItemException(where(jsonName), "parent " + parentId
                            + " could not be read; the image is left out");
                }
            }
            String layerName = folder + "/layer.tar";
            LayerDigests.Hashes h = entries.hashes(root + layerName);
            List<Digest> diffIds = new ArrayList<>(parent == null ? List.of() : parent.diffIds());
            diffIds.add(h.uncompressed());
            List<FoundImage.FoundLayer> layers = new ArrayList<>(parent == null ? List.of() : parent.layers());
            layers.add(new FoundImage.FoundLayer(where(layerName), null, h, HEX64.matcher(folder).matches() ? folder : null));
            V1Migration.Derived d = V1Migration.derive(v1, where(jsonName), diffIds,
                    parent == null ? null : parent.historyJson(), problems);
            return new Loaded(folder, d.imageId(), d.config(), d.historyJson(), List.copyOf(diffIds), List.copyOf(layers),
                    parent == null ? null : parent.imageId(), where(jsonName));
        }

        /** Folder to its references, from {@code repositories} ({@code map[string]map[string]string}: exact keys). */
        Map<String, TreeSet<String>> repositories() {
            Map<String, TreeSet<String>> out = new TreeMap<>();
            String name = root + "repositories";
            if (!entries.names().contains(name)) {
                problems.add(new Problem(where("repositories"), "missing: the images are read without tags "
                        + "(docker load fails on an archive without manifest.json and repositories)"));
                return out;
            }
            JsonNode repos;
            try {
                repos = GoJson.parse(entries.small(name), where("repositories"), "repositories");
            } catch (UnreadableItemException e) {
                problems.add(new Problem(e.path(), e.reason() + "; the images are read without tags"));
                return out;
            }
            if (!repos.isObject()) {
                problems.add(new Problem(where("repositories"), "is a JSON " + GoJson.kind(repos)
                        + ", not an object {name: {tag: v1 id}}; the images are read without tags"));
                return out;
            }
            repos.fields().forEachRemaining(repo -> {
                if (!repo.getValue().isObject()) {
                    problems.add(new Problem(where("repositories"), "\"" + repo.getKey() + "\" is a JSON "
                            + GoJson.kind(repo.getValue()) + ", not an object {tag: v1 id}"));
                    return;
                }
                repo.getValue().fields().forEachRemaining(t -> {
                    String ref = repo.getKey() + ":" + t.getKey();
                    String v1 = t.getValue().asText("");
                    if (!done.containsKey(v1)) {
                        problems.add(new Problem(where("repositories"), ref + " points at " + v1 + ", which "
                                + (failed.contains(v1) ? "could not be read" : "is not in the archive")
                                + " (docker load: invalid target ID)"));
                        return;
                    }
                    if (DockerReferences.parse(ref).isEmpty()) {
                        problems.add(new Problem(where("repositories"), ref + " is not a name:tag reference"));
                        return;
                    }
                    out.computeIfAbsent(v1, k -> new TreeSet<>()).add(DockerReferences.familiar(ref));
                });
            });
            return out;
        }
    }
}
