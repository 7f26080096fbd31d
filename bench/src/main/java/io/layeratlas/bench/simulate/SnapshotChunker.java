package io.layeratlas.bench.simulate;

import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits one host inventory into {@link HostSnapshot} chunks whose encoded value stays at or below a byte limit.
 * Images and layers are split evenly by count across chunks; if a chunk still comes out too large, the count grows
 * by one and the split is redone. Stateless and thread-safe.
 */
public final class SnapshotChunker {
    private SnapshotChunker() {
    }

    /** One chunk and its encoded value. */
    public record Chunk(HostSnapshot snapshot, byte[] value) {
    }

    /**
     * @throws IllegalArgumentException if even one image or one layer alone does not fit {@code maxBytes}
     */
    public static List<Chunk> chunk(String hostId, long generation, Instant scannedAt, String agentVersion,
                                    String sourceKind, String source, List<ImageRecord> images,
                                    List<LayerRecord> layers, int maxBytes) {
        HostSnapshot whole = new HostSnapshot(LayerAtlasEvent.SCHEMA_VERSION, hostId, generation, 0, 1, scannedAt,
                agentVersion, sourceKind, source, images, layers, List.of());
        byte[] encoded = EventCodec.encode(whole);
        if (encoded.length <= maxBytes) {
            return List.of(new Chunk(whole, encoded));
        }
        int items = Math.max(images.size(), layers.size());
        // Aim below the limit so the first split usually holds.
        int count = (int) Math.ceil(encoded.length / (maxBytes * 0.85));
        while (count <= items) {
            List<Chunk> out = new ArrayList<>(count);
            boolean fits = true;
            for (int i = 0; i < count && fits; i++) {
                HostSnapshot part = new HostSnapshot(LayerAtlasEvent.SCHEMA_VERSION, hostId, generation, i, count,
                        scannedAt, agentVersion, sourceKind, source, slice(images, i, count), slice(layers, i, count),
                        List.of());
                byte[] value = EventCodec.encode(part);
                fits = value.length <= maxBytes;
                out.add(new Chunk(part, value));
            }
            if (fits) {
                return out;
            }
            count++;
        }
        throw new IllegalArgumentException("host " + hostId + ": one image or layer alone exceeds " + maxBytes + " bytes");
    }

    private static <T> List<T> slice(List<T> all, int i, int count) {
        int from = (int) ((long) all.size() * i / count);
        int to = (int) ((long) all.size() * (i + 1) / count);
        return all.subList(from, to);
    }
}
