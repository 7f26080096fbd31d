package io.layeratlas.events;

import java.util.Objects;

/**
 * An image config, content-addressed: topic {@link Topics#IMAGE_CONFIGS}, key = image ID.
 * The same config from many hosts is the same event, so duplicates are harmless (the topic is compacted).
 *
 * @param schemaVersion {@link LayerAtlasEvent#SCHEMA_VERSION}
 * @param imageId       the image ID; for Docker's overlay2 store, sha256 of {@code config}'s bytes
 * @param config        the config JSON verbatim, as UTF-8 text (OCI image-spec, config.md)
 * @param image         what was derived from it (diff IDs, chain IDs, history, created, os/arch);
 *                      the host-specific fields (tags, containers, sizes) are not meaningful here
 */
public record ImageConfigEvent(int schemaVersion, Digest imageId, String config, ImageRecord image)
        implements LayerAtlasEvent {
    public ImageConfigEvent {
        Objects.requireNonNull(imageId, "imageId");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(image, "image");
        if (!image.id().equals(imageId)) {
            throw new IllegalArgumentException("config event for " + imageId + " carries image " + image.id());
        }
    }

    public static ImageConfigEvent of(String config, ImageRecord image) {
        return new ImageConfigEvent(SCHEMA_VERSION, image.id(), config, image);
    }

    @Override
    public String key() {
        return imageId.toString();
    }
}
