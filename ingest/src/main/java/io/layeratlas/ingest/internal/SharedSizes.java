package io.layeratlas.ingest.internal;

import io.layeratlas.events.Digest;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Docker's rule for an image's size, shared size and unique size, the one copy every reader uses (data-root,
 * legacy graph, archives and OCI layouts, and the Engine API where {@code /system/df} does not answer).
 *
 * <p>As Docker 20.10's {@code /system/df} computes it (moby {@code daemon/images/images.go}, {@code Images} with
 * {@code withExtraAttrs}): the layer references are counted over the images {@code docker image ls} shows
 * ({@code all=false}): images with a repo tag or repo digest, and images that are no other image's parent, so a
 * classic builder's intermediate images do not make a layer shared. An image's size is the sum of its layers'
 * sizes; its shared size the sum of the sizes of its layers (by chain ID) that more than one counted image uses;
 * its unique size the difference. Sizes are bytes; when any of an image's layer sizes is unknown (negative) all
 * three are -1. Stateless and thread-safe.
 */
public final class SharedSizes {
    private SharedSizes() {
    }

    /**
     * One image as the rule sees it.
     *
     * @param id         the image ID
     * @param named      whether it has a repo tag or repo digest
     * @param parent     its parent image ID, or null
     * @param chainIds   its layers, bottom first
     * @param layerSizes each layer's bytes, bottom first; negative when unknown
     */
    public record Image(Digest id, boolean named, Digest parent, List<Digest> chainIds, List<Long> layerSizes) {
        public Image {
            Objects.requireNonNull(id, "id");
            chainIds = List.copyOf(chainIds);
            layerSizes = List.copyOf(layerSizes);
            if (chainIds.size() != layerSizes.size()) {
                throw new IllegalArgumentException(chainIds.size() + " chain IDs but " + layerSizes.size() + " sizes");
            }
        }
    }

    /** Bytes: size, shared size, unique size ({@code size - shared}); all -1 when a layer size is unknown. */
    public record Sizes(long size, long shared, long unique) {
        public static final Sizes UNKNOWN = new Sizes(-1, -1, -1);
    }

    /** The sizes of every image, by image ID (an ID given twice counts once). */
    public static Map<Digest, Sizes> of(Collection<Image> images) {
        Map<Digest, Image> byId = new HashMap<>();
        for (Image i : images) {
            byId.putIfAbsent(i.id(), i);
        }
        Map<Digest, Integer> refs = layerReferences(byId.values());
        Map<Digest, Sizes> out = new HashMap<>();
        for (Image i : byId.values()) {
            out.put(i.id(), sizes(i, refs));
        }
        return out;
    }

    /** How many of the images {@code docker image ls} shows use each chain ID (see the class comment). */
    static Map<Digest, Integer> layerReferences(Collection<Image> images) {
        Set<Digest> parents = new HashSet<>();
        for (Image i : images) {
            if (i.parent() != null) {
                parents.add(i.parent());
            }
        }
        Map<Digest, Integer> refs = new HashMap<>();
        for (Image i : images) {
            if (!i.named() && parents.contains(i.id())) {
                continue; // an intermediate image: `docker image ls` does not show it
            }
            for (Digest c : new HashSet<>(i.chainIds())) {
                refs.merge(c, 1, Integer::sum);
            }
        }
        return refs;
    }

    private static Sizes sizes(Image i, Map<Digest, Integer> refs) {
        long size = 0;
        long shared = 0;
        for (int n = 0; n < i.chainIds().size(); n++) {
            long s = i.layerSizes().get(n);
            if (s < 0) {
                return Sizes.UNKNOWN;
            }
            size += s;
            if (refs.getOrDefault(i.chainIds().get(n), 0) > 1) {
                shared += s;
            }
        }
        return new Sizes(size, shared, size - shared);
    }
}
