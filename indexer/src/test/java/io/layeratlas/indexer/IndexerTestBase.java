package io.layeratlas.indexer;

import io.layeratlas.db.Database;
import io.layeratlas.db.index.ExpectedIndex;
import io.layeratlas.db.index.IndexDump;
import io.layeratlas.db.index.IndexWriter;
import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** One real Kafka broker and one real PostgreSQL per test class; unique topic prefixes, groups and databases per test. */
abstract class IndexerTestBase {
    static EmbeddedKafka kafka;
    static EmbeddedPostgresServer postgres;
    private static final AtomicInteger names = new AtomicInteger();

    // One broker and one server for every test class in this JVM: starting them is most of a class's run time
    // on a small machine. Stopped when the JVM exits.
    @BeforeAll
    static synchronized void startServers() throws Exception {
        if (kafka == null) {
            Path dir = java.nio.file.Files.createTempDirectory("layeratlas-kafka");
            kafka = EmbeddedKafka.startTemporary(dir);
            postgres = EmbeddedPostgresServer.startTemporary();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                postgres.close();
                kafka.close();
            }));
        }
    }

    static String unique(String what) {
        return what + names.incrementAndGet();
    }

    static Database database(String name) {
        return Database.migrateAndOpen(postgres.createDatabase(name), postgres.user(), "", 4);
    }

    static IndexerConfig config(String prefix, String group) {
        return IndexerConfig.defaults(kafka.bootstrapServers()).withTopicPrefix(prefix).withGroupId(group)
                .withMaxRetryBackoff(Duration.ofSeconds(1))
                .withKafkaProperties(Map.of("session.timeout.ms", "6000", "heartbeat.interval.ms", "1000"));
    }

    static void awaitCaughtUp(Indexer... indexers) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> java.util.Arrays.stream(indexers).allMatch(Indexer::caughtUp));
    }

    static final String[] MODEL_SECTIONS = {"host_image_ids", "host_layers", "layer_usage", "image_usage"};

    static void assertMatches(ExpectedIndex expected, Database db) {
        Map<String, List<String>> d = IndexDump.of(db.dataSource(), "host_image_ids", "host_layers", "layer_usage", "image_usage", "host_changes");
        assertThat(d.get("host_image_ids")).isEqualTo(expected.hostImageIds());
        assertThat(d.get("host_layers")).isEqualTo(expected.hostLayers());
        assertThat(d.get("layer_usage")).isEqualTo(expected.layerUsage());
        assertThat(d.get("image_usage")).isEqualTo(expected.imageUsage());
        assertThat(d.get("host_changes")).as("one host_changes row per arrival or departure, none twice").hasSize(expected.changeCount());
        assertThat(new IndexWriter(db).recount()).as("counter rows a recount had to correct").isZero();
    }

}
