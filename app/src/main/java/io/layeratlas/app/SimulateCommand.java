package io.layeratlas.app;

import io.layeratlas.agent.KafkaOptions;
import io.layeratlas.bench.dataroot.DataRootGenerator;
import io.layeratlas.bench.simulate.FleetSimulator;
import io.layeratlas.bench.simulate.PublishReport;
import io.layeratlas.bench.simulate.SimulationSpec;
import io.layeratlas.topics.TopicSetup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * {@code layeratlas simulate}: publishes a synthetic fleet's events to Kafka as real agents would, or writes a
 * synthetic Docker data-root with {@code --data-root}. Deterministic from {@code --seed}.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Publish a synthetic fleet (configs, chunked host snapshots, heartbeats) to Kafka, "
                + "or write a synthetic Docker data-root (--data-root DIR --images N)."})
final class SimulateCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--hosts", defaultValue = "200", description = "Hosts. Default: ${DEFAULT-VALUE}.")
    int hosts;

    @Option(names = "--images-per-host", defaultValue = "60", description = "Mean images per host. Default: ${DEFAULT-VALUE}.")
    int imagesPerHost;

    @Option(names = "--rounds", defaultValue = "1", description = "Churn rounds after the first snapshot. Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Option(names = "--churn", defaultValue = "0.1", description = "Fraction of images replaced per round. Default: ${DEFAULT-VALUE}.")
    double churn;

    @Option(names = "--seed", defaultValue = "42", description = "Seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--topic-prefix", defaultValue = "", description = "Prefix of the topic names. Default: none.")
    String topicPrefix;

    @Option(names = "--topic-partitions", defaultValue = "6",
            description = "Partitions of topics this creates (existing topics are left alone), as the indexer's option. "
                    + "Default: ${DEFAULT-VALUE}.")
    int topicPartitions;

    @Option(names = "--configs-from-every-host",
            description = "Every host publishes every config it holds (as agents do), not once per fleet.")
    boolean configsFromEveryHost;

    @Option(names = "--data-root", paramLabel = "DIR", description = "Write a Docker data-root here instead of publishing.")
    Path dataRoot;

    @Option(names = "--images", defaultValue = "1000", description = "Images in the --data-root. Default: ${DEFAULT-VALUE}.")
    int images;

    @Override
    public Integer call() {
        if (dataRoot != null) {
            DataRootGenerator.Result r = DataRootGenerator.generate(dataRoot, images, seed);
            System.out.printf("wrote %s: %d images, %d layers, %d files, %d bytes%n",
                    r.dataRoot(), r.images().length, r.layers(), r.files(), r.bytes());
            return 0;
        }
        SimulationSpec spec = SimulationSpec.of(seed, hosts, imagesPerHost).withChurn(rounds, churn)
                .withTopicPrefix(topicPrefix).withConfigsFromEveryHost(configsFromEveryHost)
                // Live-looking scan times, so dashboards do not show the simulated hosts as long dead.
                .withStartAt(Instant.now());
        // As the indexer would: explicit topics, not auto-created ones (which can wedge an idempotent producer).
        TopicSetup.ensureTopics(kafka.bootstrapServers(), kafka.clientProperties(), topicPartitions, topicPrefix);
        PublishReport r = new FleetSimulator(spec).publish(kafka.bootstrapServers(), kafka.clientProperties());
        System.out.printf("published %d snapshots (%d chunks), %d configs, %d heartbeats, %d host-layer links, "
                        + "%d bytes in %d ms%n", r.snapshots(), r.chunks(), r.configs(), r.heartbeats(),
                r.hostLayerLinks(), r.bytes(), r.elapsed().toMillis());
        return 0;
    }
}
