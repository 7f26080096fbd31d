package io.layeratlas.db.index;

import io.layeratlas.db.Database;
import io.layeratlas.db.query.FleetQuery;
import io.layeratlas.db.query.Freshness;
import io.layeratlas.db.query.HostQuery;
import io.layeratlas.db.query.PageRequest;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The write side on a real PostgreSQL, without Kafka: every effect, its idempotence, and the counters. */
class IndexWriterTest {
    private static EmbeddedPostgresServer postgres;
    private static final AtomicInteger databases = new AtomicInteger();

    private Database db;
    private IndexWriter writer;

    @BeforeAll
    static void startPostgres() {
        postgres = EmbeddedPostgresServer.startTemporary();
    }

    @AfterAll
    static void stopPostgres() {
        postgres.close();
    }

    @BeforeEach
    void freshDatabase(TestInfo test) {
        db = freshDatabase("w" + databases.incrementAndGet());
        writer = new IndexWriter(db);
    }

    private static Database freshDatabase(String name) {
        return Database.migrateAndOpen(postgres.createDatabase(name), postgres.user(), "", 3);
    }

    @AfterEach
    void closeDatabase() {
        db.close();
    }

    /** Applies the events as one batch, in one transaction. */
    private void apply(LayerAtlasEvent... events) {
        IndexBatch batch = new IndexBatch();
        for (int i = 0; i < events.length; i++) {
            batch.add(i, events[i]);
        }
        writer.inTransaction(tx -> tx.apply(batch));
    }

    private Map<String, List<String>> dump(String... sections) {
        return sections.length == 0 ? IndexDump.of(db.dataSource()) : IndexDump.of(db.dataSource(), sections);
    }

    @Test
    void a_snapshot_fills_hosts_images_layers_and_counters_that_equal_a_recount() {
        SyntheticFleet fleet = new SyntheticFleet(1, 8);
        List<ImageRecord> imgs = fleet.images();
        apply(SyntheticFleet.snapshot("web-01", 1, imgs.subList(0, 5)), SyntheticFleet.snapshot("web-02", 1, imgs.subList(3, 8)));

        ExpectedIndex expected = new ExpectedIndex();
        expected.accept(SyntheticFleet.snapshot("web-01", 1, imgs.subList(0, 5)));
        expected.accept(SyntheticFleet.snapshot("web-02", 1, imgs.subList(3, 8)));
        var d = dump("host_image_ids", "host_layers", "layer_usage", "image_usage", "hosts", "host_changes");
        assertThat(d.get("host_image_ids")).isEqualTo(expected.hostImageIds());
        assertThat(d.get("host_layers")).isEqualTo(expected.hostLayers());
        assertThat(d.get("layer_usage")).isEqualTo(expected.layerUsage());
        assertThat(d.get("image_usage")).isEqualTo(expected.imageUsage());
        assertThat(d.get("hosts")).hasSize(2).allMatch(l -> l.contains("gen=1"));
        assertThat(d.get("host_changes")).hasSize(expected.changeCount());
        assertThat(writer.recount()).isZero();
    }

    @Test
    void a_tag_removed_from_an_image_the_host_keeps_is_a_tag_removal_in_the_change_log_and_a_tag_added_an_addition() {
        SyntheticFleet fleet = new SyntheticFleet(9, 3);
        ImageRecord kept = fleet.images().get(0);
        ImageRecord twoTags = new ImageRecord(kept.id(), List.of("shop/api:1.1", "shop/api:latest"), kept.repoDigests(),
                kept.parent(), kept.created(), kept.size(), kept.diffIds(), kept.chainIds(), kept.history(), kept.containers(),
                kept.sharedSize(), kept.uniqueSize(), kept.os(), kept.architecture());
        // `docker rmi shop/api:latest` and `docker tag shop/api:1.1 shop/api:stable`: the image stays on the host.
        ImageRecord retagged = new ImageRecord(kept.id(), List.of("shop/api:1.1", "shop/api:stable"), kept.repoDigests(),
                kept.parent(), kept.created(), kept.size(), kept.diffIds(), kept.chainIds(), kept.history(), kept.containers(),
                kept.sharedSize(), kept.uniqueSize(), kept.os(), kept.architecture());
        apply(SyntheticFleet.snapshot("web-01", 1, List.of(twoTags, fleet.images().get(1))));
        apply(SyntheticFleet.snapshot("web-01", 2, List.of(retagged, fleet.images().get(1))));
        apply(SyntheticFleet.snapshot("web-01", 3, List.of(retagged, fleet.images().get(1))));

        List<String> gen2 = dump("host_changes").get("host_changes").stream().filter(l -> l.contains(" gen=2 ")).toList();
        assertThat(gen2).hasSize(2).anySatisfy(l -> assertThat(l).endsWith(" removed tag " + kept.id() + " shop/api:latest"))
                .anySatisfy(l -> assertThat(l).endsWith(" added tag " + kept.id() + " shop/api:stable"));
        assertThat(dump("host_changes").get("host_changes")).noneMatch(l -> l.contains(" gen=3 "));
    }

