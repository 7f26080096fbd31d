package io.layeratlas.bench.simulate;

import java.util.SplittableRandom;

/** Deterministic random streams derived from the spec's seed and a few coordinates (host, round…). */
final class Rng {
    private Rng() {
    }

    /** A stream for these coordinates; the same coordinates give the same stream. */
    static SplittableRandom of(long seed, long... coordinates) {
        long h = mix(seed ^ 0x9E3779B97F4A7C15L);
        for (long c : coordinates) {
            h = mix(h ^ mix(c + 0x632BE59BD9B4E019L));
        }
        return new SplittableRandom(h);
    }

    /** SplitMix64's finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** 64 lower-case hex characters from four mixed longs: a cache ID or container ID look-alike. */
    static String hex64(long a, long b) {
        StringBuilder sb = new StringBuilder(64);
        long x = mix(a * 31 + b);
        for (int i = 0; i < 4; i++) {
            x = mix(x + i + 0x5DEECE66DL);
            String part = Long.toHexString(x);
            sb.append("0".repeat(16 - part.length())).append(part);
        }
        return sb.toString();
    }

    /** A log-normal draw: {@code exp(N(ln(median), sigma))}. */
    static double logNormal(SplittableRandom rng, double median, double sigma) {
        double u1 = 1.0 - rng.nextDouble();
        double u2 = rng.nextDouble();
        double normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        return Math.exp(Math.log(median) + sigma * normal);
    }
}
