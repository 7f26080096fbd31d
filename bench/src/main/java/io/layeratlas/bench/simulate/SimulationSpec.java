package io.layeratlas.bench.simulate;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What fleet to simulate. Everything the simulator produces is a pure function of this record: the same spec gives
 * the same image IDs, chain IDs, host contents and message bytes on every run and every machine.
 *
 * <p>The catalog is {@code baseImages} base images (1–3 layers), {@code runtimeImages} runtimes built on a base, and
 * {@code appFamilies} applications built on a runtime or a base, each in 1..{@code maxVersions} versions that share
 * all but their top 1–3 layers. Images have 5–30 layers. Each host holds about {@code imagesPerHost} images (±25%),
 * drawn without replacement with a Zipf({@code zipfExponent}) popularity, so base layers sit on nearly every host and
 * most app layers on few. Each churn round upgrades or replaces {@code churnFraction} of every host's images and
 * publishes a new generation.
 *
 * @param seed                 the seed of every random choice
 * @param hosts                number of hosts
 * @param imagesPerHost        mean images per host
 * @param baseImages           base images (the families' roots)
 * @param runtimeImages        runtime images built on a base
 * @param appFamilies          application families; each version is one image
 * @param maxVersions          most versions of one application (at least 1)
 * @param zipfExponent         popularity skew; 1.0 is classic Zipf
 * @param churnRounds          rescans after the first snapshot; generation {@code r + 1} is round {@code r}
 * @param churnFraction        fraction of a host's images upgraded or replaced per round, 0..1
 * @param maxMessageBytes      largest Kafka record value written; snapshots are chunked below it
 * @param configsFromEveryHost when true every host publishes the config of every image it newly holds (what agents
 *                             do); when false each config is published once per fleet (what a compacted topic keeps),
 *                             which is much less data for large fleets
 * @param hostIdPrefix         host IDs are {@code <prefix>-<five digits>}
 * @param topicPrefix          prefix of the contract's topic names ({@code ""} for the defaults)
 * @param startAt              scan time of round 0 of host 0
 * @param scanInterval         time between two rounds of one host; also spreads hosts' scan times
 */
public record SimulationSpec(long seed, int hosts, int imagesPerHost, int baseImages, int runtimeImages,
                             int appFamilies, int maxVersions, double zipfExponent, int churnRounds,
                             double churnFraction, int maxMessageBytes, boolean configsFromEveryHost,
                             String hostIdPrefix, String topicPrefix, Instant startAt, Duration scanInterval) {

    /** A bit under the broker's default {@code message.max.bytes} (1 MiB) and the producer's {@code max.request.size}. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 900_000;

    public SimulationSpec {
        Objects.requireNonNull(hostIdPrefix, "hostIdPrefix");
        Objects.requireNonNull(topicPrefix, "topicPrefix");
        Objects.requireNonNull(startAt, "startAt");
        Objects.requireNonNull(scanInterval, "scanInterval");
        if (hosts < 1 || imagesPerHost < 1 || baseImages < 1 || runtimeImages < 0 || appFamilies < 1 || maxVersions < 1) {
            throw new IllegalArgumentException("hosts, imagesPerHost, baseImages, appFamilies, maxVersions must be positive");
        }
        if (imagesPerHost * 5 / 4 + 1 > baseImages + runtimeImages + appFamilies) {
            throw new IllegalArgumentException("a catalog of " + (baseImages + runtimeImages + appFamilies)
                    + " families cannot give " + imagesPerHost + " (+25%) distinct images per host");
        }
        if (churnRounds < 0 || churnFraction < 0 || churnFraction > 1) {
            throw new IllegalArgumentException("churnRounds must be >= 0 and churnFraction within 0..1");
        }
        if (maxMessageBytes < 64 * 1024) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 64 KiB: " + maxMessageBytes);
        }
        if (zipfExponent <= 0) {
            throw new IllegalArgumentException("zipfExponent must be positive: " + zipfExponent);
        }
    }

    /**
     * A fleet of {@code hosts} hosts with about {@code imagesPerHost} images each, one churn round, and a catalog
     * sized for that: 15 application families per image a host holds (at most 3,000), 8 bases, 60 runtimes.
     */
    public static SimulationSpec of(long seed, int hosts, int imagesPerHost) {
        int families = Math.max(imagesPerHost * 3, Math.min(3_000, imagesPerHost * 15));
        return new SimulationSpec(seed, hosts, imagesPerHost, 8, 60, families, 4, 1.0, 1, 0.1,
                DEFAULT_MAX_MESSAGE_BYTES, false, "sim-host", "",
                // A fixed start keeps the bytes reproducible; callers wanting live-looking hosts pass now().
                Instant.parse("2026-01-05T06:00:00Z"), Duration.ofMinutes(10));
    }

    /** The published benchmark size: 10,000 hosts × 200 images, one rescan (issue 10's fleet, {@code Scale.FULL}). */
    public static SimulationSpec full() {
        return of(42, 10_000, 200);
    }

    /** A size CI can afford: 200 hosts × 60 images, one rescan. */
    public static SimulationSpec small() {
        return of(42, 200, 60);
    }

    /** The same fleet with another number of hosts: the same catalog and per-host draw, fewer or more hosts. */
    public SimulationSpec withHosts(int hosts) {
        return new SimulationSpec(seed, hosts, imagesPerHost, baseImages, runtimeImages, appFamilies, maxVersions,
                zipfExponent, churnRounds, churnFraction, maxMessageBytes, configsFromEveryHost, hostIdPrefix,
                topicPrefix, startAt, scanInterval);
    }

    public SimulationSpec withSeed(long seed) {
        return new SimulationSpec(seed, hosts, imagesPerHost, baseImages, runtimeImages, appFamilies, maxVersions,
                zipfExponent, churnRounds, churnFraction, maxMessageBytes, configsFromEveryHost, hostIdPrefix,
                topicPrefix, startAt, scanInterval);
    }

    public SimulationSpec withChurn(int rounds, double fraction) {
        return new SimulationSpec(seed, hosts, imagesPerHost, baseImages, runtimeImages, appFamilies, maxVersions,
                zipfExponent, rounds, fraction, maxMessageBytes, configsFromEveryHost, hostIdPrefix,
                topicPrefix, startAt, scanInterval);
    }

    public SimulationSpec withMaxMessageBytes(int bytes) {
        return new SimulationSpec(seed, hosts, imagesPerHost, baseImages, runtimeImages, appFamilies, maxVersions,
                zipfExponent, churnRounds, churnFraction, bytes, configsFromEveryHost, hostIdPrefix,
                topicPrefix, startAt, scanInterval);
    }

    public SimulationSpec withConfigsFromEveryHost(boolean everyHost) {
        return new SimulationSpec(seed, hosts, imagesPerHost, baseImages, runtimeImages, appFamilies, maxVersions,
                zipfExponent, churnRounds, churnFraction, maxMessageBytes, everyHost, hostIdPrefix,
                topicPrefix, startAt, scanInterval);
    }

    public SimulationSpec withTopicPrefix(String prefix) {
        return new SimulationSpec(seed, hosts, imagesPerHost, baseImages, runtimeImages, appFamilies, maxVersions,
                zipfExponent, churnRounds, churnFraction, maxMessageBytes, configsFromEveryHost, hostIdPrefix,
                prefix, startAt, scanInterval);
    }

    public SimulationSpec withHostIdPrefix(String prefix) {
        return new SimulationSpec(seed, hosts, imagesPerHost, baseImages, runtimeImages, appFamilies, maxVersions,
                zipfExponent, churnRounds, churnFraction, maxMessageBytes, configsFromEveryHost, prefix,
                topicPrefix, startAt, scanInterval);
    }

    public SimulationSpec withStartAt(Instant at) {
        return new SimulationSpec(seed, hosts, imagesPerHost, baseImages, runtimeImages, appFamilies, maxVersions,
                zipfExponent, churnRounds, churnFraction, maxMessageBytes, configsFromEveryHost, hostIdPrefix,
                topicPrefix, at, scanInterval);
    }

    /** Number of image families (bases + runtimes + applications): the Zipf popularity ranks. */
    public int families() {
        return baseImages + runtimeImages + appFamilies;
    }
}
