package io.layeratlas.ingest;

import io.layeratlas.events.HostInventory;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.archive.ArchiveReader;
import io.layeratlas.ingest.dataroot.DataRootReader;
import io.layeratlas.ingest.engine.EngineApiReader;
import io.layeratlas.ingest.legacy.LegacyGraphReader;
import io.layeratlas.ingest.ocilayout.OciLayoutReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The one entry point for reading image storage: picks the {@link StorageReader} for a source (detected from
 * what the path holds, or given) and runs it. Thread-safe; readers hold no state.
 *
 * <p>Detection ({@link #detect}): a {@code unix://}, {@code tcp://} or {@code npipe://} URI, or a socket file,
 * is the Engine API; a folder with an {@code oci-layout} file is an OCI image layout; a folder with
 * {@code image/<driver>/imagedb} is a Docker data-root, and so is one whose images are in Docker's containerd image
 * store ({@code containerd/daemon/io.containerd.metadata.v1.bolt/meta.db}, or a containerd root such as
 * {@code /var/lib/containerd} itself, or a data-root with none of {@code image/} beside one); a folder with {@code graph/} or
 * {@code repositories-<driver>} is the pre-1.10 layout; a regular file is an image archive.
 */
public final class Scanner {
    private final Map<SourceKind, StorageReader> readers = new EnumMap<>(SourceKind.class);

    /** A scanner with every reader this module has; archives' and OCI layouts' package databases are read. */
    public Scanner() {
        this(true);
    }

    /**
     * A scanner with every reader this module has.
     *
     * @param readPackages whether archives and OCI layouts read their layers' package databases on the walk that
     *                     hashes each layer ({@link SourceScan#layerDatabases()}); off, that map is empty and only
     *                     the inventory is read (the agent's {@code --no-packages}, and {@code scan}, which prints
     *                     the inventory only). Data-roots never read packages here (the agent reads their folders).
     */
    public Scanner(boolean readPackages) {
        this(defaultReaders(readPackages));
    }

    /** A scanner with these readers (one per kind; a later one replaces an earlier one of the same kind). */
    public Scanner(List<StorageReader> readers) {
        for (StorageReader r : readers) {
            this.readers.put(r.kind(), r);
        }
    }

    static List<StorageReader> defaultReaders(boolean readPackages) {
        return List.of(new DataRootReader(), new LegacyGraphReader(), new ArchiveReader(readPackages),
                new OciLayoutReader(readPackages),
                new EngineApiReader());
    }

    /**
     * Reads one source into a host inventory.
     *
     * @param source a path (data-root, legacy graph root, archive, OCI layout) or an Engine API socket URI
     * @param kind   the kind to read it as ({@code --kind}); empty to detect it
     * @param hostId the host's identity, copied into the inventory
     * @throws UnreadableSourceException if the kind cannot be detected, has no reader, or the source cannot
     *                                   be read at all; bad items inside it are problems in the inventory instead
     */
    public HostInventory scan(String source, Optional<SourceKind> kind, String hostId) {
        return read(source, kind, hostId).inventory();
    }

    /** As {@link #scan}, with each image's config bytes as well (what the agent publishes). */
    public SourceScan read(String source, Optional<SourceKind> kind, String hostId) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(hostId, "hostId");
        SourceKind k = kind.or(() -> detect(source)).orElseThrow(() -> new UnreadableSourceException(source,
                notAStore(source)));
        StorageReader reader = readers.get(k);
        if (reader == null) {
            throw new UnreadableSourceException(source, "no reader for kind '" + k.id() + "' in this build");
        }
        return reader.read(source, hostId);
    }

    /**
     * As {@link #scan}, but a source that cannot be read at all gives an inventory too: no images, and one problem
     * whose path is the source and whose reason says why ("not an image store: …", "no such file or folder"). Its
     * {@code kind} is the kind asked for or detected, else {@code unknown}. What {@code layeratlas scan} prints.
     */
    public HostInventory scanOrReport(String source, Optional<SourceKind> kind, String hostId) {
        try {
            return scan(source, kind, hostId);
        } catch (UnreadableSourceException e) {
            return unreadable(source, kind, hostId, e.reason());
        } catch (RuntimeException e) {
            // a reader's bug must not cost the other sources their output; the reason names it
            return unreadable(source, kind, hostId, "reading failed unexpectedly: " + e);
        }
    }

    private static HostInventory unreadable(String source, Optional<SourceKind> kind, String hostId, String reason) {
        String k = kind.or(() -> detect(source)).map(SourceKind::id).orElse("unknown");
        return new HostInventory(source, k, hostId, java.time.Instant.now(), List.of(), List.of(),
                List.of(new io.layeratlas.events.Problem(source, reason)));
    }

    private static String notAStore(String source) {
        Path p;
        try {
            p = Path.of(source);
        } catch (RuntimeException e) {
            return "not a path or Docker host URI: " + e.getMessage();
        }
        if (!Files.exists(p)) {
            return "no such file or folder";
        }
        if (Files.isDirectory(p)) {
            return "not an image store: the folder holds none of oci-layout (OCI image layout), image/<driver>/imagedb "
                    + "(Docker data-root), containerd/daemon/io.containerd.metadata.v1.bolt/meta.db (containerd image store), graph/ or repositories-<driver> (pre-1.10 layout); give --kind if it is one";
        }
        return "not an image store: neither a regular file (image archive), a folder nor a socket";
    }

    /** The kinds this scanner can read. */
    public List<SourceKind> kinds() {
        return List.copyOf(readers.keySet());
    }

    /** The kind of storage a source holds, judged from its shape only (no content is parsed). */
    public static Optional<SourceKind> detect(String source) {
        if (source.startsWith("unix://") || source.startsWith("tcp://") || source.startsWith("npipe://")) {
            return Optional.of(SourceKind.ENGINE_API);
        }
        Path p;
        try {
            p = Path.of(source);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        if (Files.isDirectory(p)) {
            if (Files.isRegularFile(p.resolve("oci-layout"))) {
                return Optional.of(SourceKind.OCI_LAYOUT);
            }
            if (DataRootReader.looksLikeDataRoot(p)) {
                return Optional.of(SourceKind.DATA_ROOT);
            }
            if (Files.isDirectory(p.resolve("graph")) || hasLegacyRepositories(p)) {
                return Optional.of(SourceKind.LEGACY_GRAPH);
            }
            return Optional.empty();
        }
        if (Files.isRegularFile(p)) {
            return Optional.of(SourceKind.ARCHIVE);
        }
        if (isSocket(p)) {
            return Optional.of(SourceKind.ENGINE_API);
        }
        return Optional.empty();
    }

    private static boolean hasLegacyRepositories(Path dir) {
        try (var s = Files.list(dir)) {
            return s.anyMatch(f -> f.getFileName().toString().startsWith("repositories-") && Files.isRegularFile(f));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static boolean isSocket(Path p) {
        try {
            return Files.exists(p) && Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).isOther();
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
