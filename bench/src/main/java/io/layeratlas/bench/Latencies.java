package io.layeratlas.bench;

import java.util.Arrays;

/** Collected latencies in nanoseconds and their percentiles in milliseconds. Not thread-safe: one per thread, then merge. */
final class Latencies {
    private long[] nanos = new long[64];
    private int n;

    void add(long ns) {
        if (n == nanos.length) {
            nanos = Arrays.copyOf(nanos, n * 2);
        }
        nanos[n++] = ns;
    }

    void addAll(Latencies o) {
        for (int i = 0; i < o.n; i++) {
            add(o.nanos[i]);
        }
    }

    int count() {
        return n;
    }

    /** The p-th percentile (0..100) in milliseconds, nearest rank. */
    double percentileMs(double p) {
        if (n == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(nanos, n);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * n) - 1;
        return sorted[Math.max(0, Math.min(n - 1, rank))] / 1e6;
    }
}
