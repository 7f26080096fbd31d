package io.layeratlas.events;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a snapshot chunk's Kafka headers say about it, so that a consumer can tell an unchanged full resend from its
 * headers alone, without decoding the value (see {@code events/README.md}, "Snapshot headers"). Headers are an
 * optimisation: the value stays the whole truth, and a record without them (or with unreadable ones) is decoded.
 *
 * @param generation the chunk's generation (as in the value)
 * @param chunk      the chunk's index (as in the value)
 * @param chunkCount the generation's chunk count (as in the value)
 * @param scannedAt  the scan time (as in the value)
 * @param holdings   the {@link Holdings} digest of the complete snapshot the chunk belongs to
 */
public record SnapshotEnvelope(long generation, int chunk, int chunkCount, Instant scannedAt, Digest holdings) {

    /** Header names, values UTF-8 text: decimal numbers, an RFC 3339 time, a {@code sha256:<hex>} digest. */
    public static final String GENERATION = "layeratlas.generation";
    public static final String CHUNK = "layeratlas.chunk";
    public static final String CHUNK_COUNT = "layeratlas.chunk-count";
    public static final String SCANNED_AT = "layeratlas.scanned-at";
    public static final String HOLDINGS = "layeratlas.holdings";

    /**
     * An upper bound, in bytes, of what the headers add to a record: the five names and the longest values (a 19-digit
     * generation, 10-digit chunk numbers, a nanosecond RFC 3339 time, a sha512 digest) with Kafka's per-header
     * varint lengths. Producers subtract it from the record's size limit.
     */
    public static final int MAX_HEADER_BYTES = 512;

    public SnapshotEnvelope {
        Objects.requireNonNull(scannedAt, "scannedAt");
        Objects.requireNonNull(holdings, "holdings");
        if (generation < 0 || chunkCount < 1 || chunk < 0 || chunk >= chunkCount) {
            throw new IllegalArgumentException("generation " + generation + ", chunk " + chunk + " of " + chunkCount);
        }
    }

    /** The envelope of a chunk of a snapshot whose holdings digest is {@code holdings}. */
    public static SnapshotEnvelope of(HostSnapshot chunk, Digest holdings) {
        return new SnapshotEnvelope(chunk.generation(), chunk.chunk(), chunk.chunkCount(), chunk.scannedAt(), holdings);
    }

    /** The headers to send, in a stable order. */
    public Map<String, byte[]> headers() {
        Map<String, byte[]> h = new LinkedHashMap<>();
        h.put(GENERATION, utf8(Long.toString(generation)));
        h.put(CHUNK, utf8(Integer.toString(chunk)));
        h.put(CHUNK_COUNT, utf8(Integer.toString(chunkCount)));
        h.put(SCANNED_AT, utf8(scannedAt.toString()));
        h.put(HOLDINGS, utf8(holdings.toString()));
        return h;
    }

    /**
     * Reads the envelope from a record's headers.
     *
     * @param lastHeader the value of the last header with a name, or null when there is none
     * @return empty when a header is missing or unreadable: the value must be decoded then
     */
    public static Optional<SnapshotEnvelope> fromHeaders(Function<String, byte[]> lastHeader) {
        try {
            String gen = text(lastHeader, GENERATION);
            String chunk = text(lastHeader, CHUNK);
            String count = text(lastHeader, CHUNK_COUNT);
            String at = text(lastHeader, SCANNED_AT);
            String holdings = text(lastHeader, HOLDINGS);
            if (gen == null || chunk == null || count == null || at == null || holdings == null) {
                return Optional.empty();
            }
            return Optional.of(new SnapshotEnvelope(Long.parseLong(gen), Integer.parseInt(chunk), Integer.parseInt(count),
                    Instant.parse(at), Digest.parse(holdings)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String text(Function<String, byte[]> lastHeader, String name) {
        byte[] v = lastHeader.apply(name);
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
