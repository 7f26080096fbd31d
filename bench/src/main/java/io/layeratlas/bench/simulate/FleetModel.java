package io.layeratlas.bench.simulate;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Which images every simulated host holds in every round, computed on demand from the spec (nothing per host is
 * kept), so a 10,000-host fleet costs only its catalog. Thread-safe.
 *
 * <p>Round 0: each host draws about {@code imagesPerHost} families by Zipf popularity, each at a random version.
 * Round r: each held image, with probability {@code churnFraction}, is upgraded to the family's next version (a pull
 * and a removal) or, with no newer version, removed and replaced by another family drawn by popularity.
 */
public final class FleetModel {
    private final SimulationSpec spec;
    private final ImageCatalog catalog;

    public FleetModel(ImageCatalog catalog) {
        this.catalog = catalog;
        this.spec = catalog.spec();
    }

    public ImageCatalog catalog() {
        return catalog;
    }

    public SimulationSpec spec() {
        return spec;
    }

    /** {@code <prefix>-00042}. */
    public String hostId(int host) {
        return String.format("%s-%05d", spec.hostIdPrefix(), host);
    }

    /** The host's content in a round; any round ≥ 0 works, also past {@code churnRounds}. */
    public HostState host(int host, int round) {
        if (host < 0 || host >= spec.hosts() || round < 0) {
            throw new IllegalArgumentException("no host " + host + " round " + round);
        }
        int families = catalog.familyCount();
        int[] version = new int[families];
        Arrays.fill(version, -1);
        SplittableRandom rng = Rng.of(spec.seed(), 2, host);
        int count = (int) Math.round(spec.imagesPerHost() * (0.75 + 0.5 * rng.nextDouble()));
        count = Math.max(1, Math.min(count, families - 1));
        int held = 0;
        while (held < count) {
            int f = draw(rng, version);
            version[f] = rng.nextInt(catalog.versionCount(f));
            held++;
        }
        for (int r = 1; r <= round; r++) {
            SplittableRandom churn = Rng.of(spec.seed(), 3, host, r);
            for (int f = 0; f < families; f++) {
                if (version[f] < 0 || version[f] == Integer.MIN_VALUE || churn.nextDouble() >= spec.churnFraction()) {
                    continue;
                }
                if (version[f] + 1 < catalog.versionCount(f)) {
                    version[f]++;
                } else {
                    version[f] = Integer.MIN_VALUE; // removed this round; not drawable again this round
                    int g = draw(churn, version);
                    version[g] = churn.nextInt(catalog.versionCount(g));
                }
            }
            for (int f = 0; f < families; f++) {
                if (version[f] == Integer.MIN_VALUE) {
                    version[f] = -1;
                }
            }
        }
        int[] images = new int[count];
        int n = 0;
        BitSet layerSet = new BitSet(catalog.layerCount());
        for (int f = 0; f < families; f++) {
            if (version[f] >= 0) {
                int image = catalog.imageOf(f, version[f]);
                images[n++] = image;
                for (int l : catalog.image(image).layers()) {
                    layerSet.set(l);
                }
            }
        }
        Arrays.sort(images, 0, n);
        return new HostState(host, hostId(host), round, round + 1L, Arrays.copyOf(images, n), layerSet.stream().toArray());
    }

    /** A family not held (version -1), by popularity; falls back to the most popular free one. */
    private int draw(SplittableRandom rng, int[] version) {
        for (int attempt = 0; attempt < 64; attempt++) {
            int f = catalog.drawFamily(rng);
            if (version[f] == -1) {
                return f;
            }
        }
        for (int rank = 0; rank < version.length; rank++) {
            int f = catalog.familyAtRank(rank);
            if (version[f] == -1) {
                return f;
            }
        }
        throw new IllegalStateException("no free family left");
    }
}
