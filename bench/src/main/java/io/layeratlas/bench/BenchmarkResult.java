package io.layeratlas.bench;

import java.util.Objects;

/**
 * One figure of a benchmark run: an absolute value, the baseline measured in the same run, and their ratio.
 *
 * @param name     dotted name, e.g. {@code agent.scan.time}
 * @param value    the measured value, or null when the benchmark did not run
 * @param unit     {@code ms}, {@code bytes}, {@code links/s}…
 * @param baseline the same quantity for the baseline (the floor or ceiling it is compared with), or null
 * @param ratio    {@code value / baseline}, or null
 * @param note     what the baseline is, or why the figure is missing
 */
public record BenchmarkResult(String name, Double value, String unit, Double baseline, Double ratio, String note) {
    public BenchmarkResult {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(unit, "unit");
    }

    public static BenchmarkResult of(String name, double value, String unit, double baseline, String note) {
        return new BenchmarkResult(name, value, unit, baseline, baseline == 0 ? null : value / baseline, note);
    }

    /** A figure with no baseline of its own (it is another figure's baseline, or context). */
    public static BenchmarkResult absolute(String name, double value, String unit, String note) {
        return new BenchmarkResult(name, value, unit, null, null, note);
    }

    public static BenchmarkResult skipped(String name, String unit, String why) {
        return new BenchmarkResult(name, null, unit, null, null, why);
    }
}
