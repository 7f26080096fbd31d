package io.layeratlas.events;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What one source on one host holds: the result of a scan, and what the agent publishes.
 * This is the shape {@code layeratlas scan} prints, one per source.
 *
 * @param source    where it was read from (a path, or a socket URI)
 * @param kind      the reader that read it: {@link SourceKind#id()}
 * @param hostId    the host's stable identity
 * @param scannedAt when the scan finished
 * @param images    images held (never null)
 * @param layers    layers held, one per chain ID (never null)
 * @param problems  items that could not be read, with where and why (never null)
 */
public record HostInventory(String source, String kind, String hostId, Instant scannedAt,
                            List<ImageRecord> images, List<LayerRecord> layers, List<Problem> problems) {
    public HostInventory {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(scannedAt, "scannedAt");
        images = images == null ? List.of() : List.copyOf(images);
        layers = layers == null ? List.of() : List.copyOf(layers);
        problems = problems == null ? List.of() : List.copyOf(problems);
    }
}
