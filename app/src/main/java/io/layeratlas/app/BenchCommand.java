package io.layeratlas.app;

import io.layeratlas.bench.BenchMain;
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
            description = "small (CI, < 5 min) or full (10,000 hosts × 200 images, < 15 min on 2 cores). Default: ${DEFAULT-VALUE}.")
    String scale;

    @Option(names = "--out", defaultValue = "bench-results.json", description = "JSON output. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--work", defaultValue = "target/bench-work",
            description = "Scratch folder (data-root, databases, Kafka logs). Default: ${DEFAULT-VALUE}.")
    Path work;

    @Override
    public Integer call() throws Exception {
        Scanner scanner = new Scanner();
        BenchPlugins plugins = new BenchPlugins(
                Optional.of(dataRoot -> scanner.scan(dataRoot.toString(), Optional.of(SourceKind.DATA_ROOT), "bench-host")),
                // TODO(lead): plug the indexer in, e.g.
                //   target -> { Database db = Database.migrateAndOpen(target.jdbcUrl(), target.user(), target.password(), 4);
                //               Indexer ix = new Indexer(new IndexerConfig(target.bootstrapServers(), target.consumerGroup(),
                //                       target.topicPrefix(), …), db); ix.start();
                //               return new RunningIndexer() { awaitCaughtUp(t) -> ix's caught-up signal; close() -> ix.close(); db.close(); }; }
                Optional.empty(),
                // TODO(lead): plug the dashboard in: start it on a free port against the given database and return its
                //   URIs (hosts holding a layer, layer page, reuse page, host page) and showsGeneration(host, gen).
                Optional.empty());
        BenchReport report = BenchMain.run(Scale.named(scale), work, out, plugins);
        System.out.print(report.table());
        System.out.println("wrote " + out.toAbsolutePath());
        return 0;
    }
}
