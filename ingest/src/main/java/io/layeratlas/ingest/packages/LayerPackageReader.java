package io.layeratlas.ingest.packages;

import io.layeratlas.events.PackageEcosystem;
import io.layeratlas.events.InstalledPackage;
import io.layeratlas.events.PackageDatabase;

import io.layeratlas.events.Problem;
import io.layeratlas.ingest.internal.UnreadableItemException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads the package databases one layer adds, replaces or deletes ({@link LayerDatabases}), from the layer's own
 * contents: its uncompressed tar stream ({@link #readTar}) or its storage driver's diff folder ({@link #readFolder}).
 * The paths are {@link DatabasePaths}'; the parsers {@link DpkgStatus}, {@link ApkInstalled}, {@link RpmDatabase}.
 *
 * <p>Whiteouts, as the OCI image-spec's layer.md ("Whiteouts") and Docker's overlay2 driver write them:
 * <ul>
 *   <li>in a tar, {@code .wh.<name>} deletes {@code <name>} from the layers below and {@code .wh..wh..opq} makes
 *       its folder opaque (its contents below are gone);</li>
 *   <li>in an overlay2 (or fuse-overlayfs) diff folder, a deleted file or folder is a character device 0/0
 *       (read with the JDK's {@code unix:} attributes), and an opaque folder carries the extended attribute
 *       {@code trusted.overlay.opaque=y}, or {@code user.overlay.opaque=y} under rootless Docker. The JDK reads
 *       only the {@code user.} namespace, so an opaque folder marked with the {@code trusted.} attribute is not seen:
 *       the databases the layer puts in it are read, but the removal of ones below it that the layer does not
 *       replace is missed (DESIGN.md, "Layer packages").</li>
 *   <li>in an aufs diff folder ({@link DiffStyle#AUFS}), whiteouts are files named as in a tar (moby
 *       {@code daemon/graphdriver/aufs}): {@link Whiteouts} is the one rule for both.</li>
 * </ul>
 * A deleted database file gives a {@link PackageDatabase#REMOVED} entry for its path; a deleted or opaque
 * folder that holds database paths gives one for the folder, its path ending in {@code /}. Symbolic and hard
 * links at a database path are not followed (a problem). Old rpm databases (Berkeley DB {@code Packages}, ndb
 * {@code Packages.db}) are a problem "unsupported rpm database".
 *
 * <p>Memory is bounded: a dpkg or apk database is read into memory only up to {@link #MAX_TEXT_BYTES}, an rpm
 * sqlite database in a tar is spooled to a temporary file (deleted after) up to {@link #MAX_RPMDB_BYTES}; a bigger
 * one is a problem. Nothing is written in the layer. Thread-safe (stateless).
 */
public final class LayerPackageReader {
    /** dpkg status files of full distributions are a few MiB; 64 MiB is far past any real one. */
    public static final long MAX_TEXT_BYTES = 64L << 20;
    /** rpmdb.sqlite of a full Fedora install is under 200 MiB. */
    public static final long MAX_RPMDB_BYTES = 512L << 20;

    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;

    private LayerPackageReader() {
    }

    // ---------------------------------------------------------------------------------------------------- tar

    /**
     * Reads an uncompressed layer tar stream to its end (does not close it), through {@link TarLayerDatabases}.
     * A later entry for the same path replaces an earlier one, as extraction would.
     *
     * @throws IOException if the stream cannot be read as a tar
     */
    public static LayerDatabases readTar(InputStream uncompressed) throws IOException {
        TarArchiveInputStream tar = new TarArchiveInputStream(nonClosing(uncompressed), "UTF-8");
        TarLayerDatabases databases = new TarLayerDatabases();
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            databases.entry(e, tar);
        }
        return databases.result();
    }

    static List<InstalledPackage> parseText(PackageEcosystem eco, byte[] text, String path, List<Problem> problems) {
        return eco == PackageEcosystem.APK ? ApkInstalled.parse(text, path, problems) : DpkgStatus.parse(text, path, problems);
    }

    /** A tar entry's name as a path relative to the layer root: no {@code ./}, no leading or trailing {@code /}. */
    static String normalize(String name) {
        String p = name;
        while (p.startsWith("./") || p.startsWith("/")) {
            p = p.substring(p.startsWith("./") ? 2 : 1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.equals(".") ? "" : p;
    }

    // ------------------------------------------------------------------------------------------------- folder

    /** How a diff folder marks deletions. */
    public enum DiffStyle {
        /** overlay2, fuse-overlayfs: character devices 0/0 and the {@code overlay.opaque} attribute. */
        OVERLAY,
        /** aufs: {@code .wh.<name>} and {@code .wh..wh..opq} files, as in a tar ({@link Whiteouts}). */
        AUFS
    }

    /** {@link #readFolder(Path, DiffStyle)} of an overlay2 (or fuse-overlayfs) diff folder. */
    public static LayerDatabases readFolder(Path diff) {
        return readFolder(diff, DiffStyle.OVERLAY);
    }

    /**
     * Reads a layer's own folder (overlay2's {@code <cache id>/diff}, aufs's {@code diff/<id>}): only the database
     * paths and the folders holding them are looked at, never the whole tree. Files are opened read-only.
     *
     * @param diff  the layer's diff folder
     * @param style how the driver that wrote it marks deletions
     * @throws UnreadableItemException if {@code diff} is not a folder
     */
    public static LayerDatabases readFolder(Path diff, DiffStyle style) {
        if (!Files.isDirectory(diff, LinkOption.NOFOLLOW_LINKS)) {
            throw new UnreadableItemException(diff.toString(), "not a folder: the layer's contents cannot be read");
        }
        Map<String, PackageDatabase> found = new TreeMap<>();
        List<Problem> problems = new ArrayList<>();
        // Parents before children (sorted): a folder whose parent is not a folder is not looked at, so an empty
        // layer costs three lookups (var, lib, usr), not one per database path.
        Map<String, Kind> folders = new java.util.HashMap<>();
        folders.put("", Kind.FOLDER);
        for (String dir : DatabasePaths.directories()) {
            Kind k = folders.get(parentOf(dir)) == Kind.FOLDER ? kind(diff.resolve(dir), style) : Kind.ABSENT;
            folders.put(dir, k);
            if (k == Kind.WHITEOUT || (k == Kind.FOLDER && opaque(diff.resolve(dir), style))) {
                DatabasePaths.directory(dir).ifPresent(eco -> found.put(dir, PackageDatabase.removed(eco, dir)));
            }
        }
        for (Map.Entry<String, String> u : DatabasePaths.UNSUPPORTED.entrySet()) {
            if (folders.get(parentOf(u.getKey())) == Kind.FOLDER && kind(diff.resolve(u.getKey()), style) == Kind.FILE) {
                problems.add(new Problem(u.getKey(), u.getValue()));
            }
        }
        for (Map.Entry<String, PackageEcosystem> f : DatabasePaths.FILES.entrySet()) {
            if (folders.get(parentOf(f.getKey())) == Kind.FOLDER) {
                readFolderEntry(diff, f.getKey(), f.getValue(), style, found, problems);
            }
        }
        if (folders.get(DatabasePaths.DPKG_STATUS_D) != Kind.FOLDER) {
            return new LayerDatabases(new ArrayList<>(found.values()), problems);
        }
        try (var s = Files.list(diff.resolve(DatabasePaths.DPKG_STATUS_D))) {
            for (Path file : (Iterable<Path>) s.sorted()::iterator) {
                String name = file.getFileName().toString();
                String path = DatabasePaths.DPKG_STATUS_D + name;
                Optional<String> deleted = style == DiffStyle.AUFS ? Whiteouts.deleted(name) : Optional.empty();
                if (deleted.isPresent() && DatabasePaths.isStatusDFile(DatabasePaths.DPKG_STATUS_D + deleted.get())) {
                    String gone = DatabasePaths.DPKG_STATUS_D + deleted.get();
                    found.put(gone, PackageDatabase.removed(PackageEcosystem.DPKG, gone));
                } else if (DatabasePaths.isStatusDFile(path)) {
                    readFolderEntry(diff, path, PackageEcosystem.DPKG, style, found, problems);
                }
            }
        } catch (IOException e) {
            problems.add(new Problem(DatabasePaths.DPKG_STATUS_D, "cannot list: " + e.getMessage()));
        }
        return new LayerDatabases(new ArrayList<>(found.values()), problems);
    }

    private static void readFolderEntry(Path diff, String path, PackageEcosystem eco, DiffStyle style,
                                        Map<String, PackageDatabase> found, List<Problem> problems) {
        Path file = diff.resolve(path);
        switch (kind(file, style)) {
            case ABSENT, FOLDER, OTHER -> {
            }
            case WHITEOUT -> found.put(path, PackageDatabase.removed(eco, path));
            case LINK -> problems.add(new Problem(path, "is a symbolic link, not followed; the database is not read"));
            case FILE -> {
                try {
                    long size = Files.size(file);
                    List<InstalledPackage> packages;
                    if (eco == PackageEcosystem.RPM) {
                        packages = RpmDatabase.read(file, path, problems);
                    } else if (size > MAX_TEXT_BYTES) {
                        throw new UnreadableItemException(path, "is " + size + " bytes, more than the "
                                + MAX_TEXT_BYTES + " read; the database is not read");
                    } else {
                        packages = parseText(eco, Files.readAllBytes(file), path, problems);
                    }
                    found.put(path, PackageDatabase.present(eco, path, packages));
                } catch (IOException e) {
                    problems.add(new Problem(path, "cannot read: " + e));
                } catch (UnreadableItemException e) {
                    problems.add(e.toProblem());
                }
            }
        }
    }

    private enum Kind { ABSENT, FILE, FOLDER, LINK, WHITEOUT, OTHER }

    /** {@code var/lib/dpkg/status} → {@code var/lib/dpkg/}; {@code var/lib/} → {@code var/}; {@code var/} → {@code ""}. */
    private static String parentOf(String path) {
        String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        int slash = p.lastIndexOf('/');
        return slash < 0 ? "" : p.substring(0, slash + 1);
    }

    private static Kind kind(Path p, DiffStyle style) {
        if (style == DiffStyle.AUFS && p.getFileName() != null
                && Files.exists(p.resolveSibling(Whiteouts.PREFIX + p.getFileName()), LinkOption.NOFOLLOW_LINKS)) {
            return Kind.WHITEOUT;
        }
        try {
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
            int type = ((Integer) a.get("mode")) & S_IFMT;
            if (type == S_IFCHR) {
                return ((Long) a.get("rdev")) == 0L ? Kind.WHITEOUT : Kind.OTHER;
            }
            if (Files.isSymbolicLink(p)) {
                return Kind.LINK;
            }
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                return Kind.FOLDER;
            }
            return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Kind.FILE : Kind.OTHER;
        } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException e) {
            return Kind.ABSENT;
        } catch (IOException | UnsupportedOperationException e) {
            // no unix attributes (not Linux): tell files and folders apart without whiteouts
            if (Files.isSymbolicLink(p)) {
                return Kind.LINK;
            }
            return Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? Kind.FOLDER
                    : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Kind.FILE : Kind.ABSENT;
        }
    }

    /**
     * aufs: a {@code .wh..wh..opq} file in it; overlay: {@code user.overlay.opaque=y} (rootless), the {@code trusted.}
     * one being out of the JDK's reach.
     */
    private static boolean opaque(Path dir, DiffStyle style) {
        if (style == DiffStyle.AUFS) {
            return Files.exists(dir.resolve(Whiteouts.OPAQUE), LinkOption.NOFOLLOW_LINKS);
        }
        try {
            UserDefinedFileAttributeView view = Files.getFileAttributeView(dir, UserDefinedFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (view == null || !view.list().contains("overlay.opaque")) {
                return false;
            }
            ByteBuffer b = ByteBuffer.allocate(16);
            view.read("overlay.opaque", b);
            b.flip();
            return b.remaining() == 1 && b.get() == 'y';
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static InputStream nonClosing(InputStream in) {
        return new java.io.FilterInputStream(in) {
            @Override
            public void close() {
            }
        };
    }
}
