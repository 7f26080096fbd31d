package io.layeratlas.ingest.archive;

import io.layeratlas.events.Digest;

import java.util.List;

/**
 * An image found in an archive or OCI layout, before assembly into records.
 *
 * @param where     how problems name it (archive entry, blob path)
 * @param config    the config bytes verbatim
 * @param repoTags  repo tags as the archive names them
 * @param parent    a parent image ID the archive states ({@code manifest.json Parent}), or null
 * @param layers    its layer blobs, bottom first
 */
public record FoundImage(String where, byte[] config, List<String> repoTags, Digest parent, List<FoundLayer> layers) {

    /**
     * @param where     how problems name it
     * @param mediaType the descriptor's media type, or null (docker save)
     * @param hashes    the stream's digests and sizes; null for a known-absent foreign layer (no blob stored)
     * @param v1Id      the v1 layer ID of a {@code <v1 id>/layer.tar} entry, or null
     */
    public record FoundLayer(String where, String mediaType, LayerDigests.Hashes hashes, String v1Id) {
    }
}
