package io.layeratlas.bench;

import io.layeratlas.bench.simulate.SimulationSpec;

/**
 * How big a run is. {@code SMALL} finishes within 5 minutes on 2 cores (CI). {@code FULL} is the published size:
 * 10,000 hosts × 200 images (about 12 million host↔layer links per round), the fleet issue 10 asks the indexer to
 * hold, meant to finish within 25 minutes on 2 cores.
 *
 * @param fleet            the simulated fleet of the indexer, freshness and query benchmarks
 * @param dataRootImages   images in the generated data-root of the agent-scan benchmark
 * @param scanRepetitions  timed scans (after as many warm-ups); the median is reported
 * @param queryClients     concurrent clients of the query benchmark
 * @param queriesPerClient requests each client sends per query kind
 * @param freshnessSamples snapshots timed from publish to visible (per load: churn round, full resend)
 * @param sizeNote         what the fleet is, for the report's context
 */
public record Scale(String name, SimulationSpec fleet, int dataRootImages, int scanRepetitions, int queryClients,
                    int queriesPerClient, int freshnessSamples, String sizeNote) {
    public static final Scale SMALL = new Scale("small", SimulationSpec.small(), 1_000, 5, 4, 200, 50,
            "CI size: 200 hosts x 60 images, under 5 minutes on 2 cores");
    public static final Scale FULL = new Scale("full", SimulationSpec.full(), 1_000, 3, 4, 60, 100,
            "10,000 hosts x 200 images (~12M host-layer links a round), the fleet the indexer must hold");

    /**
     * This scale with {@code hosts} hosts (same images per host, catalog and samples): a measured fraction of a fleet
     * that cannot run whole on this machine, named e.g. {@code full/1000-hosts} in the report.
     *
     * @throws IllegalArgumentException if {@code hosts} is not positive
     */
    public Scale withHosts(int hosts) {
        if (hosts < 1) {
            throw new IllegalArgumentException("hosts must be positive: " + hosts);
        }
        return new Scale(name + "/" + hosts + "-hosts", fleet.withHosts(hosts), dataRootImages, scanRepetitions,
                queryClients, queriesPerClient, freshnessSamples,
                hosts + " of the " + fleet.hosts() + " hosts of: " + sizeNote);
    }

    /** {@code small} or {@code full}. */
    public static Scale named(String name) {
        return switch (name) {
            case "small" -> SMALL;
            case "full" -> FULL;
            default -> throw new IllegalArgumentException("unknown scale '" + name + "' (small, full)");
        };
    }
}