    @Test
    void a_hosts_change_log_pages_newest_first_each_line_once_and_the_same_way_back() {
        // Three generations: images arrive, two leave and two come with new layers, then a tag moves. The log's
        // lines are what the index holds (read by IndexDump's own unnest), newest generation first; walked forward
        // by pages of any size they are the same list, and walked back from the last page by previous cursors too.
        SyntheticFleet fleet = new SyntheticFleet(13, 5);
        List<ImageRecord> imgs = fleet.images();
        apply(SyntheticFleet.snapshot("web-01", 1, List.of(withTags(imgs.get(0), "shop/api:1.0"), imgs.get(1), imgs.get(2))));
        apply(SyntheticFleet.snapshot("web-01", 2, List.of(withTags(imgs.get(0), "shop/api:1.0"), imgs.get(3), imgs.get(4))));
        apply(SyntheticFleet.snapshot("web-01", 3, List.of(withTags(imgs.get(0), "shop/api:1.1"), imgs.get(3), imgs.get(4))));
        List<String> stored = dump("host_changes").get("host_changes").stream()
                .map(l -> l.replaceFirst(" at=[^ ]+ [^ ]+ ", " ").replaceFirst("^web-01 ", "")).sorted().toList();
        assertThat(stored).hasSizeGreaterThan(12).anyMatch(l -> l.startsWith("gen=2 removed image"))
                .anyMatch(l -> l.equals("gen=3 added tag " + imgs.get(0).id() + " shop/api:1.1"));

        HostQuery hosts = new HostQuery(db.dataSource(), new Freshness.Policy(Clock.systemUTC(), Duration.ofMinutes(5)));
        List<String> whole = changeLog(hosts, 1000);
        assertThat(hosts.detail("web-01", changes(null, 1)).changesPage().total()).isEqualTo(stored.size());
        assertThat(whole.stream().sorted().toList()).isEqualTo(stored);
        List<Integer> generations = whole.stream().map(l -> Integer.parseInt(l.substring(4, l.indexOf(' ')))).toList();
        assertThat(generations).isSortedAccordingTo(Collections.reverseOrder());
        assertThat(generations).startsWith(3).endsWith(1);
        for (int limit : new int[]{1, 2, 3, 7}) {
            assertThat(changeLog(hosts, limit)).as("pages of %d", limit).isEqualTo(whole);
        }

        // Back from the last page of 2: every page is the one forward had, and the lines come back in reverse.
        HostQuery.HostDetail page = hosts.detail("web-01", changes(null, 2));
        while (page.changesPage().next() != null) {
            page = hosts.detail("web-01", changes(page.changesPage().next(), 2));
        }
        List<String> back = new ArrayList<>(lines(page));
        while (page.changesPage().previous() != null) {
            page = hosts.detail("web-01", changes(page.changesPage().previous(), 2));
            back.addAll(0, lines(page));
        }
        assertThat(back).isEqualTo(whole);
    }

