package io.layeratlas.ingest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Read-only access to files under one root folder (a data-root, an OCI layout). Every read resolves
 * symbolic links and refuses a target outside the root, a symlink loop, a non-regular file and a file over
 * the size limit, each as an {@link UnreadableItemException} naming the path relative to the root.
 * Files are opened with {@link StandardOpenOption#READ} only: nothing under the root is ever written.
 * Thread-safe.
 */
public final class SafeFiles {
    /** Metadata files (configs, layerdb entries, repositories.json) are small; 64 MiB bounds a corrupt one. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;

    private final Path root;
    private final Path realRoot;

    /** @throws IOException if the root itself cannot be resolved */
    public SafeFiles(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.realRoot = root.toRealPath();
    }

    /**
     * Opens a whole source: the scanners' entry point.
     *
     * @throws io.layeratlas.ingest.UnreadableSourceException if the source's root cannot be resolved
     */
    public static SafeFiles forSource(String source) {
        try {
            return new SafeFiles(Path.of(source));
        } catch (IOException e) {
            throw new io.layeratlas.ingest.UnreadableSourceException(source, "cannot open: " + e.getMessage(), e);
        }
    }

    public Path root() {
        return root;
    }

    /** The path relative to the root with {@code /} separators, as problems name it. */
    public String rel(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        String s = abs.startsWith(root) ? root.relativize(abs).toString() : abs.toString();
        return s.replace('\\', '/');
    }

    /** Reads a whole file; see the class comment for what is refused. */
    public byte[] read(Path file) {
        return read(file, DEFAULT_MAX_BYTES);
    }

    public byte[] read(Path file, long maxBytes) {
        Path real = resolve(file, false);
        try {
            if (!Files.isRegularFile(real)) {
                throw new UnreadableItemException(rel(file), "not a regular file");
            }
            long size = Files.size(real);
            if (size > maxBytes) {
                throw new UnreadableItemException(rel(file), "too large: " + size + " bytes (limit " + maxBytes + ")");
            }
            try (InputStream in = Files.newInputStream(real, StandardOpenOption.READ)) {
                return in.readNBytes((int) Math.min(maxBytes, Integer.MAX_VALUE - 16));
            }
        } catch (IOException e) {
            throw new UnreadableItemException(rel(file), "cannot read: " + describe(e), e);
        }
    }

    /** Reads a file if anything is at that path (a dangling symlink counts as something, and fails). */
    public Optional<byte[]> readIfPresent(Path file) {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(read(file));
    }

    /** Reads a small text file, trimmed of surrounding white space. */
    public Optional<String> readTextIfPresent(Path file) {
        return readIfPresent(file).map(b -> new String(b, java.nio.charset.StandardCharsets.UTF_8).trim());
    }

    /** Opens a file for streaming (checked as {@link #read}, without the size limit). */
    public InputStream open(Path file) {
        Path real = resolve(file, false);
        try {
            if (!Files.isRegularFile(real)) {
                throw new UnreadableItemException(rel(file), "not a regular file");
            }
            return Files.newInputStream(real, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new UnreadableItemException(rel(file), "cannot read: " + describe(e), e);
        }
    }

    /** True when a folder is at that path (after the same checks); false when nothing is there. */
    public boolean isDirectory(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        return Files.isDirectory(resolve(dir, true));
    }

    /**
     * The entries of a folder, sorted by name; empty if the folder does not exist.
     *
     * @throws UnreadableItemException if it is a symlink out of the root, a loop, or unreadable
     */
    public List<Path> list(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        Path real = resolve(dir, true);
        if (!Files.isDirectory(real)) {
            throw new UnreadableItemException(rel(dir), "not a folder");
        }
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(real)) {
            for (Path p : s) {
                out.add(dir.resolve(p.getFileName().toString()));
            }
        } catch (IOException e) {
            throw new UnreadableItemException(rel(dir), "cannot list: " + describe(e), e);
        }
        out.sort(null);
        return out;
    }

    private Path resolve(Path p, boolean dir) {
        Path abs = p.toAbsolutePath().normalize();
        if (!abs.startsWith(root)) {
            throw new UnreadableItemException(rel(p), "path escapes the root " + root);
        }
        Path real;
        try {
            real = abs.toRealPath();
        } catch (NoSuchFileException e) {
            throw new UnreadableItemException(rel(p), Files.isSymbolicLink(abs)
                    ? "dangling symbolic link" : "missing");
        } catch (FileSystemException e) {
            throw new UnreadableItemException(rel(p), describe(e), e);
        } catch (IOException e) {
            throw new UnreadableItemException(rel(p), "cannot resolve: " + describe(e), e);
        }
        if (!real.startsWith(realRoot)) {
            throw new UnreadableItemException(rel(p), "symbolic link escapes the root: points to " + real);
        }
        return real;
    }

    static String describe(IOException e) {
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            String reason = fse.getReason();
            if (reason.toLowerCase(java.util.Locale.ROOT).contains("too many levels of symbolic links")) {
                return "symbolic link loop";
            }
            return reason;
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
