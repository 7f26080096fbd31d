package io.layeratlas.ingest.archive;

import com.github.luben.zstd.ZstdInputStream;
import io.layeratlas.events.Digest;
import io.layeratlas.ingest.packages.LayerDatabases;
import io.layeratlas.ingest.packages.TarLayerDatabases;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.zip.GZIPInputStream;

/**
 * Hashes a blob or layer stream in one pass: the sha256 of its bytes as stored (the compressed digest), and
 * of its decompressed bytes (the diff ID, for a layer: OCI image-spec, config.md {@code rootfs.diff_ids}).
 * The compression is told from magic bytes, not names or media types: gzip {@code 1f 8b}, zstd
 * {@code 28 b5 2f fd}, else plain. For a tar stream it also sums the sizes of its regular files and the
 * lengths of its symbolic links' targets, which is how Docker counts a layer's size, and hands each of its entries
 * to a {@link TarLayerDatabases} on the same walk: a layer's package databases are read from the stream its
 * digests are computed from, never by decompressing it again. Thread-safe (stateless).
 */
public final class LayerDigests {
    private LayerDigests() {
    }

    /** How a stream is compressed. */
    public enum Compression { NONE, GZIP, ZSTD }

    /**
     * @param digest           sha256 of the bytes as stored
     * @param size             bytes as stored
     * @param compression      as told from the magic bytes
     * @param uncompressed     sha256 of the decompressed bytes (equals {@code digest} for {@link Compression#NONE})
     * @param uncompressedSize decompressed bytes
     * @param contentSize      sum of the regular files' sizes if the decompressed bytes are a tar, else -1
     * @param databases        the package databases the tar adds, replaces or deletes ({@link TarLayerDatabases});
     *                         null if the decompressed bytes are not a tar, or if they were not asked for
     */
    public record Hashes(Digest digest, long size, Compression compression, Digest uncompressed,
                         long uncompressedSize, long contentSize, LayerDatabases databases) {

        /** Hashes of a stream whose package databases were not read. */
        public Hashes(Digest digest, long size, Compression compression, Digest uncompressed, long uncompressedSize,
                      long contentSize) {
            this(digest, size, compression, uncompressed, uncompressedSize, contentSize, null);
        }
    }

    /**
     * Reads the stream to its end (does not close it).
     *
     * @param readDatabases whether to read the package databases of a tar stream; without, {@link Hashes#databases}
     *                      is null and only the digests and sizes are computed (the agent's {@code --no-packages})
     * @throws IOException if reading or decompressing fails (a truncated gzip, a corrupt zstd frame)
     */
    public static Hashes hash(InputStream stored, boolean readDatabases) throws IOException {
        MessageDigest rawSha = Digest.sha256();
        CountingInputStream raw = new CountingInputStream(new DigestInputStream(stored, rawSha));
        BufferedInputStream in = new BufferedInputStream(raw, 64 * 1024);
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        Compression c = magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b ? Compression.GZIP
                : magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd ? Compression.ZSTD : Compression.NONE;
        InputStream decompressed = switch (c) {
            case GZIP -> new GZIPInputStream(nonClosing(in), 64 * 1024);
            case ZSTD -> new ZstdInputStream(nonClosing(in));
            case NONE -> nonClosing(in);
        };
        MessageDigest plainSha = Digest.sha256();
        CountingInputStream plain = new CountingInputStream(new DigestInputStream(decompressed, plainSha));
        TarWalk walk;
        try {
            walk = walkTar(plain, readDatabases);
            plain.transferTo(OutputNull.INSTANCE);
        } finally {
            decompressed.close(); // frees the inflater or zstd's native context; `stored` stays open
        }
        in.transferTo(OutputNull.INSTANCE); // whatever follows the compressed stream still counts in the digest
        Digest rawDigest = Digest.sha256Of(rawSha);
        Digest plainDigest = Digest.sha256Of(plainSha);
        return new Hashes(rawDigest, raw.count(), c, plainDigest, plain.count(), walk.contentSize(), walk.databases());
    }

    /**
     * @param contentSize sum of regular files' sizes and symbolic links' target lengths, in bytes (a long: layers
     *                    exceed 2 GiB); -1 if not a tar
     * @param databases   the tar's package databases; null if not a tar
     */
    record TarWalk(long contentSize, LayerDatabases databases) {
        static final TarWalk NOT_A_TAR = new TarWalk(-1, null);
    }

    /** One walk over a tar stream's entries: its content size, and its package databases if {@code readDatabases}. */
    static TarWalk walkTar(InputStream in, boolean readDatabases) {
        try {
            // UTF-8, not the JVM's default charset: a link's target length is counted in UTF-8 bytes
            TarArchiveInputStream tar = new TarArchiveInputStream(nonClosing(in), "UTF-8");
            long sum = 0;
            TarLayerDatabases databases = readDatabases ? new TarLayerDatabases() : null;
            TarArchiveEntry e;
            int entries = 0;
            // content is drained here in large reads: left to getNextEntry, it is skipped 2 KiB per call
            byte[] drain = new byte[64 * 1024];
            while ((e = tar.getNextEntry()) != null) {
                entries++;
                // Docker counts a layer as its unpacked folder's size (pkg/directory): regular files, and
                // symbolic links by the length of their target; hard links share the first file's bytes.
                // (commons-compress's isFile() is also true for links, so ask about links first)
                if (e.isSymbolicLink()) {
                    sum += e.getLinkName().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                } else if (!e.isLink() && !e.isDirectory() && e.isFile()) {
                    sum += e.getSize();
                }
                if (databases != null) {
                    databases.entry(e, tar); // reads a database's content; the rest is drained below
                }
                while (tar.read(drain) >= 0) {
                    // the bytes count only in the stream's digests, which the caller's stream computes
                }
            }
            return new TarWalk(entries == 0 && sum == 0 ? 0 : sum, databases == null ? null : databases.result());
        } catch (IOException | RuntimeException e) {
            return TarWalk.NOT_A_TAR;
        }
    }

    private static InputStream nonClosing(InputStream in) {
        return new java.io.FilterInputStream(in) {
            @Override
            public void close() {
            }
        };
    }

    private static final class OutputNull extends java.io.OutputStream {
        static final OutputNull INSTANCE = new OutputNull();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }
}
