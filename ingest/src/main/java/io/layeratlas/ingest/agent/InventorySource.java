package io.layeratlas.ingest.agent;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.ingest.SourceScan;
import io.layeratlas.ingest.packages.LayerContents;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where the agent gets a host's state from: one full read of the image storage per call. The agent calls it from
 * one thread at a time, at start, after a change was noticed and periodically; it may take seconds on a large
 * host.
 *
 * <p>The production source wraps the storage readers' facade, e.g.
 * {@code hostId -> { SourceScan s = scanner.read(source, kind, hostId); return Scan.ofBytes(s.inventory(), s.configs()); }}.
 * Tests build inventories by hand.
 */
@FunctionalInterface
public interface InventorySource {

    /**
     * Reads the storage once.
     *
     * @param hostId the host's resolved ID; the returned inventory is published under it whatever it says
     * @return the inventory and the config text of its images
     * @throws Exception anything: the agent logs it, counts a failed scan, and tries again at the next trigger
     */
    Scan scan(String hostId) throws Exception;

    /**
     * The production source: {@code config.source()} read by {@code scanner} (as {@code config.kind()}, or detected),
     * and, with {@link AgentConfig#readPackages()}, its layers' contents where the kind read has them reachable
     * ({@link LayerContents#of}).
     */
    static InventorySource of(Scanner scanner, AgentConfig config) {
        return hostId -> {
            SourceScan s = scanner.read(config.source(), config.kind(), hostId);
            Scan scan = Scan.ofBytes(s.inventory(), s.configs());
            return config.readPackages()
                    ? scan.withLayerContents(LayerContents.of(s, config.source()))
                    : scan;
        };
    }

    /**
     * One read of the storage.
     *
     * @param inventory the images, layers and problems found
     * @param configs   image ID to the image config JSON verbatim, as UTF-8 text; an image without an entry
     *                  gets no {@link io.layeratlas.events.ImageConfigEvent} (never null)
     * @param layerContents reads a layer's package databases from its own contents, for the agent's
     *                  {@link io.layeratlas.events.LayerPackages} events; {@link LayerContents#NONE} when the source's
     *                  layer contents cannot be reached (never null)
     */
    record Scan(HostInventory inventory, Map<Digest, String> configs, LayerContents layerContents) {
        public Scan {
            Objects.requireNonNull(inventory, "inventory");
            configs = configs == null ? Map.of() : Map.copyOf(configs);
            layerContents = layerContents == null ? LayerContents.NONE : layerContents;
        }

        /** A scan whose layers' contents are not read. */
        public Scan(HostInventory inventory, Map<Digest, String> configs) {
            this(inventory, configs, LayerContents.NONE);
        }

        /** This scan, its layers' contents read by {@code contents}. */
        public Scan withLayerContents(LayerContents contents) {
            return new Scan(inventory, configs, contents);
        }

        /** A scan from config bytes as stored on disk (UTF-8 JSON). */
        public static Scan ofBytes(HostInventory inventory, Map<Digest, byte[]> configs) {
            Map<Digest, String> text = new LinkedHashMap<>();
            configs.forEach((id, bytes) -> text.put(id, new String(bytes, StandardCharsets.UTF_8)));
            return new Scan(inventory, text);
        }
    }
}
