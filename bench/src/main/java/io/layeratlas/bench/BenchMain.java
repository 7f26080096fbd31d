package io.layeratlas.bench;

import java.nio.file.Path;

/**
 * Runs every benchmark without the other modules' parts plugged in (baselines only):
 * {@code java -cp … io.layeratlas.bench.BenchMain [--scale small|full] [--out FILE] [--work DIR]}.
 * {@code layeratlas bench} is the same with the scanner, indexer and dashboard plugged in.
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        String scale = "small";
        Path out = Path.of("target/bench-results.json");
        Path work = Path.of("target/bench-work");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--scale" -> scale = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: BenchMain [--scale small|full] [--out FILE] [--work DIR]");
                    System.exit(2);
                }
            }
        }
        BenchReport report = run(Scale.named(scale), work, out, BenchPlugins.none());
        System.out.print(report.table());
    }

    /** Runs, writes the JSON to {@code out}, and returns the report (for {@code layeratlas bench}). */
    public static BenchReport run(Scale scale, Path work, Path out, BenchPlugins plugins) throws Exception {
        return run(scale, work, out, plugins, BenchRunner.Part.ALL);
    }

    /** As {@link #run(Scale, Path, Path, BenchPlugins)}, only the benchmarks of {@code part}. */
    public static BenchReport run(Scale scale, Path work, Path out, BenchPlugins plugins, BenchRunner.Part part)
            throws Exception {
        BenchReport report = new BenchRunner(scale, work, plugins, part).run();
        report.writeJson(out);
        return report;
    }
}
