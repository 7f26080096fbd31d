package io.layeratlas.events;

import java.util.Objects;

/**
 * A compressed (blob) digest known for a layer: what a registry serves for it.
 * Docker keeps these in {@code image/<driver>/distribution/v2metadata-by-diffid/} (distribution/metadata/v2_metadata_service.go).
 *
 * @param digest           the blob digest
 * @param mediaType        the blob's media type where known (OCI manifest), else null
 * @param sourceRepository the repository Docker pulled or pushed it from where known, else null
 */
public record CompressedDigest(Digest digest, String mediaType, String sourceRepository) {
    public CompressedDigest {
        Objects.requireNonNull(digest, "digest");
    }
}
