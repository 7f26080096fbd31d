package io.layeratlas.ingest.packages;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads the few tags the index needs out of one rpm header blob, as rpm keeps it in a row of {@code rpmdb.sqlite}'s
 * {@code Packages} table (rpm's {@code lib/backend/sqlite.c}; the header's on-disk layout: rpm's
 * {@code lib/header.c}, {@code headerImport}, and the "Header structure" of the RPM file format,
 * {@code docs/manual/format_v4.md}).
 *
 * <p>Layout (all integers big-endian): {@code int32 il} (index entries), {@code int32 dl} (bytes of data), then
 * {@code il} entries of {@code int32 tag, int32 type, int32 offset, int32 count}, then the {@code dl}-byte data
 * store; an entry's value starts at {@code offset} in the store. A blob in the database has no header magic (rpm
 * strips it). Tags read: NAME 1000, VERSION 1001, RELEASE 1002 (STRING, type 6), EPOCH 1003 (INT32, type 4),
 * ARCH 1022, SOURCERPM 1044 (STRING). Every count, offset and string is bounds-checked against rpm's own limits
 * (at most 65535 entries and 256 MiB of data); a bad blob throws. Thread-safe (stateless).
 */
public final class RpmHeader {
    private RpmHeader() {
    }

    static final int NAME = 1000;
    static final int VERSION = 1001;
    static final int RELEASE = 1002;
    static final int EPOCH = 1003;
    static final int ARCH = 1022;
    static final int SOURCERPM = 1044;
    private static final int TYPE_INT32 = 4;
    private static final int TYPE_STRING = 6;
    private static final int TYPE_I18NSTRING = 9;
    /** rpm's hdrchkTags and hdrchkData limits (lib/header_internal.h). */
    private static final int MAX_ENTRIES = 0xffff;
    private static final int MAX_DATA = 0x0fffffff;

    /** A blob that is not a well-formed rpm header; the message says where it breaks. */
    public static final class BadHeaderException extends Exception {
        BadHeaderException(String message) {
            super(message);
        }
    }

    /** The tags read from one header; strings null where the header has no such tag. */
    public record Tags(String name, String version, String release, Integer epoch, String arch, String sourceRpm) {
    }

    /**
     * @param blob one {@code Packages.blob} value
     * @throws BadHeaderException if the blob is shorter than its counts say, a count is beyond rpm's limits, or a
     *                            tag read has an unexpected type or runs past the store
     */
    public static Tags parse(byte[] blob) throws BadHeaderException {
        if (blob.length < 8) {
            throw new BadHeaderException("header is " + blob.length + " bytes, shorter than its 8-byte preamble");
        }
        ByteBuffer b = ByteBuffer.wrap(blob);
        int il = b.getInt(0);
        int dl = b.getInt(4);
        if (il < 1 || il > MAX_ENTRIES) {
            throw new BadHeaderException("header has " + Integer.toUnsignedString(il) + " index entries (1 to " + MAX_ENTRIES + " allowed)");
        }
        if (dl < 0 || dl > MAX_DATA) {
            throw new BadHeaderException("header has " + Integer.toUnsignedString(dl) + " bytes of data (at most " + MAX_DATA + " allowed)");
        }
        long storeStart = 8L + 16L * il;
        if (storeStart + dl > blob.length) {
            throw new BadHeaderException("header says " + il + " entries and " + dl + " bytes of data, but the blob is "
                    + blob.length + " bytes");
        }
        String name = null, version = null, release = null, arch = null, sourceRpm = null;
        Integer epoch = null;
        for (int i = 0; i < il; i++) {
            int at = 8 + 16 * i;
            int tag = b.getInt(at);
            int type = b.getInt(at + 4);
            int offset = b.getInt(at + 8);
            int count = b.getInt(at + 12);
            switch (tag) {
                case NAME -> name = string(blob, (int) storeStart, dl, tag, type, offset);
                case VERSION -> version = string(blob, (int) storeStart, dl, tag, type, offset);
                case RELEASE -> release = string(blob, (int) storeStart, dl, tag, type, offset);
                case ARCH -> arch = string(blob, (int) storeStart, dl, tag, type, offset);
                case SOURCERPM -> sourceRpm = string(blob, (int) storeStart, dl, tag, type, offset);
                case EPOCH -> {
                    if (type != TYPE_INT32 || count < 1) {
                        throw new BadHeaderException("tag " + tag + " (EPOCH) has type " + type + " and count " + count
                                + ", not one INT32");
                    }
                    if (offset < 0 || (long) offset + 4 > dl) {
                        throw new BadHeaderException("tag " + tag + " (EPOCH) at offset " + offset + " runs past the "
                                + dl + "-byte store");
                    }
                    epoch = b.getInt((int) storeStart + offset);
                }
                default -> {
                }
            }
        }
        return new Tags(name, version, release, epoch, arch, sourceRpm);
    }

    private static String string(byte[] blob, int storeStart, int dl, int tag, int type, int offset)
            throws BadHeaderException {
        if (type != TYPE_STRING && type != TYPE_I18NSTRING) {
            throw new BadHeaderException("tag " + tag + " has type " + type + ", not STRING");
        }
        if (offset < 0 || offset >= dl) {
            throw new BadHeaderException("tag " + tag + " at offset " + offset + " is outside the " + dl + "-byte store");
        }
        int from = storeStart + offset;
        int end = storeStart + dl;
        for (int i = from; i < end; i++) {
            if (blob[i] == 0) {
                return new String(blob, from, i - from, StandardCharsets.UTF_8);
            }
        }
        throw new BadHeaderException("tag " + tag + " at offset " + offset + " has no terminating NUL in the store");
    }
}
