package io.layeratlas.ingest.packages;

import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.SourceKind;

import java.nio.file.Path;
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
     * The layer contents of a source of this kind: a Docker data-root's layer folders ({@link DataRootLayerContents}),
     * else {@link #NONE}.
     */
    static LayerContents of(SourceKind kind, String source) {
        return kind == SourceKind.DATA_ROOT ? new DataRootLayerContents(Path.of(source)) : NONE;
    }
}
