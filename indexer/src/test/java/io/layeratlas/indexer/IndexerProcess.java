package io.layeratlas.indexer;

import io.layeratlas.db.Database;

import java.time.Duration;
import java.util.Map;

/** An indexer alone in its own JVM, for tests that kill it abruptly: args = bootstrap servers, JDBC URL, group, topic prefix. */
public final class IndexerProcess {
    private IndexerProcess() {
    }

    public static void main(String[] args) throws Exception {
        Database db = Database.migrateAndOpen(args[1], "postgres", "", 3);
        IndexerConfig config = IndexerConfig.defaults(args[0]).withGroupId(args[2]).withTopicPrefix(args[3])
                .withMaxRetryBackoff(Duration.ofSeconds(1))
                // Static membership: the restarted process takes over its predecessor's partitions at once,
                // instead of waiting for the killed member's session to time out.
                .withKafkaProperties(Map.of("group.instance.id", "crash-test", "session.timeout.ms", "6000",
                        "heartbeat.interval.ms", "1000", "max.poll.records", "20"));
        Indexer indexer = new Indexer(config, db);
        indexer.start();
        Thread.currentThread().join();
    }
}