    /** Every line of web-01's change log, read by pages of {@code limit}. */
    private static List<String> changeLog(HostQuery hosts, int limit) {
        List<String> out = new ArrayList<>();
        String cursor = null;
        do {
            HostQuery.HostDetail page = hosts.detail("web-01", changes(cursor, limit));
            out.addAll(lines(page));
            cursor = page.changesPage().next();
        } while (cursor != null);
        return out;
    }

    private static HostQuery.DetailPages changes(String cursor, int limit) {
        return new HostQuery.DetailPages(PageRequest.parse(null, "0"), PageRequest.parse(null, "0"),
                PageRequest.parse(cursor, Integer.toString(limit)));
    }

    private static List<String> lines(HostQuery.HostDetail page) {
        return page.changes().stream().map(c -> "gen=" + c.generation() + " " + c.change() + " " + c.subject() + " "
                + c.digest() + (c.tag() == null ? "" : " " + c.tag())).toList();
    }

    @Test
    void the_fleets_tags_of_an_image_follow_tags_that_move_images_that_come_and_go_and_retired_hosts() {
        SyntheticFleet fleet = new SyntheticFleet(11, 3);
        ImageRecord api = fleet.images().get(0);
        ImageRecord app = fleet.images().get(1);
        String appTag = app.repoTags().get(0);
        apply(SyntheticFleet.snapshot("web-01", 1, List.of(withTags(api, "shop/api:1.1", "shop/api:latest"), app)),
                SyntheticFleet.snapshot("web-02", 1, List.of(withTags(api, "shop/api:1.1"), app)));
        assertThat(dump("image_tags").get("image_tags")).containsExactlyInAnyOrder(
                api.id() + " shop/api:1.1 hosts=2", api.id() + " shop/api:latest hosts=1", app.id() + " " + appTag + " hosts=2");
        assertThat(writer.recount()).isZero();

        // On web-01: `docker tag shop/api:1.1 shop/api:stable`, `docker rmi shop/api:latest`, and app removed.
        apply(SyntheticFleet.snapshot("web-01", 2, List.of(withTags(api, "shop/api:1.1", "shop/api:stable"))));
        assertThat(dump("image_tags").get("image_tags")).containsExactlyInAnyOrder(
                api.id() + " shop/api:1.1 hosts=2", api.id() + " shop/api:stable hosts=1", app.id() + " " + appTag + " hosts=1");
        assertThat(writer.recount()).isZero();

        // The image kept untagged on web-02 (`docker rmi shop/api:1.1` of a running image), then web-02 retired.
        apply(SyntheticFleet.snapshot("web-02", 2, List.of(withTags(api), app)));
        assertThat(dump("image_tags").get("image_tags")).containsExactlyInAnyOrder(
                api.id() + " shop/api:1.1 hosts=1", api.id() + " shop/api:stable hosts=1", app.id() + " " + appTag + " hosts=1");
        writer.retireHost("web-02");
        assertThat(dump("image_tags").get("image_tags")).containsExactlyInAnyOrder(
                api.id() + " shop/api:1.1 hosts=1", api.id() + " shop/api:stable hosts=1");
        assertThat(writer.recount()).isZero();

        // The recount's truth is host_images: a wrong count, a row too many and a row missing are three corrections.
        try (var c = db.dataSource().getConnection(); var st = c.createStatement()) {
            st.executeUpdate("UPDATE image_tags SET host_count = 7 WHERE tag = 'shop/api:1.1'");
            st.executeUpdate("DELETE FROM image_tags WHERE tag = 'shop/api:stable'");
            st.executeUpdate("INSERT INTO image_tags (image_key, tag, host_count) SELECT image_key, 'ghost:1', 1 FROM images"
                    + " WHERE image_id = '" + app.id() + "'");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        assertThat(writer.recount()).isEqualTo(3);
        assertThat(dump("image_tags").get("image_tags")).containsExactlyInAnyOrder(
                api.id() + " shop/api:1.1 hosts=1", api.id() + " shop/api:stable hosts=1");
    }

    private static ImageRecord withTags(ImageRecord i, String... tags) {
        return new ImageRecord(i.id(), List.of(tags), i.repoDigests(), i.parent(), i.created(), i.size(), i.diffIds(),
                i.chainIds(), i.history(), i.containers(), i.sharedSize(), i.uniqueSize(), i.os(), i.architecture());
    }

    @Test
    void applying_the_same_events_twice_changes_nothing() {
        SyntheticFleet fleet = new SyntheticFleet(2, 10);
        List<LayerAtlasEvent> events = new ArrayList<>();
        events.add(SyntheticFleet.snapshot("a", 1, fleet.images().subList(0, 6)));
        events.addAll(SyntheticFleet.chunks("b", 4, fleet.images().subList(2, 10), 3));
        fleet.images().forEach(i -> events.add(fleet.config(i)));
        events.add(SyntheticFleet.heartbeat("a", SyntheticFleet.T0));
        events.add(SyntheticFleet.snapshot("a", 2, fleet.images().subList(1, 4)));
        apply(events.toArray(LayerAtlasEvent[]::new));
        var once = dump();
        apply(events.toArray(LayerAtlasEvent[]::new));
        assertThat(dump()).isEqualTo(once);
        assertThat(writer.recount()).isZero();
    }

    @Test
    void an_older_or_equal_generation_changes_nothing() {
        SyntheticFleet fleet = new SyntheticFleet(3, 6);
        apply(SyntheticFleet.snapshot("a", 5, fleet.images().subList(0, 3)));
        var before = dump();
        HostSnapshot same = SyntheticFleet.snapshot("a", 5, fleet.images().subList(3, 6));
        HostSnapshot older = SyntheticFleet.snapshot("a", 4, fleet.images().subList(3, 6));
        BatchOutcome outcome = writer.inTransaction(tx -> tx.apply(new IndexBatch().add(0, same).add(1, older)));
        assertThat(outcome.outcomes()).containsEntry(0, "stale").containsEntry(1, "stale");
        assertThat(dump()).isEqualTo(before);
    }

    @Test
    void removing_an_image_removes_exactly_the_layers_no_other_image_on_the_host_needs() {
        SyntheticFleet fleet = new SyntheticFleet(4, 12);
        // Find two images on the same base: the base's layers must stay when one of them goes.
        ImageRecord keep = null;
        ImageRecord drop = null;
        for (ImageRecord a : fleet.images()) {
            for (ImageRecord b : fleet.images()) {
                if (a != b && a.chainIds().get(0).equals(b.chainIds().get(0)) && !b.chainIds().containsAll(a.chainIds())
                        && !a.chainIds().containsAll(b.chainIds())) {
                    keep = a;
                    drop = b;
                }
            }
        }
        assertThat(drop).as("two images sharing a bottom layer").isNotNull();
        final ImageRecord kept = keep;
        apply(SyntheticFleet.snapshot("h", 1, List.of(keep, drop)), SyntheticFleet.snapshot("other", 1, List.of(drop)));
        apply(SyntheticFleet.snapshot("h", 2, List.of(keep)));

        List<String> hLayers = dump("host_layers").get("host_layers").stream().filter(l -> l.startsWith("h ")).toList();
        assertThat(hLayers).containsExactlyInAnyOrderElementsOf(keep.chainIds().stream().map(c -> "h " + c).toList());
        List<String> changes = dump("host_changes").get("host_changes").stream().filter(l -> l.startsWith("h gen=2")).toList();
        List<String> gone = new ArrayList<>(drop.chainIds().stream().filter(c -> !kept.chainIds().contains(c))
                .map(c -> "removed layer " + c).toList());
        gone.add("removed image " + drop.id());
        assertThat(changes).hasSize(gone.size()).allMatch(l -> gone.stream().anyMatch(l::endsWith));
        // The dropped image is still on "other": it still counts there.
        assertThat(dump("image_usage").get("image_usage")).contains(drop.id() + " hosts=1", keep.id() + " hosts=1");
        assertThat(writer.recount()).isZero();
    }

    @Test
    void a_chunked_snapshot_is_applied_only_when_all_its_chunks_are_there_in_any_order() {
        SyntheticFleet fleet = new SyntheticFleet(5, 9);
        apply(SyntheticFleet.snapshot("h", 1, fleet.images().subList(0, 2)));
        var gen1 = dump("host_image_ids", "host_layers", "layer_usage");
        List<HostSnapshot> chunks = new ArrayList<>(SyntheticFleet.chunks("h", 2, fleet.images().subList(2, 9), 4));
        Collections.shuffle(chunks, new java.util.Random(5));
        for (int i = 0; i < chunks.size() - 1; i++) {
            HostSnapshot chunk = chunks.get(i);
            BatchOutcome outcome = writer.inTransaction(tx -> tx.apply(new IndexBatch().add(7, chunk)));
            assertThat(outcome.outcomes()).containsEntry(7, "pending");
            assertThat(dump("host_image_ids", "host_layers", "layer_usage")).isEqualTo(gen1);
        }
        HostSnapshot last = chunks.get(chunks.size() - 1);
        BatchOutcome outcome = writer.inTransaction(tx -> tx.apply(new IndexBatch().add(7, last)));
        assertThat(outcome.outcomes()).containsEntry(7, "applied");
        ExpectedIndex expected = new ExpectedIndex();
        expected.accept(SyntheticFleet.snapshot("h", 2, fleet.images().subList(2, 9)));
        assertThat(dump("host_image_ids").get("host_image_ids")).isEqualTo(expected.hostImageIds());
        assertThat(dump("pending_snapshot_chunks").get("pending_snapshot_chunks")).isEmpty();
    }

    @Test
    void an_inventory_and_a_config_complete_the_same_image_in_either_order() {
        SyntheticFleet fleet = new SyntheticFleet(6, 5);
        ImageRecord image = fleet.images().get(4);
        ImageConfigEvent config = fleet.config(image);
        HostSnapshot inventory = SyntheticFleet.snapshot("h", 1, List.of(image));

        apply(inventory, config);
        var inventoryFirst = dump("images", "image_layers", "image_history", "layer_usage", "image_parents");
        db.close();
        db = freshDatabase("w" + databases.incrementAndGet());
        writer = new IndexWriter(db);
        apply(config);
        assertThat(dump("images").get("images")).singleElement().asString().contains("config=true", "layers=" + image.diffIds().size());
        apply(inventory);
        assertThat(dump("images", "image_layers", "image_history", "layer_usage", "image_parents")).isEqualTo(inventoryFirst);
        assertThat(inventoryFirst.get("images")).anyMatch(l -> l.startsWith(image.id() + " config=true"));
        assertThat(inventoryFirst.get("image_history")).hasSize(image.history().size());
    }

    @Test
    void lineage_keeps_dockers_parent_and_infers_the_longest_known_base_in_any_order() {
        SyntheticFleet fleet = new SyntheticFleet(7, 14);
        List<ImageRecord> images = fleet.images();
        apply(images.stream().map(i -> (LayerAtlasEvent) SyntheticFleet.snapshot("h" + images.indexOf(i), 1, List.of(i))).toArray(LayerAtlasEvent[]::new));
        List<String> parents = dump("image_parents").get("image_parents");

        // Expected from the stacks alone.
        List<String> expected = new ArrayList<>();
        for (ImageRecord x : images) {
            images.stream()
                    .filter(b -> b.chainIds().size() < x.chainIds().size() && x.chainIds().subList(0, b.chainIds().size()).equals(b.chainIds()))
                    .max(java.util.Comparator.<ImageRecord>comparingInt(b -> b.chainIds().size())
                            .thenComparing(b -> b.id().toString(), java.util.Comparator.reverseOrder()))
                    .ifPresent(b -> expected.add(x.id() + " inferred-base " + b.id()));
            if (x.parent() != null) {
                expected.add(x.id() + " docker-parent " + x.parent());
            }
        }
        expected.sort(null);
        assertThat(parents).isEqualTo(expected).isNotEmpty();

        db.close();
        db = freshDatabase("w" + databases.incrementAndGet());
        writer = new IndexWriter(db);
        List<ImageRecord> reversed = new ArrayList<>(images);
        Collections.reverse(reversed);
        for (ImageRecord i : reversed) {
            apply(fleet.config(i));
        }
        apply(images.stream().map(i -> (LayerAtlasEvent) SyntheticFleet.snapshot("h" + images.indexOf(i), 1, List.of(i))).toArray(LayerAtlasEvent[]::new));
        assertThat(dump("image_parents").get("image_parents")).isEqualTo(expected);
    }

    @Test
    void retiring_a_host_removes_what_it_holds_and_keeps_older_snapshots_out() {
        SyntheticFleet fleet = new SyntheticFleet(8, 6);
        apply(SyntheticFleet.snapshot("a", 3, fleet.images().subList(0, 4)), SyntheticFleet.snapshot("b", 1, fleet.images().subList(2, 6)));
        assertThat(liveHosts()).isEqualTo(2);
        assertThat(writer.retireHost("a")).isTrue();
        assertThat(writer.retireHost("nobody")).isFalse();
        assertThat(liveHosts()).as("a retired").isEqualTo(1);
        assertThat(dump("host_image_ids").get("host_image_ids")).allMatch(l -> l.startsWith("b "));
        assertThat(writer.recount()).isZero();
        apply(SyntheticFleet.snapshot("a", 2, fleet.images().subList(0, 4)));
        assertThat(dump("host_image_ids").get("host_image_ids")).allMatch(l -> l.startsWith("b "));
        assertThat(liveHosts()).as("an older snapshot of a retired host").isEqualTo(1);
        apply(SyntheticFleet.snapshot("a", 4, fleet.images().subList(0, 1)));
        assertThat(dump("hosts").get("hosts")).anyMatch(l -> l.startsWith("a gen=4 retired=false"));
        assertThat(liveHosts()).as("a back with a newer snapshot").isEqualTo(2);
        apply(SyntheticFleet.heartbeat("b", SyntheticFleet.T0), SyntheticFleet.heartbeat("c", SyntheticFleet.T0));
        assertThat(liveHosts()).as("c registered by its heartbeat").isEqualTo(3);
        assertThat(writer.recount()).isZero();
    }

    @Test
    void the_live_host_count_stays_exact_over_many_registering_statements_in_a_few_rows() {
        for (int i = 0; i < 40; i++) {
            apply(SyntheticFleet.heartbeat("h" + i, SyntheticFleet.T0)); // a batch each: a statement registering a host
        }
        assertThat(liveHosts()).isEqualTo(40);
        for (int i = 0; i < 25; i++) {
            assertThat(writer.retireHost("h" + i)).isTrue();
        }
        assertThat(liveHosts()).as("25 retired, one transaction each").isEqualTo(15);
        apply(SyntheticFleet.heartbeat("h40", SyntheticFleet.T0), SyntheticFleet.heartbeat("h41", SyntheticFleet.T0));
        assertThat(liveHosts()).isEqualTo(17);
        assertThat(countRows()).as("the count's rows, folded").isBetween(1, 17);
        writer.dropIndex();
        assertThat(liveHosts()).as("every live host deleted").isZero();
    }

    @Test
    void hosts_registered_by_concurrent_transactions_all_count_and_neither_waits_for_the_other() throws Exception {
        try (var a = db.dataSource().getConnection(); var b = db.dataSource().getConnection();
             var sa = a.createStatement(); var sb = b.createStatement()) {
            a.setAutoCommit(false);
            b.setAutoCommit(false);
            // a registers 20 hosts, a statement each: past 16 rows it folds the count's rows, and holds them until it
            // commits; b registers 20 more meanwhile and folds too: it must skip a's rows, not wait for them (the
            // lock timeout fails the test) nor count them.
            for (int i = 0; i < 20; i++) {
                sa.execute("INSERT INTO hosts (host_id) VALUES ('a" + i + "')");
            }
            sb.execute("SET LOCAL lock_timeout = '5s'");
            for (int i = 0; i < 20; i++) {
                sb.execute("INSERT INTO hosts (host_id) VALUES ('b" + i + "')");
            }
            b.commit();
            assertThat(liveHosts()).as("b's hosts; a's not committed yet").isEqualTo(20);
            a.commit();
        }
        assertThat(liveHosts()).isEqualTo(40);
        assertThat(countRows()).as("the count's rows, folded").isBetween(1, 17);
    }

    /** The rows V25 keeps the live hosts' count in (its deltas). */
    private int countRows() {
        try (var c = db.dataSource().getConnection(); var s = c.createStatement();
             var rs = s.executeQuery("SELECT count(*) FROM live_host_counts")) {
            rs.next();
            return rs.getInt(1);
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * How many live hosts the fleet's freshness counts, as every fleet-wide answer reports it (V25's count), having
     * checked that it is the host list's (counted from the hosts' rows) and that live_hosts names them by their IDs
     * (V23, which a page of a layer's hosts walks) as the host list does.
     */
    private int liveHosts() {
        var hosts = new HostQuery(db.dataSource(), new Freshness.Policy(Clock.systemUTC(), Duration.ofMinutes(5)))
                .list(HostQuery.Sort.HOST, false, PageRequest.first());
        assertThat(hosts.page().total()).as("the host list's total").isEqualTo(hosts.hosts().size());
        List<String> byId = new ArrayList<>();
        int fleet;
        try (var c = db.dataSource().getConnection(); var s = c.createStatement();
             var ps = c.prepareStatement(FleetQuery.FLEET_FRESHNESS)) {
            try (var rs = s.executeQuery("SELECT host_id FROM live_hosts ORDER BY host_id")) {
                while (rs.next()) {
                    byId.add(rs.getString(1));
                }
            }
            ps.setTimestamp(1, java.sql.Timestamp.from(java.time.Instant.now()));
            try (var rs = ps.executeQuery()) {
                rs.next();
                fleet = rs.getInt("hosts");
            }
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
        assertThat(byId).as("live_hosts by host ID").containsExactlyElementsOf(
                hosts.hosts().stream().map(h -> h.status().hostId()).toList());
        assertThat(fleet).as("the fleet's freshness count").isEqualTo(hosts.page().total());
        return fleet;
    }

    @Test
    void hosts_without_a_recent_heartbeat_are_stale() {
        apply(SyntheticFleet.heartbeat("fresh", SyntheticFleet.T0.plusSeconds(600)), SyntheticFleet.heartbeat("old", SyntheticFleet.T0),
                SyntheticFleet.heartbeat("fresh", SyntheticFleet.T0));
        HostLiveness liveness = new HostLiveness(db);
        assertThat(liveness.staleHostIds(Duration.ofMinutes(5), SyntheticFleet.T0.plusSeconds(700))).containsExactly("old");
        assertThat(liveness.hosts(Duration.ofMinutes(5), SyntheticFleet.T0.plusSeconds(700)))
                .filteredOn(h -> h.hostId().equals("fresh")).singleElement()
                .extracting(HostLiveness.HostStatus::lastHeartbeatAt).isEqualTo(SyntheticFleet.T0.plusSeconds(600));
    }

    @Test
    void a_config_that_is_not_json_is_refused_as_data_and_its_batch_leaves_nothing_behind() {
        SyntheticFleet fleet = new SyntheticFleet(9, 3);
        ImageRecord image = fleet.images().get(0);
        ImageConfigEvent broken = ImageConfigEvent.of("{not json", image);
        apply(SyntheticFleet.snapshot("h", 1, List.of(image)));
        var before = dump();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> apply(SyntheticFleet.snapshot("h", 2, fleet.images()), broken))
                .isInstanceOf(RejectedEventException.class).hasMessageContaining("json");
        assertThat(dump()).isEqualTo(before);
    }

    @Test
    void dropping_the_index_empties_it_but_keeps_retired_hosts() {
        SyntheticFleet fleet = new SyntheticFleet(10, 4);
        apply(SyntheticFleet.snapshot("a", 1, fleet.images()), SyntheticFleet.snapshot("b", 1, fleet.images()));
        writer.retireHost("b");
        writer.dropIndex();
        assertThat(liveHosts()).isZero();
        var d = dump();
        assertThat(d.get("hosts")).singleElement().asString().startsWith("b gen=1 retired=true");
        d.forEach((section, lines) -> {
            if (!section.equals("hosts")) {
                assertThat(lines).as(section).isEmpty();
            }
        });
    }
}
