package io.layeratlas.ingest.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.luben.zstd.ZstdInputStream;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.Problem;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.SourceScan;
import io.layeratlas.ingest.StorageReader;
import io.layeratlas.ingest.UnreadableSourceException;
import io.layeratlas.ingest.internal.GoJson;
import io.layeratlas.ingest.internal.UnreadableItemException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads image archives: {@code docker save} (Engine ≤24: {@code manifest.json}, {@code <v1 id>/layer.tar};
 * ≥25: the same {@code manifest.json} over an OCI layout's {@code blobs/sha256/}; moby
 * {@code image/tarexport}), pre-1.10 {@code docker save} archives without {@code manifest.json}
 * ({@code repositories}, {@code <v1 id>/{json,layer.tar}}: {@link LegacyArchive}), OCI archives (a tarred OCI image
 * layout: {@code index.json}, {@code blobs/}), any of these one folder down (the tar of the folder the output was
 * unpacked into: {@link #storeRoots}), and any of them gzip- or zstd-compressed as a whole. Several images per
 * archive; JSON decoded as Go decodes it ({@link GoJson}). {@code layer.tar} entries that
 * are symbolic or hard links to other entries are followed within the archive (never outside it).
 *
 * <p>The archive is read once, as a stream: every regular entry is hashed on the way
 * ({@link LayerDigests}: compressed digest, diff ID, content size); small entries (up to 16 MiB: manifests,
 * configs, indexes) are kept. In a store {@code manifest.json} is used when present, else {@code index.json}, else
 * the pre-1.10 layout, as {@code docker load} chooses.
 * Problems name entries as {@code <archive>!<entry>}. Entry names are read as UTF-8, in ustar, GNU long-name and
 * PAX {@code path=}/{@code linkpath=} headers alike; sizes (PAX {@code size=}, base-256) are longs. An archive that
 * ends inside an entry (say, one declaring more than 8 GiB) gives a problem for the archive, and each image that
 * needs that entry gets a problem naming it ("truncated: the entry declares N bytes…"); images whose entries were
 * all read are kept.
 */
public final class ArchiveReader implements StorageReader {
    private static final long KEEP_BYTES = 16L << 20;
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private final boolean readPackages;

    /** A reader that also reads each layer's package databases on the walk that hashes it. */
    public ArchiveReader() {
        this(true);
    }

    /**
     * @param readPackages whether to read each layer's package databases on the walk that hashes it; without,
     *                     {@link SourceScan#layerDatabases()} is empty (the agent's {@code --no-packages})
     */
    public ArchiveReader(boolean readPackages) {
        this.readPackages = readPackages;
    }

    @Override
    public SourceKind kind() {
        return SourceKind.ARCHIVE;
    }

    /**
     * One archive entry: a link ({@code linkTarget}), a regular file ({@code hashes}, and {@code small} bytes when
     * kept), or a file the archive breaks off in ({@code broken}: why it cannot be read).
     */
    private record Entry(String name, String linkTarget, boolean symlink, byte[] small, LayerDigests.Hashes hashes,
                         String broken) {
    }

    @Override
    public SourceScan read(String source, String hostId) {
        Path file = Path.of(source);
        if (!Files.isRegularFile(file)) {
            throw new UnreadableSourceException(source, "not a file");
        }
        List<Problem> problems = new ArrayList<>();
        Map<String, Entry> entries = new HashMap<>();
        String label = file.getFileName().toString();
        try (InputStream raw = Files.newInputStream(file, StandardOpenOption.READ)) {
            readEntries(decompress(new BufferedInputStream(raw, 64 * 1024)), label, entries, problems, readPackages);
        } catch (IOException e) {
            long complete = entries.values().stream().filter(x -> x.broken() == null).count();
            if (complete == 0) {
                throw new UnreadableSourceException(source, "not a readable tar archive: " + e.getMessage(), e);
            }
            String in = e instanceof BrokenEntryException b ? ", in " + b.entry : "";
            problems.add(new Problem(label, "archive ends early or is corrupt after " + complete
                    + " entries" + in + ": " + e.getMessage()));
        }
        List<String> roots = storeRoots(entries);
        if (roots.isEmpty()) {
            throw new UnreadableSourceException(source, "not an image archive: no manifest.json, index.json, repositories "
                    + "or <v1 id>/json, at the top or one folder down (" + entries.size() + " files read)");
        }
        ImageAssembler assembler = new ImageAssembler(problems);
        for (String root : roots) {
            if (entries.containsKey(root + "manifest.json")) {
                dockerSave(entries, root, label, assembler, problems);
            } else if (entries.containsKey(root + "index.json")) {
                Blobs blobs = new Blobs(entries, root, label);
                try {
                    OciImages.read(blobs.entryBytes(root + "index.json"), label + "!" + root + "index.json", blobs, problems)
                            .forEach(assembler::add);
                } catch (UnreadableItemException e) {
                    problems.add(e.toProblem());
                }
            } else {
                LegacyArchive.read(new LegacyArchive.Entries() {
                    @Override
                    public java.util.Set<String> names() {
                        return entries.keySet();
                    }

                    @Override
                    public byte[] small(String name) {
                        Entry e = resolve(entries, name, label);
                        if (e.small() == null) {
                            throw new UnreadableItemException(label + "!" + name, "too large for a JSON file");
                        }
                        return e.small();
                    }

                    @Override
                    public LayerDigests.Hashes hashes(String name) {
                        return resolve(entries, name, label).hashes();
                    }
                }, root, label, problems).forEach(assembler::add);
            }
        }
        HostInventory inv = new HostInventory(source, kind().id(), hostId, Instant.now(), assembler.images(),
                assembler.layers(), problems);
        return new SourceScan(inv, assembler.configs(), assembler.layerDatabases());
    }

    private static InputStream decompress(BufferedInputStream in) throws IOException {
        in.mark(4);
        byte[] m = in.readNBytes(4);
        in.reset();
        if (m.length >= 2 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b) {
            return new GZIPInputStream(in, 64 * 1024);
        }
        if (m.length == 4 && (m[0] & 0xff) == 0x28 && (m[1] & 0xff) == 0xb5 && (m[2] & 0xff) == 0x2f && (m[3] & 0xff) == 0xfd) {
            return new ZstdInputStream(in);
        }
        return in;
    }

    private static void readEntries(InputStream in, String label, Map<String, Entry> entries, List<Problem> problems,
                                    boolean readPackages) throws IOException {
        // Names are UTF-8 as Go's archive/tar writes them (docker save, skopeo), whatever the JVM's default charset
        TarArchiveInputStream tar = new TarArchiveInputStream(in, "UTF-8");
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            String name = normalize(e.getName());
            if (name == null) {
                problems.add(new Problem(label + "!" + e.getName(), "entry name leaves the archive; skipped"));
                continue;
            }
            if (e.isDirectory() || name.isEmpty()) {
                continue;
            }
            if (e.isSymbolicLink() || e.isLink()) {
                entries.put(name, new Entry(name, e.getLinkName(), e.isSymbolicLink(), null, null, null));
                continue;
            }
            if (!e.isFile()) {
                continue;
            }
            byte[] small = null;
            LayerDigests.Hashes hashes;
            // sizes are longs throughout: a PAX "size=" or base-256 header may declare more than 8 GiB
            long declared = e.getSize();
            CountingInputStream content = new CountingInputStream(tar);
            try {
                if (declared <= KEEP_BYTES) {
                    small = content.readAllBytes();
                    hashes = LayerDigests.hash(new java.io.ByteArrayInputStream(small), readPackages);
                } else {
                    hashes = LayerDigests.hash(content, readPackages);
                }
            } catch (IOException ex) {
                // A stream cannot go past a broken entry: remember it, so that whatever names it says why.
                String why = ex instanceof java.io.EOFException || String.valueOf(ex.getMessage()).toLowerCase(java.util.Locale.ROOT)
                        .contains("truncated") ? "truncated: the entry declares " + declared + " bytes but the archive ends after "
                        + content.count() + " of them"
                        : "unreadable: the entry declares " + declared + " bytes; reading failed after " + content.count()
                        + " of them: " + ex.getMessage();
                entries.put(name, new Entry(name, null, false, null, null, why));
                throw new BrokenEntryException(name, ex);
            }
            entries.put(name, new Entry(name, null, false, small, hashes, null));
        }
    }

    /** Reading stopped inside one entry's content. */
    private static final class BrokenEntryException extends IOException {
        final String entry;

        BrokenEntryException(String entry, IOException cause) {
            super(cause.getMessage(), cause);
            this.entry = entry;
        }
    }

    /**
     * Where the image stores in the archive are: {@code ""} when the archive holds one at its top
     * ({@code manifest.json}, {@code index.json}, or the pre-1.10 {@code repositories} or {@code <v1 id>/json}),
     * else each folder one down that holds one ({@code "out/"}: the tar of the folder {@code docker save} output
     * or an OCI layout was unpacked into). Empty when there is none.
     */
    static List<String> storeRoots(Map<String, Entry> entries) {
        if (holdsStore(entries.keySet(), "")) {
            return List.of("");
        }
        java.util.TreeSet<String> folders = new java.util.TreeSet<>();
        for (String name : entries.keySet()) {
            int slash = name.indexOf('/');
            if (slash > 0) {
                folders.add(name.substring(0, slash + 1));
            }
        }
        return folders.stream().filter(f -> holdsStore(entries.keySet(), f)).toList();
    }

    private static boolean holdsStore(java.util.Set<String> names, String root) {
        if (names.contains(root + "manifest.json") || names.contains(root + "index.json") || names.contains(root + "repositories")) {
            return true;
        }
        for (String n : names) {
            if (n.startsWith(root) && n.endsWith("/json") && n.indexOf('/', root.length()) == n.length() - "/json".length()) {
                return true;
            }
        }
        return false;
    }

    /** Archive-relative name without {@code ./}; null if it climbs out with {@code ..}. */
    static String normalize(String name) {
        List<String> parts = new ArrayList<>();
        for (String p : name.replace('\\', '/').split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                if (parts.isEmpty()) {
                    return null;
                }
                parts.remove(parts.size() - 1);
                continue;
            }
            parts.add(p);
        }
        return String.join("/", parts);
    }

    /** Follows links to a regular entry. */
    static Entry resolve(Map<String, Entry> entries, String name, String label) {
        String current = name;
        for (int hops = 0; hops < 40; hops++) {
            Entry e = entries.get(current);
            if (e == null) {
                throw new UnreadableItemException(label + "!" + name, current.equals(name)
                        ? "no such entry in the archive" : "link points at " + current + ", which is not in the archive");
            }
            if (e.broken() != null) {
                throw new UnreadableItemException(label + "!" + current, e.broken());
            }
            if (e.linkTarget() == null) {
                return e;
            }
            String next;
            if (e.symlink()) {
                int slash = current.lastIndexOf('/');
                String dir = slash < 0 ? "" : current.substring(0, slash + 1);
                next = e.linkTarget().startsWith("/") ? null : normalize(dir + e.linkTarget());
            } else {
                next = normalize(e.linkTarget());
            }
            if (next == null) {
                throw new UnreadableItemException(label + "!" + current, "link to " + e.linkTarget() + " leaves the archive");
            }
            current = next;
        }
        throw new UnreadableItemException(label + "!" + name, "symbolic link loop");
    }

    /**
     * {@code manifest.json}: a list of {@code {Config, RepoTags, Layers, Parent}} (moby {@code image/tarexport},
     * {@code manifestItem}), decoded as Go decodes it ({@link GoJson}: any case of the member names).
     */
    private static void dockerSave(Map<String, Entry> entries, String root, String label, ImageAssembler assembler,
                                   List<Problem> problems) {
        String where = label + "!" + root + "manifest.json";
        JsonNode manifest;
        try {
            manifest = GoJson.parse(resolve(entries, root + "manifest.json", label).small(), where, "manifest.json");
        } catch (UnreadableItemException e) {
            problems.add(e.toProblem());
            return;
        }
        if (!manifest.isArray()) {
            problems.add(new Problem(where, "manifest.json is a JSON " + GoJson.kind(manifest)
                    + ", not a list of {Config, RepoTags, Layers}"));
            return;
        }
        for (int i = 0; i < manifest.size(); i++) {
            JsonNode m = manifest.get(i);
            String item = where + " [" + i + "]";
            try {
                if (!m.isObject()) {
                    throw new UnreadableItemException(item, "is a JSON " + GoJson.kind(m) + ", not an object {Config, RepoTags, Layers}");
                }
                String cfgName = root + entryName(m, "Config", item);
                Entry cfg = resolve(entries, cfgName, label);
                if (cfg.small() == null) {
                    throw new UnreadableItemException(label + "!" + cfgName, "config is too large");
                }
                List<String> tags = new ArrayList<>();
                GoJson.field(m, "RepoTags").forEach(t -> tags.add(t.asText()));
                Digest parent = null;
                if (!GoJson.text(m, "Parent").isEmpty()) {
                    parent = GoJson.digest(m, "Parent", item);
                }
                List<FoundImage.FoundLayer> layers = new ArrayList<>();
                JsonNode ls = GoJson.field(m, "Layers");
                if (!GoJson.absent(ls) && !ls.isArray()) {
                    throw new UnreadableItemException(item, "Layers is a JSON " + GoJson.kind(ls) + ", not a list");
                }
                for (int j = 0; j < ls.size(); j++) {
                    String layerEntry = entryName(ls.get(j), item + " Layers[" + j + "]");
                    Entry layer = resolve(entries, root + layerEntry, label);
                    // the v1 layer ID is the folder of "<v1 id>/layer.tar", however the name is spelled ("./<id>/…")
                    String folder = layerEntry.contains("/") ? layerEntry.substring(0, layerEntry.indexOf('/')) : "";
                    layers.add(new FoundImage.FoundLayer(label + "!" + root + layerEntry, null, layer.hashes(),
                            HEX64.matcher(folder).matches() ? folder : null));
                }
                assembler.add(new FoundImage(label + "!" + cfgName, cfg.small(), tags, parent, layers));
            } catch (UnreadableItemException e) {
                problems.add(e.toProblem());
            }
        }
    }

    /** The entry a string field names ({@code Config}), normalized. */
    private static String entryName(JsonNode obj, String field, String where) {
        JsonNode n = GoJson.field(obj, field);
        if (GoJson.absent(n)) {
            throw new UnreadableItemException(where, field + " is missing: no config named");
        }
        return entryName(n, where + " " + field);
    }

    /** An archive entry named by a JSON string, normalized. */
    private static String entryName(JsonNode n, String where) {
        if (!n.isTextual()) {
            throw new UnreadableItemException(where, "is a JSON " + GoJson.kind(n) + ", not an entry name");
        }
        String name = n.textValue();
        String norm = normalize(name);
        if (norm == null) {
            throw new UnreadableItemException(where, "entry name '" + name + "' leaves the archive");
        }
        if (norm.isEmpty()) {
            throw new UnreadableItemException(where, "entry name '" + name + "' names no file");
        }
        return norm;
    }

    /** Blobs of an OCI layout inside the archive, {@code blobs/<algorithm>/<hex>}. */
    private static final class Blobs implements OciImages.Blobs {
        private final Map<String, Entry> entries;
        private final String root;
        private final String label;

        Blobs(Map<String, Entry> entries, String root, String label) {
            this.entries = entries;
            this.root = root;
            this.label = label;
        }

        byte[] entryBytes(String name) {
            Entry e = resolve(entries, name, label);
            if (e.small() == null) {
                throw new UnreadableItemException(label + "!" + name, "too large for a manifest or config");
            }
            return e.small();
        }

        @Override
        public byte[] bytes(Digest d) {
            return entryBytes(path(d));
        }

        @Override
        public LayerDigests.Hashes hashes(Digest d) {
            return resolve(entries, path(d), label).hashes();
        }

        @Override
        public String where(Digest d) {
            return label + "!" + path(d);
        }

        @Override
        public boolean exists(Digest d) {
            return entries.containsKey(path(d));
        }

        private String path(Digest d) {
            return root + "blobs/" + d.algorithm() + "/" + d.hex();
        }
    }
}
