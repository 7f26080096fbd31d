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
 * the cache ID is {@code layerdb/sha256/<chain id>/cache-id}), and {@code <data-root>/aufs/diff/<cache id>} for aufs
 * (moby's {@code daemon/graphdriver/aufs/aufs.go}, {@code getDiffPath}), whose whiteouts are files named as in a tar.
 * A pre-1.10 graph keeps aufs layers the same way under their v1 layer ID, which its reader gives as the cache ID.
 * vfs, btrfs and zfs keep each layer as a whole file
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
        String cacheId = layer.cacheId();
        if (cacheId == null || cacheId.isEmpty() || cacheId.contains("/") || cacheId.startsWith(".")) {
            return Optional.empty();
        }
        Optional<Path> diff = overlayDiff(cacheId);
        if (diff.isPresent()) {
            return diff.map(LayerPackageReader::readFolder);
        }
        Path aufs = root.resolve("aufs").resolve("diff").resolve(cacheId);
        return Files.isDirectory(aufs, LinkOption.NOFOLLOW_LINKS)
                ? Optional.of(LayerPackageReader.readFolder(aufs, LayerPackageReader.DiffStyle.AUFS))
                : Optional.empty();
    }

    private Optional<Path> overlayDiff(String cacheId) {
        for (String driver : DIFF_DRIVERS) {
            Path diff = root.resolve(driver).resolve(cacheId).resolve("diff");
            if (Files.isDirectory(diff, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.of(diff);
            }
        }
        return Optional.empty();
    }
}
