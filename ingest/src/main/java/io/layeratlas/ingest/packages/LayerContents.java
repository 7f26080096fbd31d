package io.layeratlas.ingest.packages;

import io.layeratlas.events.Digest;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.SourceScan;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Reads one layer's package databases from its own contents, for a source whose layers' contents can be reached
 * after its metadata scan. Implementations are thread-safe and open contents read-only.
 */
@FunctionalInterface
public interface LayerContents {

    /**
     * @param layer a layer of the source's inventory
     * @return the databases the layer touches; empty when this source cannot reach the layer's own contents (a
     *         containerd snapshot, a storage driver that keeps whole file systems), so it is not marked as read
     */
    Optional<LayerDatabases> read(LayerRecord layer);

    /** For sources whose layer contents are not reachable. */
    LayerContents NONE = layer -> Optional.empty();

    /**
     * The layer contents of what a scan read: a Docker data-root's (or a pre-1.10 graph's) layer folders
     * ({@link DataRootLayerContents}); for archives and OCI layouts, the databases the scan read from each layer's
     * tar stream on the walk that hashed it ({@link SourceScan#layerDatabases()}, by diff ID); else {@link #NONE}.
     *
     * @param scan   a scan of {@code source}
     * @param source the path it read
     */
    static LayerContents of(SourceScan scan, String source) {
        SourceKind kind = SourceKind.fromId(scan.inventory().kind());
        if (kind == SourceKind.DATA_ROOT || kind == SourceKind.LEGACY_GRAPH) {
            return new DataRootLayerContents(Path.of(source));
        }
        Map<Digest, LayerDatabases> streamed = scan.layerDatabases();
        return streamed.isEmpty() ? NONE : layer -> Optional.ofNullable(streamed.get(layer.diffId()));
    }
}
