package io.layeratlas.bench.simulate;

import java.util.Objects;

/**
 * What one simulated host holds in one round. Arrays are owned by this object: do not change them.
 *
 * @param host       host index, 0..hosts-1
 * @param hostId     the host ID its agent publishes
 * @param round      0 for the first snapshot, then one per churn round
 * @param generation the snapshot generation: {@code round + 1}
 * @param images     catalog image indices, ascending
 * @param layers     catalog layer indices of every layer of those images, ascending, distinct
 */
public record HostState(int host, String hostId, int round, long generation, int[] images, int[] layers) {
    public HostState {
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(layers, "layers");
    }
}
