package io.layeratlas.events;

import java.util.ArrayList;
import java.util.List;

/**
 * Chain IDs of a layer stack (OCI image-spec, config.md "Layer ChainID"):
 * {@code ChainID(L0) = DiffID(L0)}, {@code ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))}.
 * Docker keeps each layer under {@code layerdb/sha256/<chain id>/}.
 */
public final class ChainIds {
    private ChainIds() {
    }

    /** The chain ID of every prefix of the stack, same length and order as {@code diffIds}. */
    public static List<Digest> of(List<Digest> diffIds) {
        List<Digest> out = new ArrayList<>(diffIds.size());
        Digest chain = null;
        for (Digest diffId : diffIds) {
            chain = chain == null ? diffId : Digest.sha256Of(chain + " " + diffId);
            out.add(chain);
        }
        return List.copyOf(out);
    }
}
