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
 * @param containers the host's containers, running or not, when the source shows them (data-root, Engine API);
 *                  never null
 * @param host      what the source says about the host (Docker version, storage driver, data-root, OS) and the
 *                  agent's labels; never null ({@link HostMetadata#unknown()} when nothing is known)
 */
public record HostInventory(String source, String kind, String hostId, Instant scannedAt,
                            List<ImageRecord> images, List<LayerRecord> layers, List<Problem> problems,
                            List<ContainerRecord> containers, HostMetadata host) {

    /** An inventory without containers or host metadata (archives, OCI layouts, older readers). */
    public HostInventory(String source, String kind, String hostId, Instant scannedAt, List<ImageRecord> images,
                         List<LayerRecord> layers, List<Problem> problems) {
        this(source, kind, hostId, scannedAt, images, layers, problems, List.of(), HostMetadata.unknown());
    }

    public HostInventory {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(scannedAt, "scannedAt");
        images = images == null ? List.of() : List.copyOf(images);
        layers = layers == null ? List.of() : List.copyOf(layers);
        problems = problems == null ? List.of() : List.copyOf(problems);
        containers = containers == null ? List.of() : List.copyOf(containers);
        host = host == null ? HostMetadata.unknown() : host;
    }

    /** This inventory with {@code host} instead of its own metadata. */
    public HostInventory withHost(HostMetadata host) {
        return new HostInventory(source, kind, hostId, scannedAt, images, layers, problems, containers, host);
    }
}
