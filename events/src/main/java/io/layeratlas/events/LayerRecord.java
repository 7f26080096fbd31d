package io.layeratlas.events;

import java.util.List;
import java.util.Objects;

/**
 * A layer as held on one host: one position of a layer stack.
 *
 * @param chainId           the layer's chain ID (identifies it together with everything below it)
 * @param diffId            sha256 of the layer's uncompressed tar stream
 * @param parentChainId     chain ID of the layer below, or null for a bottom layer
 * @param size              bytes of the layer's content as Docker counts it ({@code layerdb/.../size}); -1 when unknown
 * @param compressedDigests blob digests known for this diff ID (never null, may be empty)
 * @param cacheId           the storage driver's folder for it ({@code overlay2/<cache id>}), or null
 * @param v1Id              the pre-1.10 v1 layer ID where known, or null
 */
public record LayerRecord(Digest chainId, Digest diffId, Digest parentChainId, long size,
                          List<CompressedDigest> compressedDigests, String cacheId, String v1Id) {
    public LayerRecord {
        Objects.requireNonNull(chainId, "chainId");
        Objects.requireNonNull(diffId, "diffId");
        compressedDigests = compressedDigests == null ? List.of() : List.copyOf(compressedDigests);
        if (parentChainId == null && !chainId.equals(diffId)) {
            throw new IllegalArgumentException("a bottom layer's chain ID is its diff ID: " + chainId + " != " + diffId);
        }
    }

    /** A layer with only the identities and size, as the walking skeleton needs. */
    public static LayerRecord of(Digest chainId, Digest diffId, Digest parentChainId, long size) {
        return new LayerRecord(chainId, diffId, parentChainId, size, List.of(), null, null);
    }
}
