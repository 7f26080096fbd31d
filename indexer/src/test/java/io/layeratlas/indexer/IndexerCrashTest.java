package io.layeratlas.indexer;

import io.layeratlas.db.Database;
import io.layeratlas.db.index.ExpectedIndex;
import io.layeratlas.db.index.IndexWriter;
import io.layeratlas.db.index.StoredOffset;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.topics.TopicSetup;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Killing the indexer's JVM (SIGKILL) at random moments while it works through a long stream. */
class IndexerCrashTest extends IndexerTestBase {

    @Test
    void killing_the_indexer_abruptly_mid_batch_many_times_loses_and_duplicates_nothing() throws Exception {
        String prefix = unique("crash") + ".";
        String group = unique("g");
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 2, prefix);
        // Long enough that six short-lived processes cannot finish it, however fast the machine: each applies its
        // first batch plus at most 150 ms of batches of 20 records (about 200 records here) before it is killed.
        List<LayerAtlasEvent> events = EventStreams.stream(21, 10, 100, 40);
        ExpectedIndex expected = new ExpectedIndex();
        events.forEach(expected::accept);
        String dbName = unique("crash");
        try (TestKafka producer = new TestKafka(kafka.bootstrapServers(), prefix); Database db = database(dbName)) {
            producer.sendAll(events);
            String jdbcUrl = "jdbc:postgresql://127.0.0.1:" + postgres.port() + "/" + dbName;
            Random random = new Random(21);
            List<Long> progressAtKill = new ArrayList<>();
            IndexWriter writer = new IndexWriter(db);
            long progress = 0;
            for (int kill = 0; kill < 6; kill++) {
                Process p = launch(kafka.bootstrapServers(), jdbcUrl, group, prefix);
                try {
                    // Wait until this process has committed a batch, then kill it a moment later: most likely
                    // inside the next batch's transaction.
                    long before = progress;
                    await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(20))
                            .until(() -> offsetSum(writer, group) > before);
                    Thread.sleep(random.nextInt(150));
                } finally {
                    p.destroyForcibly();
                    p.waitFor(30, TimeUnit.SECONDS);
                }
                progress = offsetSum(writer, group);
                progressAtKill.add(progress);
            }
            assertThat(progressAtKill).as("stored progress at each kill, of %d records: the stream was still being worked"
                            + " through", events.size())
                    .allMatch(n -> n > 0 && n < events.size());

            try (Indexer indexer = new Indexer(config(prefix, group), db, new SimpleMeterRegistry())) {
                indexer.start();
                awaitCaughtUp(indexer);
            }
            assertMatches(expected, db);
        }
    }

    private static long offsetSum(IndexWriter writer, String group) {
        return writer.storedOffsets(group).stream().mapToLong(StoredOffset::nextOffset).sum();
    }

    private static Process launch(String bootstrap, String jdbcUrl, String group, String prefix) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classpath,
                IndexerProcess.class.getName(), bootstrap, jdbcUrl, group, prefix)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("target", "indexer-process.log").toFile()))
                .start();
    }
}
