package io.layeratlas.db.index;

import io.layeratlas.db.Database;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.Digest;
import io.layeratlas.events.Holdings;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.SnapshotChunker;
import io.layeratlas.events.SnapshotEnvelope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The set-based batch against the rules it must keep: a batch leaves exactly the index the same events leave when
 * applied one at a time (change log included), the number of statements does not grow with the batch, and a resend
 * recognised by its envelope touches the host row only.
 */
class BatchApplyTest {
    private static EmbeddedPostgresServer postgres;
    private static final AtomicInteger databases = new AtomicInteger();

    @BeforeAll
    static void startPostgres() {
        postgres = EmbeddedPostgresServer.startTemporary();
    }

    @AfterAll
    static void stopPostgres() {
        postgres.close();
    }

    private static Database freshDatabase() {
        return Database.migrateAndOpen(postgres.createDatabase("b" + databases.incrementAndGet()), postgres.user(), "", 3);
    }

    /** A random stream: several hosts, several generations each (some chunked, chunks interleaved), configs, heartbeats. */
    private static List<LayerAtlasEvent> stream(long seed) {
        SyntheticFleet fleet = new SyntheticFleet(seed, 24);
        Random random = new Random(seed);
        List<List<LayerAtlasEvent>> perHost = new ArrayList<>();
        for (int h = 0; h < 6; h++) {
            List<LayerAtlasEvent> events = new ArrayList<>();
            for (int gen = 1; gen <= 4; gen++) {
                List<ImageRecord> held = new ArrayList<>(fleet.images());
                Collections.shuffle(held, random);
                held = held.subList(0, 2 + random.nextInt(10));
                if (random.nextInt(3) == 0) {
                    List<HostSnapshot> chunks = new ArrayList<>(SyntheticFleet.chunks("host-" + h, gen, held, 3));
                    Collections.shuffle(chunks, random);
                    events.addAll(chunks);
                } else {
                    events.add(SyntheticFleet.snapshot("host-" + h, gen, held));
                }
                if (random.nextBoolean()) {
                    events.add(fleet.config(held.get(0)));
                }
                events.add(SyntheticFleet.heartbeat("host-" + h, SyntheticFleet.T0.plusSeconds(gen * 60L)));
            }
            perHost.add(events);
        }
        // Interleave the hosts' streams, keeping each host's order (one host is one partition's order).
        List<LayerAtlasEvent> out = new ArrayList<>();
        while (perHost.stream().anyMatch(l -> !l.isEmpty())) {
            List<LayerAtlasEvent> next = perHost.get(random.nextInt(perHost.size()));
            if (!next.isEmpty()) {
                out.add(next.remove(0));
            }
        }
        return out;
    }

    private static void applyInBatches(IndexWriter writer, List<LayerAtlasEvent> events, int batchSize) {
        for (int from = 0; from < events.size(); from += batchSize) {
            IndexBatch batch = new IndexBatch();
            List<LayerAtlasEvent> part = events.subList(from, Math.min(events.size(), from + batchSize));
            for (int i = 0; i < part.size(); i++) {
                batch.add(i, part.get(i));
            }
            writer.inTransaction(tx -> tx.apply(batch));
        }
    }

    @Test
    void a_batch_leaves_the_same_index_as_its_events_one_at_a_time_whatever_the_batch_boundaries() {
        for (long seed = 1; seed <= 3; seed++) {
            List<LayerAtlasEvent> events = stream(seed);
            Map<String, List<String>> oneByOne;
            try (Database db = freshDatabase()) {
                applyInBatches(new IndexWriter(db), events, 1);
                oneByOne = IndexDump.of(db.dataSource());
                assertThat(new IndexWriter(db).recount()).isZero();
            }
            ExpectedIndex expected = new ExpectedIndex();
            events.forEach(expected::accept);
            assertThat(oneByOne.get("host_image_ids")).isEqualTo(expected.hostImageIds());
            assertThat(oneByOne.get("host_changes")).hasSize(expected.changeCount());
            for (int size : new int[]{7, events.size()}) {
                try (Database db = freshDatabase()) {
                    applyInBatches(new IndexWriter(db), events, size);
                    assertThat(IndexDump.of(db.dataSource())).as("seed %d, batches of %d", seed, size).isEqualTo(oneByOne);
                    assertThat(new IndexWriter(db).recount()).isZero();
                }
            }
        }
    }

