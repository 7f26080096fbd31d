package io.layeratlas.app;

import io.layeratlas.bench.BenchMain;
import io.layeratlas.bench.BenchRunner;
import io.layeratlas.bench.BenchPlugins;
import io.layeratlas.bench.BenchReport;
import io.layeratlas.bench.Scale;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.Scanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code layeratlas bench}: runs every benchmark (agent scan, indexer throughput, freshness, queries, memory) with
 * the real scanner, indexer and dashboard plugged in, prints a table and writes JSON.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Run the benchmarks; every figure is a ratio against a baseline measured in the same run.",
                "Output: a table, and JSON {\"context\":{…},\"benchmarks\":[{\"name\",\"value\",\"unit\",\"baseline\",\"ratio\",\"note\"}]}."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--scale", defaultValue = "small",
            description = "small (200 hosts × 60 images, < 5 min) or full (10,000 hosts × 200 images, about 12 million "
                    + "host-layer links a round; see README for what it takes). Default: ${DEFAULT-VALUE}.")
    String scale;

    @Option(names = "--hosts", description = "Simulate this many hosts instead of the scale's, with the same images "
            + "per host and catalog (e.g. --scale full --hosts 1000: a tenth of the full fleet). Default: the scale's.")
    Integer hosts;

    @Option(names = {"--json", "--out"}, defaultValue = "bench-results.json",
            description = "JSON output. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--work", defaultValue = "target/bench-work",
            description = "Scratch folder (data-root, databases, Kafka logs). Default: ${DEFAULT-VALUE}.")
    Path work;

    @Option(names = "--only", defaultValue = "all", description = "Run one part only: queries (the dashboard against "
            + "bare SQL on a COPY-loaded fleet, then again on the indexer's database while it applies churn rounds; about "
            + "4 minutes at small scale on a quiet box), or indexer (the COPY baselines, the indexer's fresh load, rescan "
            + "and resend, and freshness through the API during churn and a resend; about 2 minutes). Default: ${DEFAULT-VALUE}.")
    String only;

    @Override
    public Integer call() throws Exception {
        Scanner scanner = new Scanner();
        // The indexer and the dashboard run as child JVMs of this one (see BenchChildren), so their RSS is their own.
        BenchPlugins plugins = new BenchPlugins(
                Optional.of(dataRoot -> scanner.scan(dataRoot.toString(), Optional.of(SourceKind.DATA_ROOT), "bench-host")),
                Optional.of(BenchChildren.indexer(work.resolve("children"))),
                Optional.of(BenchChildren.dashboard(work.resolve("children"))));
        BenchRunner.Part part;
        try {
            part = BenchRunner.Part.named(only);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--only: " + e.getMessage());
        }
        Scale chosen = hosts == null ? Scale.named(scale) : Scale.named(scale).withHosts(hosts);
        BenchReport report = BenchMain.run(chosen, work, out, plugins, part);
        System.out.print(report.table());
        System.out.println("wrote " + out.toAbsolutePath());
        return 0;
    }
}
