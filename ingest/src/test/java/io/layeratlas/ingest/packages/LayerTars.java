package io.layeratlas.ingest.packages;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds small uncompressed layer tars as {@code docker save} writes them (whiteouts as {@code .wh.} files). */
final class LayerTars {
    private final Map<String, byte[]> files = new LinkedHashMap<>();

    static LayerTars layer() {
        return new LayerTars();
    }

    LayerTars file(String path, byte[] content) {
        files.put(path, content);
        return this;
    }

    LayerTars file(String path, String content) {
        return file(path, content.getBytes(StandardCharsets.UTF_8));
    }

    /** An empty file, as a whiteout is in a tar. */
    LayerTars whiteout(String path) {
        return file(path, new byte[0]);
    }

    byte[] tar() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                for (Map.Entry<String, byte[]> f : files.entrySet()) {
                    TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                    e.setSize(f.getValue().length);
                    tar.putArchiveEntry(e);
                    tar.write(f.getValue());
                    tar.closeArchiveEntry();
                }
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
