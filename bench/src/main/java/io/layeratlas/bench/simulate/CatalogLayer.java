package io.layeratlas.bench.simulate;

import io.layeratlas.events.Digest;

import java.util.Objects;

/**
 * One layer of the simulated catalog: one position of a layer stack, identified by its chain ID.
 *
 * @param index      position in {@link ImageCatalog#layer(int)}
 * @param chainId    the chain ID (OCI image-spec, config.md "Layer ChainID")
 * @param diffId     sha256 of the (never materialised) uncompressed tar
 * @param parent     index of the layer below, or -1 for a bottom layer
 * @param size       bytes of the layer's content, as Docker's {@code layerdb/.../size}
 * @param blobDigest the compressed (gzip) blob digest a registry would serve for it
 * @param blobSize   bytes of that blob
 */
public record CatalogLayer(int index, Digest chainId, Digest diffId, int parent, long size, Digest blobDigest,
                           long blobSize) {
    public CatalogLayer {
        Objects.requireNonNull(chainId, "chainId");
        Objects.requireNonNull(diffId, "diffId");
        Objects.requireNonNull(blobDigest, "blobDigest");
    }
}