    /**
     * The contract's "image facts by reference": a snapshot may name an image with only its host's own fields when
     * the image's config is on {@code image-configs}. Once every config has arrived, the index must be the one the
     * same snapshots carrying every image's diff IDs, chain IDs and history leave, whatever came first.
     */
    @Test
    void snapshots_naming_images_by_reference_leave_the_index_full_snapshots_leave_once_the_configs_arrive() {
        for (long seed = 4; seed <= 5; seed++) {
            SyntheticFleet fleet = new SyntheticFleet(seed, 24);
            List<LayerAtlasEvent> full = new ArrayList<>(stream(seed));
            // Every config, some before the snapshots naming their images and the rest after.
            List<LayerAtlasEvent> configs = new ArrayList<>();
            fleet.images().forEach(i -> configs.add(fleet.config(i)));
            full.addAll(0, configs.subList(0, configs.size() / 3));
            full.addAll(configs.subList(configs.size() / 3, configs.size()));
            List<LayerAtlasEvent> byReference = new ArrayList<>();
            for (LayerAtlasEvent e : full) {
                byReference.add(e instanceof HostSnapshot chunk ? withImagesByReference(chunk) : e);
            }
            assertThat(byReference).as("the stream names images by reference").anySatisfy(e -> assertThat(e)
                    .isInstanceOfSatisfying(HostSnapshot.class, c -> assertThat(c.images()).isNotEmpty()
                            .allSatisfy(i -> assertThat(i.chainIds()).isEmpty())));
            Map<String, List<String>> expected;
            try (Database db = freshDatabase()) {
                applyInBatches(new IndexWriter(db), full, 1);
                expected = IndexDump.of(db.dataSource());
            }
            for (int size : new int[]{1, 7, byReference.size()}) {
                try (Database db = freshDatabase()) {
                    applyInBatches(new IndexWriter(db), byReference, size);
                    assertThat(IndexDump.of(db.dataSource())).as("seed %d, batches of %d", seed, size).isEqualTo(expected);
                    assertThat(new IndexWriter(db).recount()).isZero();
                }
            }
        }
    }

    /**
     * The chunk as an agent sends it when it publishes every image's config. Done per chunk, the layers a chunk's
     * images need but another chunk lists are added to this one too, with their identities only: harmless repeats.
     */
    private static HostSnapshot withImagesByReference(HostSnapshot c) {
        HostInventory inv = new HostInventory(c.source(), c.sourceKind(), c.hostId(), c.scannedAt(), c.images(), c.layers(),
                c.problems(), c.containers(), c.host());
        Set<Digest> all = new HashSet<>();
        c.images().forEach(i -> all.add(i.id()));
        HostInventory compact = SnapshotChunker.byReference(inv, all);
        return new HostSnapshot(c.schemaVersion(), c.hostId(), c.generation(), c.chunk(), c.chunkCount(), c.scannedAt(),
                c.agentVersion(), c.sourceKind(), c.source(), compact.images(), compact.layers(), c.problems(),
                c.containers(), c.host());
    }

    @Test
    void the_statements_a_batch_takes_do_not_grow_with_the_number_of_hosts_in_it() {
        SyntheticFleet fleet = new SyntheticFleet(42, 30);
        List<Integer> counts = new ArrayList<>();
        for (int hosts : new int[]{1, 10, 100}) {
            try (Database db = freshDatabase()) {
                IndexBatch batch = new IndexBatch();
                for (int h = 0; h < hosts; h++) {
                    batch.add(h, SyntheticFleet.snapshot("h" + h, 1, fleet.someImages(8)));
                }
                fleet.images().forEach(i -> batch.add(batch.size(), fleet.config(i)));
                counts.add(new IndexWriter(db).inTransaction(tx -> tx.apply(batch)).statements());
            }
        }
        assertThat(counts).as("statements for 1, 10 and 100 hosts").containsOnly(counts.get(0));
    }

