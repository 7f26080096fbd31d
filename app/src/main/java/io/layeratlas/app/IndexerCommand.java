package io.layeratlas.app;

import io.layeratlas.agent.DurationConverter;
import io.layeratlas.agent.KafkaOptions;
import io.layeratlas.db.Database;
import io.layeratlas.indexer.Indexer;
import io.layeratlas.indexer.IndexerConfig;
import io.layeratlas.topics.TopicSetup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code layeratlas indexer}: consumes the topics into PostgreSQL until stopped. Several share the partitions. */
@Command(name = "indexer", mixinStandardHelpOptions = true,
        description = {"Consume layer, image-config and heartbeat events from Kafka into PostgreSQL.",
                "Run several with the same --group-id to share the partitions. Migrates the schema on start."})
final class IndexerCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Mixin
    DatabaseOptions database;

    @Option(names = "--group-id", defaultValue = "${env:LAYERATLAS_GROUP_ID:-layeratlas-indexer}",
            description = "Kafka consumer group. Env: LAYERATLAS_GROUP_ID. Default: ${DEFAULT-VALUE}.")
    String groupId;

    @Option(names = "--stale-after", converter = DurationConverter.class,
            defaultValue = "${env:LAYERATLAS_STALE_AFTER:-5m}",
            description = "A host without a heartbeat for this long is stale. Env: LAYERATLAS_STALE_AFTER. "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration staleAfter;

    @Option(names = "--topic-partitions", defaultValue = "${env:LAYERATLAS_TOPIC_PARTITIONS:-6}",
            description = "Partitions for topics this indexer creates (existing topics are left alone): the most "
                    + "indexers that can share the work. Env: LAYERATLAS_TOPIC_PARTITIONS. Default: ${DEFAULT-VALUE}.")
    int topicPartitions;

    @Option(names = "--topic-prefix", defaultValue = "${env:LAYERATLAS_TOPIC_PREFIX:-}",
            description = "Prefix of every topic name (e.g. to keep several fleets on one broker, as the bench does). "
                    + "Env: LAYERATLAS_TOPIC_PREFIX. Default: none.")
    String topicPrefix;

    @Option(names = "--rebuild", description = "Drop the index and rebuild it from the topics, then keep consuming.")
    boolean rebuild;

    @Override
    public Integer call() throws Exception {
        TopicSetup.ensureTopics(kafka.bootstrapServers(), kafka.clientProperties(), topicPartitions, topicPrefix);
        try (Database db = Database.migrateAndOpen(database.url, database.user, database.password, database.poolSize)) {
            IndexerConfig config = IndexerConfig.defaults(kafka.bootstrapServers())
                    .withGroupId(groupId).withKafkaProperties(kafka.clientProperties()).withStaleAfter(staleAfter)
                    .withTopicPrefix(topicPrefix);
            Indexer indexer = rebuild ? Indexer.rebuild(config, db) : new Indexer(config, db);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                indexer.close();
                stopped.countDown();
            }, "indexer-shutdown"));
            indexer.start();
            // Stop with the process (Ctrl-C, SIGTERM), or when the indexer stops on its own: that is a fatal error
            // (authentication, authorization, a schema this version cannot use) that no retry fixes, and the process
            // must end non-zero with the cause rather than stay up without a consumer.
            while (!stopped.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
                if (!indexer.isRunning() && indexer.failure().isPresent()) {
                    Throwable cause = indexer.failure().get();
                    System.err.println("layeratlas indexer: stopped by an error no retry can fix: " + cause);
                    return 1;
                }
            }
            return 0;
        }
    }
}
