package io.layeratlas.ingest;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.ingest.packages.LayerDatabases;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a reader read from one source: the inventory, each image's config bytes verbatim (keyed by
 * image ID), which the agent publishes as {@link io.layeratlas.events.ImageConfigEvent}s, and the package databases
 * of the layers whose tar streams the reader walked (archives, OCI layouts), which the agent publishes as
 * {@link io.layeratlas.events.LayerPackages} events.
 *
 * @param inventory      the images, layers and problems found
 * @param configs        image ID to the image config JSON exactly as stored (never null)
 * @param layerDatabases diff ID to the package databases read from that layer's tar stream on the scan's own walk
 *                       over it; empty for sources whose layers are not streamed (a data-root's layers are read
 *                       from their folders instead: {@link io.layeratlas.ingest.packages.LayerContents}) (never null)
 */
public record SourceScan(HostInventory inventory, Map<Digest, byte[]> configs, Map<Digest, LayerDatabases> layerDatabases) {
    public SourceScan {
        Objects.requireNonNull(inventory, "inventory");
        configs = configs == null ? Map.of() : Map.copyOf(configs);
        layerDatabases = layerDatabases == null ? Map.of() : Map.copyOf(layerDatabases);
    }

    /** A scan whose layers' tar streams were not walked. */
    public SourceScan(HostInventory inventory, Map<Digest, byte[]> configs) {
        this(inventory, configs, Map.of());
    }

    /** The config of one image as UTF-8 text, if it was read. */
    public Optional<String> configText(Digest imageId) {
        return Optional.ofNullable(configs.get(imageId)).map(b -> new String(b, StandardCharsets.UTF_8));
    }
}
