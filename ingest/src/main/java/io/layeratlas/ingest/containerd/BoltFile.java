package io.layeratlas.ingest.containerd;

import io.layeratlas.ingest.internal.UnreadableItemException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A read-only reader of a bbolt database file (the format of {@code go.etcd.io/bbolt}, which containerd keeps its
 * metadata in: {@code io.containerd.metadata.v1.bolt/meta.db}, the snapshotters' {@code metadata.db}). Reads pages
 * on demand from the file; never writes, never takes bbolt's file lock, so a stopped daemon's file is read as it
 * was last committed.
 *
 * <p>The format, as bbolt's {@code page.go}, {@code db.go}, {@code bucket.go} and {@code node.go} write it (all
 * integers little-endian on the amd64/arm64 hosts this reads):
 * <ul>
 *   <li>Every page starts with a 16-byte header: {@code id} u64, {@code flags} u16 (0x01 branch, 0x02 leaf,
 *       0x04 meta, 0x10 freelist), {@code count} u16, {@code overflow} u32; a page spans {@code 1 + overflow}
 *       pages of {@code pageSize} bytes.</li>
 *   <li>Pages 0 and 1 are meta pages: {@code magic} u32 = 0xED0CDAED, {@code version} u32 = 2, {@code pageSize}
 *       u32, {@code flags} u32, root bucket ({@code root} pgid u64, {@code sequence} u64), {@code freelist} u64,
 *       {@code pgid} u64 (the high-water mark), {@code txid} u64, {@code checksum} u64 (FNV-1a 64 over the 56
 *       bytes before it). The valid meta with the higher {@code txid} is the current one.</li>
 *   <li>Branch elements (16 bytes): {@code pos} u32, {@code ksize} u32, {@code pgid} u64; leaf elements
 *       (16 bytes): {@code flags} u32 (0x01: the value is a bucket), {@code pos} u32, {@code ksize} u32,
 *       {@code vsize} u32. {@code pos} counts from the element's own first byte.</li>
 *   <li>A bucket value is {@code root} pgid u64 and {@code sequence} u64; with {@code root} 0 the bucket is
 *       inline: its leaf page follows those 16 bytes inside the value.</li>
 * </ul>
 *
 * <p>Bounds: a page number at or past the meta's high-water mark or past the end of the file, a page of the wrong
 * type, an element reaching past its page, a tree deeper than {@value #MAX_DEPTH} or a page met twice in one walk
 * is an {@link UnreadableItemException} whose path is the file and whose reason names the page (and its byte
 * offset) and what was wrong. Not thread-safe: one reader per thread; close it when done.
 */
public final class BoltFile implements AutoCloseable {
    /** bbolt's magic number ({@code db.go}). */
    static final int MAGIC = 0xED0CDAED;
    /** The only data format version bbolt writes ({@code db.go}). */
    static final int VERSION = 2;
    static final int PAGE_HEADER = 16;
    static final int BRANCH = 0x01;
    static final int LEAF = 0x02;
    static final int META = 0x04;
    static final int BUCKET_LEAF_FLAG = 0x01;
    /** Deeper than any real B+tree of 4 KiB pages; guards against cycles that revisit through other pages. */
    static final int MAX_DEPTH = 64;

    private final String where;
    private final FileChannel channel;
    private final long fileSize;
    private final int pageSize;
    private final long highWater;
    private final long rootPage;

    private BoltFile(String where, FileChannel channel) throws IOException {
        this.where = where;
        this.channel = channel;
        this.fileSize = channel.size();
        Meta m0 = meta(0, 0);
        Meta m1 = m0.valid() ? meta(1, m0.pageSize) : null;
        if (m1 == null) {
            // page 0 is unreadable: page 1 is one page further on, at the page size the other meta would have said;
            // if none is valid, the one at 4 KiB (bbolt's default on Linux) is the one reported
            for (int size : new int[] {4096, 8192, 16384, 65536}) {
                Meta m = meta(1, size);
                if (m1 == null || (m.valid() && m.pageSize == size)) {
                    m1 = m;
                }
                if (m.valid() && m.pageSize == size) {
                    break;
                }
            }
        }
        Meta current;
        if (m0.valid() && m1 != null && m1.valid()) {
            current = m1.txid > m0.txid ? m1 : m0;
        } else if (m0.valid()) {
            current = m0;
        } else if (m1 != null && m1.valid()) {
            current = m1;
        } else {
            throw new UnreadableItemException(where, "not a bbolt database: meta page 0 " + m0.error
                    + (m1 == null ? "" : " and meta page 1 " + m1.error));
        }
        this.pageSize = current.pageSize;
        this.highWater = current.pgid;
        this.rootPage = current.root;
    }

    /**
     * Opens a bbolt file read-only and reads its meta pages.
     *
     * @param file  the file
     * @param where how problems name the file (usually its path relative to the scanned source)
     * @throws UnreadableItemException if the file cannot be opened or neither meta page is valid
     */
    public static BoltFile open(Path file, String where) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new UnreadableItemException(where, "cannot open: " + e.getMessage(), e);
        }
        try {
            return new BoltFile(where, ch);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new UnreadableItemException(where, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** The page size in bytes that the file's meta page gives. */
    public int pageSize() {
        return pageSize;
    }

    /** The page number of the root bucket's tree, as the current meta page gives it. */
    long rootPage() {
        return rootPage;
    }

    /** The root bucket: the top-level buckets are its entries. */
    public Bucket root() {
        return new Bucket(this, "", rootPage, null);
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // read-only: nothing to lose
        }
    }

    private record Meta(int pageSize, long root, long pgid, long txid, String error) {
        boolean valid() {
            return error == null;
        }
    }

    private Meta meta(int page, int size) throws IOException {
        long off = (long) page * size + PAGE_HEADER;
        if (off + 64 > fileSize) {
            return new Meta(0, 0, 0, 0, "(at byte " + off + ") is past the end of the file (" + fileSize + " bytes)");
        }
        ByteBuffer b = readAt(off, 64);
        int magic = b.getInt(0);
        int version = b.getInt(4);
        int ps = b.getInt(8);
        long root = b.getLong(16);
        long pgid = b.getLong(40);
        long txid = b.getLong(48);
        long checksum = b.getLong(56);
        String at = "(at byte " + off + ")";
        if (magic != MAGIC) {
            return new Meta(0, 0, 0, 0, at + " has magic 0x" + Integer.toHexString(magic) + ", not 0xed0cdaed");
        }
        if (version != VERSION) {
            return new Meta(0, 0, 0, 0, at + " has version " + version + ", not " + VERSION);
        }
        if (checksum != fnv1a64(b, 56)) {
            return new Meta(0, 0, 0, 0, at + " fails its checksum");
        }
        if (ps < 512 || Integer.bitCount(ps) != 1) {
            return new Meta(0, 0, 0, 0, at + " gives page size " + Integer.toUnsignedString(ps));
        }
        return new Meta(ps, root, pgid, txid, null);
    }

    /** FNV-1a, 64 bits (Go's {@code hash/fnv.New64a}), over the first {@code n} bytes. */
    static long fnv1a64(ByteBuffer b, int n) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < n; i++) {
            h ^= b.get(i) & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private ByteBuffer readAt(long off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (channel.read(b, off + b.position()) < 0) {
                throw new IOException("unexpected end of file at byte " + (off + b.position()));
            }
        }
        return b.flip();
    }

    /** Reads page {@code id} with its overflow pages; checks its number and bounds. */
    private ByteBuffer page(long id) {
        long off = id * pageSize;
        String at = "page " + id + " (byte " + off + ")";
        if (id < 2 || id >= highWater) {
            throw new UnreadableItemException(where, at + " is outside the database's pages 2.." + (highWater - 1));
        }
        if (off + pageSize > fileSize) {
            throw new UnreadableItemException(where, at + " is past the end of the file (" + fileSize
                    + " bytes): the file is truncated");
        }
        try {
            ByteBuffer head = readAt(off, PAGE_HEADER);
            long overflow = Integer.toUnsignedLong(head.getInt(12));
            long len = (overflow + 1) * pageSize;
            if (head.getLong(0) != id) {
                throw new UnreadableItemException(where, at + " says it is page " + head.getLong(0));
            }
            if (id + overflow >= highWater || off + len > fileSize || len > Integer.MAX_VALUE) {
                throw new UnreadableItemException(where, at + " has " + overflow + " overflow pages, past the end of "
                        + "the database");
            }
            return readAt(off, (int) len);
        } catch (IOException e) {
            throw new UnreadableItemException(where, at + ": " + e.getMessage(), e);
        }
    }

    /** One key and its value or bucket, as a bucket's leaf holds it. */
    public record Entry(byte[] key, byte[] value, boolean isBucket) {
        /** The key as UTF-8 text (containerd's keys are text). */
        public String name() {
            return new String(key, StandardCharsets.UTF_8);
        }
    }

    /**
     * A bucket: a B+tree of keys in byte order. Nested buckets are entries with {@link Entry#isBucket()}; open them
     * with {@link #bucket}.
     */
    public static final class Bucket {
        private final BoltFile db;
        private final String path;
        private final long root;
        private final ByteBuffer inline;

        private Bucket(BoltFile db, String path, long root, ByteBuffer inline) {
            this.db = db;
            this.path = path;
            this.root = root;
            this.inline = inline;
        }

        /** The bucket's path from the root, names joined by {@code /}, for messages. */
        public String path() {
            return path;
        }

        /**
         * Every entry, in key order.
         *
         * @throws UnreadableItemException naming the file, the bucket and the page, if its pages are bad
         */
        public List<Entry> entries() {
            List<Entry> out = new ArrayList<>();
            if (inline != null) {
                db.leaf(inline, describe(path) + " (inline)", out);
            } else {
                db.walk(root, path, 0, new HashSet<>(), out);
            }
            return out;
        }

        /** The nested bucket with this name, if there is one. */
        public Optional<Bucket> bucket(String name) {
            for (Entry e : entries()) {
                if (e.isBucket() && e.name().equals(name)) {
                    return Optional.of(open(e));
                }
            }
            return Optional.empty();
        }

        /** The value (not a bucket) with this key, if there is one. */
        public Optional<byte[]> get(String name) {
            for (Entry e : entries()) {
                if (!e.isBucket() && e.name().equals(name)) {
                    return Optional.of(e.value());
                }
            }
            return Optional.empty();
        }

        /** A nested bucket from its entry. */
        public Bucket open(Entry e) {
            String child = path.isEmpty() ? e.name() : path + "/" + e.name();
            if (!e.isBucket()) {
                throw new IllegalArgumentException(child + " is a value, not a bucket");
            }
            byte[] v = e.value();
            if (v.length < 16) {
                throw new UnreadableItemException(db.where, "bucket " + child + ": its header is " + v.length
                        + " bytes, not 16");
            }
            ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
            long r = b.getLong(0);
            if (r == 0) {
                if (v.length < 16 + PAGE_HEADER) {
                    throw new UnreadableItemException(db.where, "bucket " + child + ": inline bucket of "
                            + v.length + " bytes has no page");
                }
                return new Bucket(db, child, 0, ByteBuffer.wrap(Arrays.copyOfRange(v, 16, v.length))
                        .order(ByteOrder.LITTLE_ENDIAN));
            }
            return new Bucket(db, child, r, null);
        }
    }

    private void walk(long id, String bucket, int depth, Set<Long> seen, List<Entry> out) {
        if (depth > MAX_DEPTH) {
            throw new UnreadableItemException(where, describe(bucket) + ": tree deeper than " + MAX_DEPTH
                    + " pages at page " + id);
        }
        if (!seen.add(id)) {
            throw new UnreadableItemException(where, describe(bucket) + ": page " + id + " is reached twice");
        }
        ByteBuffer p = page(id);
        int flags = Short.toUnsignedInt(p.getShort(8));
        String at = describe(bucket) + ", page " + id + " (byte " + id * pageSize + ")";
        if ((flags & LEAF) != 0) {
            leaf(p, at, out);
        } else if ((flags & BRANCH) != 0) {
            int count = Short.toUnsignedInt(p.getShort(10));
            checkElements(p, count, at);
            for (int i = 0; i < count; i++) {
                int el = PAGE_HEADER + i * 16;
                walk(p.getLong(el + 8), bucket, depth + 1, seen, out);
            }
        } else {
            throw new UnreadableItemException(where, at + " has flags 0x" + Integer.toHexString(flags)
                    + ", neither a branch nor a leaf page");
        }
    }

    private static String describe(String bucket) {
        return bucket.isEmpty() ? "root bucket" : "bucket " + bucket;
    }

    private void checkElements(ByteBuffer p, int count, String at) {
        if (PAGE_HEADER + (long) count * 16 > p.limit()) {
            throw new UnreadableItemException(where, at + ": " + count + " elements do not fit in its "
                    + p.limit() + " bytes");
        }
    }

    private void leaf(ByteBuffer p, String at, List<Entry> out) {
        int flags = Short.toUnsignedInt(p.getShort(8));
        if ((flags & LEAF) == 0) {
            throw new UnreadableItemException(where, at + " has flags 0x" + Integer.toHexString(flags)
                    + ", not a leaf page");
        }
        int count = Short.toUnsignedInt(p.getShort(10));
        checkElements(p, count, at);
        for (int i = 0; i < count; i++) {
            int el = PAGE_HEADER + i * 16;
            int eflags = p.getInt(el);
            long pos = Integer.toUnsignedLong(p.getInt(el + 4));
            long ksize = Integer.toUnsignedLong(p.getInt(el + 8));
            long vsize = Integer.toUnsignedLong(p.getInt(el + 12));
            long start = el + pos;
            if (start + ksize + vsize > p.limit()) {
                throw new UnreadableItemException(where, at + ": element " + i + " (key " + ksize + " bytes, value "
                        + vsize + " bytes at +" + pos + ") reaches past the page's " + p.limit() + " bytes");
            }
            byte[] key = new byte[(int) ksize];
            byte[] value = new byte[(int) vsize];
            p.get((int) start, key);
            p.get((int) (start + ksize), value);
            out.add(new Entry(key, value, (eflags & BUCKET_LEAF_FLAG) != 0));
        }
    }
}
