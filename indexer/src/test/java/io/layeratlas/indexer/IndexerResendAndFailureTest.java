package io.layeratlas.indexer;

import io.layeratlas.db.Database;
import io.layeratlas.db.index.ExpectedIndex;
import io.layeratlas.db.index.FatalDatabaseException;
import io.layeratlas.db.index.IndexDump;
import io.layeratlas.db.index.SyntheticFleet;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.SnapshotChunker;
import io.layeratlas.events.Topics;
import io.layeratlas.topics.TopicSetup;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Full resends on their own topic, recognised from their headers; errors no retry can fix stop the indexer. */
class IndexerResendAndFailureTest extends IndexerTestBase {

    /** The chunks an agent publishes for this inventory (the agent's own chunker, headers included). */
    private static List<SnapshotChunker.EncodedChunk> agentChunks(String host, long generation, List<ImageRecord> images,
                                                                  java.time.Instant at) {
        HostInventory inv = new HostInventory("/var/lib/docker", "data-root", host, at, images, List.of(), List.of());
        return SnapshotChunker.chunk(inv, host, generation, "test", 4_000);
    }

    @Test
    void an_unchanged_resend_advances_the_generation_without_decoding_and_a_changed_one_on_the_resend_topic_still_applies() {
        String prefix = unique("resend") + ".";
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 2, prefix);
        SyntheticFleet fleet = new SyntheticFleet(21, 8);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TestKafka producer = new TestKafka(kafka.bootstrapServers(), prefix);
             Database db = database(unique("resend"));
             Indexer indexer = new Indexer(config(prefix, unique("g")), db, registry)) {
            ExpectedIndex expected = new ExpectedIndex();
            for (String host : List.of("a", "b", "c")) {
                for (SnapshotChunker.EncodedChunk c : agentChunks(host, 1, fleet.images().subList(0, 5), SyntheticFleet.T0)) {
                    producer.sendRaw(Topics.HOST_LAYERS, host, c.value(), c.envelope().headers());
                    expected.accept(c.snapshot());
                }
            }
            producer.flush();
            indexer.start();
            awaitCaughtUp(indexer);
            var before = IndexDump.of(db.dataSource());

            // Every host resends its unchanged state, chunked, under a new generation.
            int resendChunks = 0;
            for (String host : List.of("a", "b", "c")) {
                for (SnapshotChunker.EncodedChunk c : agentChunks(host, 2, fleet.images().subList(0, 5), SyntheticFleet.T0.plusSeconds(86_400))) {
                    producer.sendRaw(Topics.HOST_LAYERS_RESEND, host, c.value(), c.envelope().headers());
                    resendChunks++;
                }
            }
            producer.flush();
            awaitCaughtUp(indexer);
            var after = IndexDump.of(db.dataSource());
            after.forEach((section, lines) -> {
                if (!section.equals("hosts")) {
                    assertThat(lines).as(section).isEqualTo(before.get(section));
                }
            });
            assertThat(after.get("hosts")).hasSize(3).allMatch(l -> l.contains(" gen=2 ") && l.contains("scanned=2024-05-02 10:00:00"));
            double unchanged = registry.counter("layeratlas.indexer.records", "topic", prefix + Topics.HOST_LAYERS_RESEND,
                    "outcome", "unchanged").count();
            double stale = registry.counter("layeratlas.indexer.records", "topic", prefix + Topics.HOST_LAYERS_RESEND,
                    "outcome", "stale").count();
            assertThat(unchanged).as("chunks applied from their envelope").isEqualTo(3);
            assertThat(unchanged + stale).isEqualTo(resendChunks);

            // A "resend" whose content is not what the index holds is decoded and applied in full.
            for (SnapshotChunker.EncodedChunk c : agentChunks("b", 3, fleet.images().subList(4, 8), SyntheticFleet.T0.plusSeconds(90_000))) {
                producer.sendRaw(Topics.HOST_LAYERS_RESEND, "b", c.value(), c.envelope().headers());
                expected.accept(c.snapshot());
            }
            producer.flush();
            awaitCaughtUp(indexer);
            assertThat(IndexDump.of(db.dataSource(), "host_image_ids").get("host_image_ids")).isEqualTo(expected.hostImageIds());
        }
    }

    @Test
    void a_database_error_no_retry_can_fix_stops_the_indexer_with_the_cause_instead_of_retrying() throws Exception {
        String prefix = unique("fatal") + ".";
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 1, prefix);
        String dbName = unique("fatal");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Database owner = database(dbName)) {
            try (Connection c = owner.dataSource().getConnection(); Statement s = c.createStatement()) {
                // A login that may read the index but not write it: every batch is refused with 42501.
                s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'la_reader') THEN "
                        + "CREATE ROLE la_reader LOGIN; END IF; END $$");
                s.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO la_reader");
            }
            String url = owner.dataSource().getConnection().getMetaData().getURL();
            try (TestKafka producer = new TestKafka(kafka.bootstrapServers(), prefix);
                 Database reader = Database.open(url, "la_reader", "", 2, false);
                 Indexer indexer = new Indexer(config(prefix, unique("g")), reader, registry)) {
                producer.send(SyntheticFleet.snapshot("web-01", 1, new SyntheticFleet(22, 2).images()));
                producer.flush();
                indexer.start();
                await().atMost(Duration.ofSeconds(60)).until(() -> !indexer.isRunning());
                assertThat(indexer.failure()).get().isInstanceOf(FatalDatabaseException.class)
                        .extracting(Throwable::getMessage).asString().contains("42501");
                assertThat(registry.find("layeratlas.indexer.retries").counter().count()).as("retries").isZero();
            }
        }
    }
}
