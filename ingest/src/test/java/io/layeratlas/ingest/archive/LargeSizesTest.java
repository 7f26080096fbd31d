package io.layeratlas.ingest.archive;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sizes over 2 GiB and 8 GiB are carried as longs, from the tar header to the image record. No test here
 * writes or hashes gigabytes: the tar is a stream whose content is skipped, and the assembler is fed hashes.
 */
class LargeSizesTest {
    /** Entries get a fixed mtime: commons-compress stamps "now", and a layer built twice must hash the same. */
    static final java.nio.file.attribute.FileTime FIXED_MTIME =
            java.nio.file.attribute.FileTime.from(java.time.Instant.parse("2024-01-01T00:00:00Z"));

    private static final long GIB = 1L << 30;

    /** The header records that commons-compress writes for one entry of {@code size} bytes. */
    static byte[] header(String name, long size, int bigNumberMode) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarArchiveOutputStream t = new TarArchiveOutputStream(out, 512); // a block per record: nothing held back
        t.setBigNumberMode(bigNumberMode);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setModTime(FIXED_MTIME);
        e.setSize(size);
        t.putArchiveEntry(e);
        t.flush();
        return out.toByteArray(); // the content is never written: the stream below stands in for it
    }

    /** Byte arrays and runs of zeros, one after another; a run is skipped without producing its bytes. */
    static final class Pieces extends InputStream {
        private final List<Object> pieces; // byte[] or Long (that many zeros)
        private int index;
        private long offset;

        Pieces(Object... pieces) {
            this.pieces = new ArrayList<>(List.of(pieces));
        }

        private long length(Object p) {
            return p instanceof byte[] b ? b.length : (Long) p;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            while (index < pieces.size() && offset == length(pieces.get(index))) {
                index++;
                offset = 0;
            }
            if (index == pieces.size()) {
                return -1;
            }
            Object p = pieces.get(index);
            int n = (int) Math.min(len, length(p) - offset);
            if (p instanceof byte[] bytes) {
                System.arraycopy(bytes, (int) offset, b, off, n);
            } // a run's bytes are never looked at (the reader skips them by reading): leave the buffer as it is
            offset += n;
            return n;
        }

        @Override
        public long skip(long n) {
            if (index < pieces.size() && pieces.get(index) instanceof Long run) {
                long s = Math.min(n, run - offset);
                offset += s;
                return s;
            }
            return 0; // let the caller read
        }
    }

    @Test
    void a_layer_tar_with_a_pax_size_of_3_gib_and_a_base_256_size_of_5_gib_sums_to_8_gib() throws IOException {
        InputStream tar = new Pieces(
                header("big-pax", 3 * GIB, TarArchiveOutputStream.BIGNUMBER_POSIX), 3 * GIB,
                header("big-star", 5 * GIB + 100, TarArchiveOutputStream.BIGNUMBER_STAR), 5 * GIB + 100, new byte[412],
                new byte[1024]);
        assertThat(LayerDigests.walkTar(tar, true).contentSize()).isEqualTo(8 * GIB + 100);
    }

    @Test
    void image_and_layer_sizes_over_4_gib_are_not_wrapped() {
        Digest a = Digest.sha256Of("a".getBytes(StandardCharsets.UTF_8));
        Digest b = Digest.sha256Of("b".getBytes(StandardCharsets.UTF_8));
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + a
                + "\",\"" + b + "\"]},\"history\":[{\"created_by\":\"one\"},{\"created_by\":\"two\"}]}").getBytes(StandardCharsets.UTF_8);
        List<Problem> problems = new ArrayList<>();
        ImageAssembler assembler = new ImageAssembler(problems);
        assembler.add(new FoundImage("c.json", config, List.of("big:1"), null, List.of(
                new FoundImage.FoundLayer("a", null, new LayerDigests.Hashes(a, 3 * GIB + 512, LayerDigests.Compression.NONE,
                        a, 3 * GIB + 512, 3 * GIB), null),
                new FoundImage.FoundLayer("b", null, new LayerDigests.Hashes(b, 5 * GIB + 512, LayerDigests.Compression.NONE,
                        b, 5 * GIB + 512, 5 * GIB), null))));
        ImageRecord img = assembler.images().get(0);
        assertThat(problems).isEmpty();
        assertThat(img.size()).isEqualTo(8 * GIB);
        assertThat(img.uniqueSize()).isEqualTo(8 * GIB);
        assertThat(assembler.layers()).extracting(LayerRecord::size).containsExactlyInAnyOrder(3 * GIB, 5 * GIB);
        assertThat(img.history()).extracting(HistoryEntry::size).containsExactly(3 * GIB, 5 * GIB);
    }
}
