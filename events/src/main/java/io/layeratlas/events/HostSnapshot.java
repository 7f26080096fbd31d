package io.layeratlas.events;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One chunk of a host's full inventory: topic {@link Topics#HOST_LAYERS}, key = host ID, so one host's
 * chunks stay in order on one partition. A snapshot is chunks {@code 0..chunkCount-1} of one
 * {@code generation}; it is complete only when all of them have arrived, and only a complete snapshot
 * replaces the host's state. Generations only grow for a host; an older or equal one is ignored.
 *
 * @param schemaVersion {@link LayerAtlasEvent#SCHEMA_VERSION}
 * @param hostId        the host's stable identity
 * @param generation    grows with every snapshot the host publishes, across agent restarts
 * @param chunk         this chunk's index, from 0
 * @param chunkCount    how many chunks this generation has (at least 1)
 * @param scannedAt     when the scan finished
 * @param agentVersion  the agent's version
 * @param sourceKind    {@link SourceKind#id()} of the source scanned
 * @param source        the source scanned (path or socket URI)
 * @param images        this chunk's images (never null)
 * @param layers        this chunk's layers (never null)
 * @param problems      this chunk's scan problems (never null)
 * @param containers    this chunk's containers (never null; absent in snapshots of agents before issue 16)
 * @param host          the host's metadata and labels, the same in every chunk; null when unknown
 */
public record HostSnapshot(int schemaVersion, String hostId, long generation, int chunk, int chunkCount,
                           Instant scannedAt, String agentVersion, String sourceKind, String source,
                           List<ImageRecord> images, List<LayerRecord> layers, List<Problem> problems,
                           List<ContainerRecord> containers, HostMetadata host)
        implements LayerAtlasEvent {

    /** A chunk without containers or host metadata. */
    public HostSnapshot(int schemaVersion, String hostId, long generation, int chunk, int chunkCount,
                        Instant scannedAt, String agentVersion, String sourceKind, String source,
                        List<ImageRecord> images, List<LayerRecord> layers, List<Problem> problems) {
        this(schemaVersion, hostId, generation, chunk, chunkCount, scannedAt, agentVersion, sourceKind, source, images,
                layers, problems, List.of(), null);
    }

    public HostSnapshot {
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(scannedAt, "scannedAt");
        if (hostId.isBlank()) {
            throw new IllegalArgumentException("hostId must not be blank");
        }
        if (generation < 0) {
            throw new IllegalArgumentException("generation must not be negative: " + generation);
        }
        if (chunkCount < 1 || chunk < 0 || chunk >= chunkCount) {
            throw new IllegalArgumentException("chunk " + chunk + " of " + chunkCount + " is out of range");
        }
        images = images == null ? List.of() : List.copyOf(images);
        layers = layers == null ? List.of() : List.copyOf(layers);
        problems = problems == null ? List.of() : List.copyOf(problems);
        containers = containers == null ? List.of() : List.copyOf(containers);
        host = host == null || host.isEmpty() ? null : host;
    }

    /**
     * One snapshot from all chunks of a generation, in chunk order: chunk 0's metadata and host (as chunk 0 of 1),
     * every chunk's images, layers, problems and containers.
     *
     * @throws IllegalArgumentException if {@code chunks} is empty
     */
    public static HostSnapshot merge(List<HostSnapshot> chunks) {
        if (chunks.isEmpty()) {
            throw new IllegalArgumentException("no chunks to merge");
        }
        if (chunks.size() == 1 && chunks.get(0).chunkCount() == 1) {
            return chunks.get(0);
        }
        HostSnapshot first = chunks.get(0);
        List<ImageRecord> images = new java.util.ArrayList<>();
        List<LayerRecord> layers = new java.util.ArrayList<>();
        List<Problem> problems = new java.util.ArrayList<>();
        List<ContainerRecord> containers = new java.util.ArrayList<>();
        for (HostSnapshot chunk : chunks) {
            images.addAll(chunk.images());
            layers.addAll(chunk.layers());
            problems.addAll(chunk.problems());
            containers.addAll(chunk.containers());
        }
        return new HostSnapshot(first.schemaVersion(), first.hostId(), first.generation(), 0, 1, first.scannedAt(),
                first.agentVersion(), first.sourceKind(), first.source(), images, layers, problems, containers,
                first.host());
    }

    @Override
    public String key() {
        return hostId;
    }
}
