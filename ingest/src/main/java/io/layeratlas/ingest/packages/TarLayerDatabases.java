package io.layeratlas.ingest.packages;

import io.layeratlas.events.InstalledPackage;
import io.layeratlas.events.PackageDatabase;
import io.layeratlas.events.PackageEcosystem;
import io.layeratlas.events.Problem;
import io.layeratlas.ingest.internal.UnreadableItemException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Collects the package databases of one layer tar entry by entry, from a walk over the tar that its caller drives:
 * {@link LayerPackageReader#readTar}, or the archive and OCI layout readers, which walk each layer's decompressed
 * stream once for its digests and sizes ({@code archive.LayerDigests}) and hand every entry here on the way, so a
 * layer is never decompressed twice. The paths are {@link DatabasePaths}', the whiteout names {@link Whiteouts}'.
 * A later entry for the same path replaces an earlier one, as extraction would.
 *
 * <p>Memory is bounded: only database entries are read (a dpkg or apk database into memory up to
 * {@link LayerPackageReader#MAX_TEXT_BYTES}, an rpm sqlite database spooled to a temporary file, deleted after, up
 * to {@link LayerPackageReader#MAX_RPMDB_BYTES}); a bigger one is a problem naming its path and size, and its bytes
 * are left for the caller to drain. Not thread-safe: one instance per layer walk.
 */
public final class TarLayerDatabases {
    private final Map<String, PackageDatabase> found = new TreeMap<>();
    private final List<Problem> problems = new ArrayList<>();

    /**
     * Looks at one entry; reads its content from {@code content} only if it is a database (what it does not read,
     * the caller skips or drains). A database that cannot be parsed is a problem, not an exception.
     *
     * @param entry   the entry's header
     * @param content the tar stream, positioned at the entry's content
     * @throws IOException only if reading {@code content} fails (the stream itself is broken)
     */
    public void entry(TarArchiveEntry entry, InputStream content) throws IOException {
        String path = LayerPackageReader.normalize(entry.getName());
        if (path.isEmpty()) {
            return;
        }
        int slash = path.lastIndexOf('/');
        String parent = slash < 0 ? "" : path.substring(0, slash + 1);
        String base = path.substring(slash + 1);
        if (Whiteouts.isOpaque(base)) {
            if (!parent.isEmpty()) {
                DatabasePaths.directory(parent).ifPresent(eco -> found.put(parent, PackageDatabase.removed(eco, parent)));
            }
            return;
        }
        Optional<String> deleted = Whiteouts.deleted(base);
        if (deleted.isPresent()) {
            removed(parent + deleted.get());
            return;
        }
        if (Whiteouts.isReserved(base)) {
            return;
        }
        String unsupported = DatabasePaths.UNSUPPORTED.get(path);
        if (unsupported != null && !entry.isDirectory()) {
            problems.add(new Problem(path, unsupported));
            return;
        }
        Optional<PackageEcosystem> eco = DatabasePaths.file(path);
        if (eco.isEmpty() || entry.isDirectory()) {
            return;
        }
        if (entry.isSymbolicLink() || entry.isLink()) {
            problems.add(new Problem(path, "is a " + (entry.isSymbolicLink() ? "symbolic" : "hard") + " link to '"
                    + entry.getLinkName() + "', not followed; the database is not read"));
            return;
        }
        if (!entry.isFile()) {
            return;
        }
        try {
            found.put(path, PackageDatabase.present(eco.get(), path, parse(eco.get(), path, entry.getSize(), content)));
        } catch (UnreadableItemException ex) {
            problems.add(ex.toProblem());
        } catch (RuntimeException ex) {
            // a parser's bug costs this database, not the layer's digests nor the scan
            problems.add(new Problem(path, "reading failed unexpectedly: " + ex));
        }
    }

    /** What the entries seen so far add, replace or delete. */
    public LayerDatabases result() {
        return new LayerDatabases(new ArrayList<>(found.values()), problems);
    }

    private void removed(String target) {
        Optional<PackageEcosystem> file = DatabasePaths.file(target);
        if (file.isPresent()) {
            found.put(target, PackageDatabase.removed(file.get(), target));
            return;
        }
        String dir = target + "/";
        DatabasePaths.directory(dir).ifPresent(eco -> found.put(dir, PackageDatabase.removed(eco, dir)));
    }

    private List<InstalledPackage> parse(PackageEcosystem eco, String path, long size, InputStream in) throws IOException {
        if (eco == PackageEcosystem.RPM) {
            if (size > LayerPackageReader.MAX_RPMDB_BYTES) {
                throw new UnreadableItemException(path, "is " + size + " bytes, more than the "
                        + LayerPackageReader.MAX_RPMDB_BYTES + " read; the database is not read");
            }
            Path spool;
            try {
                spool = Files.createTempFile("layeratlas-rpmdb-", ".sqlite");
            } catch (IOException e) {
                throw new UnreadableItemException(path, "cannot spool to a temporary file: " + e.getMessage());
            }
            try {
                spool(in, spool, path);
                return RpmDatabase.read(spool, path, problems);
            } finally {
                Files.deleteIfExists(spool);
            }
        }
        if (size > LayerPackageReader.MAX_TEXT_BYTES) {
            throw new UnreadableItemException(path, "is " + size + " bytes, more than the "
                    + LayerPackageReader.MAX_TEXT_BYTES + " read; the database is not read");
        }
        return LayerPackageReader.parseText(eco, in.readNBytes((int) size), path, problems);
    }

    /**
     * Copies the entry to {@code spool}. A failure to write (a full disk) is the database's problem, and the entry
     * is still read to its end; a failure to read is the stream's, and is thrown.
     */
    private static void spool(InputStream in, Path spool, String path) throws IOException {
        IOException writing = null;
        byte[] buf = new byte[64 * 1024];
        OutputStream out = null;
        try {
            try {
                out = Files.newOutputStream(spool);
            } catch (IOException e) {
                writing = e;
            }
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (writing == null) {
                    try {
                        out.write(buf, 0, n);
                    } catch (IOException e) {
                        writing = e;
                    }
                }
            }
        } finally {
            if (out != null) {
                try {
                    out.close();
                } catch (IOException e) {
                    writing = writing == null ? e : writing;
                }
            }
        }
        if (writing != null) {
            throw new UnreadableItemException(path, "cannot spool to a temporary file: " + writing.getMessage());
        }
    }
}
