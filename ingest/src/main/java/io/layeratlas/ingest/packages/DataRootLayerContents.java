package io.layeratlas.ingest.packages;

import io.layeratlas.events.LayerRecord;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A Docker data-root's layer folders: a layer's own contents are {@code <data-root>/<driver>/<cache id>/diff} for
 * the overlay2 and fuse-overlayfs drivers (moby's {@code daemon/graphdriver/overlay2/overlay.go}, {@code getDiffPath};
 * the cache ID is {@code layerdb/sha256/<chain id>/cache-id}). vfs, btrfs and zfs keep each layer as a whole file
 * system (its parents' files included), so a layer's own databases cannot be told from its parents' there: such
 * layers, and layers of Docker's containerd image store (no cache ID), are not read. Thread-safe.
 */
public final class DataRootLayerContents implements LayerContents {
    /** Drivers whose layer folder is the layer's own diff, as overlay writes it. */
    static final List<String> DIFF_DRIVERS = List.of("overlay2", "fuse-overlayfs");

    private final Path root;

    public DataRootLayerContents(Path root) {
        this.root = root;
    }

    @Override
    public Optional<LayerDatabases> read(LayerRecord layer) {
        Optional<Path> diff = diffFolder(layer);
        return diff.map(LayerPackageReader::readFolder);
    }

    /** The layer's own diff folder, if its cache ID names one under a diff-keeping driver. */
    public Optional<Path> diffFolder(LayerRecord layer) {
        String cacheId = layer.cacheId();
        if (cacheId == null || cacheId.isEmpty() || cacheId.contains("/") || cacheId.startsWith(".")) {
            return Optional.empty();
        }
        for (String driver : DIFF_DRIVERS) {
            Path diff = root.resolve(driver).resolve(cacheId).resolve("diff");
            if (Files.isDirectory(diff, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.of(diff);
            }
        }
        return Optional.empty();
    }
}