    @Test
    void a_resend_recognised_by_its_envelope_touches_the_host_row_only_and_a_stale_claim_asks_for_the_value() {
        SyntheticFleet fleet = new SyntheticFleet(43, 10);
        HostSnapshot first = SyntheticFleet.snapshot("h", 1, fleet.images().subList(0, 5));
        try (Database db = freshDatabase()) {
            IndexWriter writer = new IndexWriter(db);
            writer.inTransaction(tx -> tx.apply(new IndexBatch().add(0, first)));
            var before = IndexDump.of(db.dataSource());
            var holdings = Holdings.of(first);

            SnapshotEnvelope resend = new SnapshotEnvelope(2, 0, 3, SyntheticFleet.T0.plusSeconds(3600), holdings);
            BatchOutcome outcome = writer.inTransaction(tx -> tx.apply(new IndexBatch().addUnchanged(0, "h", resend)));
            assertThat(outcome.outcomes()).containsEntry(0, "unchanged");
            var after = IndexDump.of(db.dataSource());
            after.forEach((section, lines) -> {
                if (!section.equals("hosts")) {
                    assertThat(lines).as(section).isEqualTo(before.get(section));
                }
            });
            assertThat(after.get("hosts")).singleElement().asString().startsWith("h gen=2 ").contains("scanned=2024-05-01 11:00:00");

            // A claim that does not match what the index holds is not taken: the batch asks for the value.
            SnapshotEnvelope wrong = new SnapshotEnvelope(3, 0, 1, SyntheticFleet.T0.plusSeconds(7200),
                    Holdings.of(SyntheticFleet.snapshot("h", 3, fleet.images())));
            BatchOutcome refused = writer.inTransaction(tx -> tx.apply(new IndexBatch().addUnchanged(5, "h", wrong)));
            assertThat(refused.needDecode()).containsExactly(5);
        }
    }

    @Test
    void known_facts_are_not_sent_again_and_are_forgotten_when_the_database_refuses_a_batch() throws Exception {
        SyntheticFleet fleet = new SyntheticFleet(44, 10);
        List<ImageRecord> held = fleet.images().subList(0, 4);
        try (Database db = freshDatabase()) {
            IndexWriter writer = new IndexWriter(db);
            int first = writer.inTransaction(tx -> tx.apply(new IndexBatch().add(0, SyntheticFleet.snapshot("a", 1, held))))
                    .statements();
            // The same images on a second host: the layers (and their usage rows) are known, not upserted again.
            int second = writer.inTransaction(tx -> tx.apply(new IndexBatch().add(0, SyntheticFleet.snapshot("b", 1, held))))
                    .statements();
            assertThat(second).as("statements of a batch naming only known layers").isLessThanOrEqualTo(first - 3);

            // The database is restored under the running writer from an empty backup: what it knew is gone.
            try (var c = db.dataSource().getConnection(); var st = c.createStatement()) {
                st.execute("TRUNCATE host_changes, host_layers, held_images, tag_sets, image_usage, layer_usage, image_parents,"
                        + " image_history, image_layers, layer_blobs, images, layers RESTART IDENTITY CASCADE; DELETE FROM hosts");
            }
            HostSnapshot c = SyntheticFleet.snapshot("c", 1, held);
            assertThatThrownBy(() -> writer.inTransaction(tx -> tx.apply(new IndexBatch().add(0, c))))
                    .isInstanceOf(RejectedEventException.class);
            // Refused once, the writer forgets: the same batch (as the indexer's split retries it) is applied in full.
            writer.inTransaction(tx -> tx.apply(new IndexBatch().add(0, c)));
            var dump = IndexDump.of(db.dataSource());
            assertThat(dump.get("host_layers")).isNotEmpty().allSatisfy(line -> assertThat(line).startsWith("c sha256:"));
            assertThat(new IndexWriter(db).recount()).isZero();
        }
    }
}
