package io.layeratlas.bench;

import io.layeratlas.bench.simulate.SimulationSpec;

/**
 * How big a run is. {@code SMALL} finishes within 5 minutes on 2 cores (CI); {@code FULL} is the published size:
 * 10,000 hosts × 200 images, under 15 minutes on 2 cores.
 *
 * @param fleet            the simulated fleet of the indexer, freshness and query benchmarks
 * @param dataRootImages   images in the generated data-root of the agent-scan benchmark
 * @param scanRepetitions  timed scans (after as many warm-ups); the median is reported
 * @param queryClients     concurrent clients of the query benchmark
 * @param queriesPerClient requests each client sends per query kind
 * @param freshnessSamples snapshots timed from publish to visible
 */
public record Scale(String name, SimulationSpec fleet, int dataRootImages, int scanRepetitions, int queryClients,
                    int queriesPerClient, int freshnessSamples) {
    public static final Scale SMALL = new Scale("small", SimulationSpec.small(), 1_000, 5, 4, 200, 50);
    public static final Scale FULL = new Scale("full", SimulationSpec.full(), 1_000, 9, 8, 500, 200);

    /** {@code small} or {@code full}. */
    public static Scale named(String name) {
        return switch (name) {
            case "small" -> SMALL;
            case "full" -> FULL;
            default -> throw new IllegalArgumentException("unknown scale '" + name + "' (small, full)");
        };
    }
}
