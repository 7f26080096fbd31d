package io.layeratlas.ingest;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a reader read from one source: the inventory, and each image's config bytes verbatim (keyed by
 * image ID), which the agent publishes as {@link io.layeratlas.events.ImageConfigEvent}s.
 *
 * @param inventory the images, layers and problems found
 * @param configs   image ID to the image config JSON exactly as stored (never null)
 */
public record SourceScan(HostInventory inventory, Map<Digest, byte[]> configs) {
    public SourceScan {
        Objects.requireNonNull(inventory, "inventory");
        configs = configs == null ? Map.of() : Map.copyOf(configs);
    }

    /** The config of one image as UTF-8 text, if it was read. */
    public Optional<String> configText(Digest imageId) {
        return Optional.ofNullable(configs.get(imageId)).map(b -> new String(b, StandardCharsets.UTF_8));
    }
}
