package io.layeratlas.indexer;

import io.layeratlas.db.Database;
import io.layeratlas.db.index.ExpectedIndex;
import io.layeratlas.db.index.IndexDump;
import io.layeratlas.db.index.IndexWriter;
import io.layeratlas.db.index.SyntheticFleet;
import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.Topics;
import io.layeratlas.topics.TopicSetup;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The indexer on a real Kafka broker and a real PostgreSQL. */
class IndexerTest extends IndexerTestBase {
    @Test
    void replaying_every_topic_into_an_empty_database_gives_the_same_answers_and_consuming_twice_changes_nothing() {
        String prefix = unique("replay") + ".";
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 3, prefix);
        List<LayerAtlasEvent> events = EventStreams.stream(11, 6, 8, 30);
        ExpectedIndex expected = new ExpectedIndex();
        events.forEach(expected::accept);

        try (TestKafka producer = new TestKafka(kafka.bootstrapServers(), prefix);
             Database live = database(unique("live"));
             Database replay = database(unique("replay"))) {
            // The live index consumes while events are produced; the replay starts after all are in the topics.
            try (Indexer indexer = new Indexer(config(prefix, unique("g")), live, new SimpleMeterRegistry())) {
                indexer.start();
                producer.sendAll(events);
                awaitCaughtUp(indexer);
            }
            assertMatches(expected, live);
            Map<String, List<String>> liveAnswers = IndexDump.of(live.dataSource());

            try (Indexer indexer = new Indexer(config(prefix, unique("g")), replay, new SimpleMeterRegistry())) {
                indexer.start();
                awaitCaughtUp(indexer);
            }
            assertThat(IndexDump.of(replay.dataSource())).isEqualTo(liveAnswers);

            // A second group on the live database consumes every event a second time.
            try (Indexer indexer = new Indexer(config(prefix, unique("g")), live, new SimpleMeterRegistry())) {
                indexer.start();
                awaitCaughtUp(indexer);
            }
            assertThat(IndexDump.of(live.dataSource())).isEqualTo(liveAnswers);
        }
    }

    @Test
    void several_indexers_in_one_group_share_the_partitions_and_build_the_same_index() {
        String prefix = unique("shared") + ".";
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 4, prefix);
        List<LayerAtlasEvent> events = EventStreams.stream(12, 8, 5, 25);
        ExpectedIndex expected = new ExpectedIndex();
        events.forEach(expected::accept);
        String group = unique("g");
        try (TestKafka producer = new TestKafka(kafka.bootstrapServers(), prefix);
             Database db = database(unique("shared"));
             Indexer a = new Indexer(config(prefix, group), db, new SimpleMeterRegistry());
             Indexer b = new Indexer(config(prefix, group), db, new SimpleMeterRegistry())) {
            a.start();
            b.start();
            producer.sendAll(events);
            awaitCaughtUp(a, b);
            assertMatches(expected, db);
        }
    }

    @Test
    void poison_records_land_in_the_dead_letter_topic_and_the_partition_moves_on() {
        String prefix = unique("poison") + ".";
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 1, prefix);
        SyntheticFleet fleet = new SyntheticFleet(13, 4);
        HostSnapshot good = SyntheticFleet.snapshot("web-01", 1, fleet.images());
        String unknownVersion = new String(EventCodec.encode(good), StandardCharsets.UTF_8).replace("\"schemaVersion\":1", "\"schemaVersion\":99");
        try (TestKafka producer = new TestKafka(kafka.bootstrapServers(), prefix);
             Database db = database(unique("poison"));
             Indexer indexer = new Indexer(config(prefix, unique("g")), db, new SimpleMeterRegistry())) {
            producer.sendRaw(Topics.HOST_LAYERS, "web-01", "{truncated".getBytes(StandardCharsets.UTF_8));
            producer.sendRaw(Topics.HOST_LAYERS, "web-01", unknownVersion.getBytes(StandardCharsets.UTF_8));
            producer.sendRaw(Topics.HOST_LAYERS, "someone-else", EventCodec.encode(good));
            producer.sendRaw(Topics.IMAGE_CONFIGS, fleet.images().get(0).id().toString(),
                    EventCodec.encode(io.layeratlas.events.ImageConfigEvent.of("{not json", fleet.images().get(0))));
            producer.sendRaw(Topics.HEARTBEATS, "web-01", null);
            producer.send(good);
            producer.flush();
            indexer.start();
            awaitCaughtUp(indexer);

            assertThat(IndexDump.of(db.dataSource(), "host_image_ids").get("host_image_ids")).hasSize(fleet.images().size());
            List<ConsumerRecord<byte[], byte[]>> dead = producer.readAll(prefix + Topics.DEAD_LETTER);
            assertThat(dead).hasSize(5);
            List<String> reasons = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : dead) {
                reasons.add(header(r, Indexer.HEADER_REASON));
                assertThat(header(r, Indexer.HEADER_TOPIC)).startsWith(prefix);
                assertThat(header(r, Indexer.HEADER_PARTITION)).isEqualTo("0");
                assertThat(header(r, Indexer.HEADER_OFFSET)).matches("[0-9]+");
            }
            assertThat(reasons).anyMatch(r -> r.contains("not JSON"))
                    .anyMatch(r -> r.contains("unknown schemaVersion 99"))
                    .anyMatch(r -> r.contains("record key 'someone-else'"))
                    .anyMatch(r -> r.startsWith("refused:"))
                    .anyMatch(r -> r.contains("tombstone"));
        }
    }

    /**
     * The bound that keeps the indexer's heap in check: 44 MB of snapshot chunks once went into one batch meant to hold
     * 16 MiB (the bench's DEBUG log, a 2,000-record poll of fetches buffered during the batch before). Forty 700 KB
     * records over four partitions (28 MB; undecodable, so they are dead-lettered, which a batch does in its
     * transaction like any other record) must arrive in several batches, none past the bound by more than one poll.
     */
    @Test
    void a_backlog_larger_than_the_batch_bound_is_applied_in_several_batches_each_within_it() {
        String prefix = unique("bounded") + ".";
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 4, prefix);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        int records = 40;
        int size = 700 * 1024;
        try (TestKafka producer = new TestKafka(kafka.bootstrapServers(), prefix);
             Database db = database(unique("bounded"));
             Indexer indexer = new Indexer(config(prefix, unique("g")), db, registry)) {
            byte[] junk = new byte[size];
            java.util.Arrays.fill(junk, (byte) 'x');
            for (int i = 0; i < records; i++) {
                producer.sendRaw(Topics.HOST_LAYERS, "web-" + i, junk);
            }
            producer.flush();
            indexer.start();
            awaitCaughtUp(indexer);

            assertThat(producer.readAll(prefix + Topics.DEAD_LETTER)).hasSize(records);
            var batches = registry.find("layeratlas.indexer.batch.bytes").summary();
            assertThat(batches).isNotNull();
            assertThat(batches.totalAmount()).isEqualTo((double) records * size);
            assertThat(batches.count()).isGreaterThanOrEqualTo(2);
            // 16 MiB, and at most one poll's 8 records past it.
            assertThat(batches.max()).isLessThanOrEqualTo(16.0 * 1024 * 1024 + 8.0 * size);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void restarting_postgresql_while_events_flow_loses_nothing(@TempDir Path pgDir) throws Exception {
        String prefix = unique("pgrestart") + ".";
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 2, prefix);
        List<LayerAtlasEvent> events = EventStreams.stream(14, 6, 12, 30);
        ExpectedIndex expected = new ExpectedIndex();
        events.forEach(expected::accept);

        EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(pgDir, 0);
        int port = pg.port();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TestKafka producer = new TestKafka(kafka.bootstrapServers(), prefix);
             Database db = Database.migrateAndOpen(pg.jdbcUrl(), pg.user(), "", 4);
             Indexer indexer = new Indexer(config(prefix, unique("g")), db, registry)) {
            indexer.start();
            int third = events.size() / 3;
            producer.sendAll(events.subList(0, third));
            await().atMost(Duration.ofSeconds(60)).until(() -> indexer.lag() >= 0);
            pg.close();
            producer.sendAll(events.subList(third, 2 * third));
            Thread.sleep(1500); // the indexer is failing and backing off now; that is the point of the test
            pg = EmbeddedPostgresServer.start(pgDir, port);
            producer.sendAll(events.subList(2 * third, events.size()));
            awaitCaughtUp(indexer);
            assertThat(indexer.isRunning()).isTrue();
            assertMatches(expected, db);
            assertThat(registry.find("layeratlas.indexer.retries").counter().count())
                    .as("batches retried while the database was down").isPositive();
        } finally {
            pg.close();
        }
    }

    @Test
    void a_rebuild_drops_the_index_and_consumes_everything_again() {
        String prefix = unique("rebuild") + ".";
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 1, prefix);
        List<LayerAtlasEvent> events = EventStreams.stream(15, 3, 4, 12);
        String group = unique("g");
        try (TestKafka producer = new TestKafka(kafka.bootstrapServers(), prefix);
             Database db = database(unique("rebuild"))) {
            producer.sendAll(events);
            Map<String, List<String>> first;
            try (Indexer indexer = new Indexer(config(prefix, group), db, new SimpleMeterRegistry())) {
                indexer.start();
                awaitCaughtUp(indexer);
                first = IndexDump.of(db.dataSource());
            }
            try (Indexer indexer = Indexer.rebuild(config(prefix, group), db)) {
                assertThat(IndexDump.of(db.dataSource(), "host_image_ids").get("host_image_ids")).isEmpty();
                indexer.start();
                awaitCaughtUp(indexer);
            }
            assertThat(IndexDump.of(db.dataSource())).isEqualTo(first);
        }
    }
}
