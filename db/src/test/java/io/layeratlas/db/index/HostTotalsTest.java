package io.layeratlas.db.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.db.Database;
import io.layeratlas.db.query.Freshness;
import io.layeratlas.db.query.HostQuery;
import io.layeratlas.db.query.PageRequest;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.Holdings;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.SnapshotEnvelope;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.ingest.SourceScan;
import io.layeratlas.testing.Fixtures;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The totals the indexer keeps on each host's row (V12) against what Docker itself reported for fleet-main's modern
 * hosts ({@code truth/<host>/}): images per {@code docker image ls -a} ({@code image-ls.jsonl}, one line per tag), the
 * images {@code docker image ls} shows by Docker 20.10's rule over {@code docker image inspect}'s {@code Parent}, and
 * the host's distinct layers (distinct prefixes of the images' {@code RootFS.Layers}) with the sizes the Engine API's
 * {@code /images/{id}/history} gives each layer-creating step ({@code api/history.jsonl}, exact bytes). Also the fleet's
 * tags of each image (V13 {@code image_tags}) against the {@code RepoTags} of each host's {@code docker image inspect}.
 */
class HostTotalsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> HOSTS = List.of("build-01", "web-01", "web-02", "batch-01");
    private static final AtomicInteger databases = new AtomicInteger();

    private static EmbeddedPostgresServer postgres;
    private static Map<String, SourceScan> scans;

    @BeforeAll
    static void start() {
        postgres = EmbeddedPostgresServer.startTemporary();
        Scanner scanner = new Scanner();
        scans = new HashMap<>();
        for (String host : HOSTS) {
            scans.put(host, scanner.read(Fixtures.dataRoot(host).toString(), Optional.empty(), host));
        }
    }

    @AfterAll
    static void stop() {
        postgres.close();
    }

    private static Database freshDatabase() {
        return Database.migrateAndOpen(postgres.createDatabase("t" + databases.incrementAndGet()), postgres.user(), "", 3);
    }

    /** One image as {@code docker image inspect} and the API's history describe it. */
    private record TruthImage(String id, List<String> repoTags, List<String> repoDigests, String parent,
                              List<String> diffIds, List<Long> layerSizes) {
    }

    /** What Docker reported for one host's images. */
    private static Map<String, TruthImage> truth(String host) {
        Map<String, List<Long>> sizes = new HashMap<>();
        for (String line : lines(Fixtures.truth(host).resolve("api/history.jsonl"))) {
            JsonNode entry = read(line);
            // Newest step first; a step that made a layer has its size, an empty one 0 (every layer of these images
            // is larger than 0 bytes: checked below against the number of diff IDs).
            List<Long> made = new ArrayList<>();
            entry.path("history").forEach(step -> {
                if (step.path("Size").asLong() > 0) {
                    made.add(0, step.path("Size").asLong());
                }
            });
            sizes.put(entry.path("id").asText(), made);
        }
        Map<String, TruthImage> out = new HashMap<>();
        for (JsonNode n : read(Fixtures.truth(host).resolve("image-inspect.json"))) {
            String id = n.path("Id").asText();
            TruthImage image = new TruthImage(id, texts(n.path("RepoTags")), texts(n.path("RepoDigests")),
                    n.path("Parent").asText(""), texts(n.path("RootFS").path("Layers")), sizes.get(id));
            assertThat(image.layerSizes()).as("layer sizes of %s on %s", id, host).hasSameSizeAs(image.diffIds());
            assertThat(image.layerSizes().stream().mapToLong(Long::longValue).sum()).as("Size of %s", id)
                    .isEqualTo(n.path("Size").asLong());
            out.put(id, image);
        }
        return out;
    }

    /** Totals as Docker's answers give them for a set of a host's images. */
    private record Totals(long images, long shown, long layers, long bytes) {
        static Totals of(Collection<TruthImage> images) {
            Set<String> parents = new HashSet<>();
            images.forEach(i -> parents.add(i.parent()));
            // moby daemon/images/images.go (20.10), Images: without -a an image with neither tags nor digests is
            // skipped when it is another image's parent.
            long shown = images.stream().filter(i -> !i.repoTags().isEmpty() || !i.repoDigests().isEmpty()
                    || !parents.contains(i.id())).count();
            // A layer is its stack: the same prefix of diff IDs on two images is one layer (one chain ID).
            Map<List<String>, Long> layers = new HashMap<>();
            for (TruthImage i : images) {
                for (int k = 0; k < i.diffIds().size(); k++) {
                    layers.put(List.copyOf(i.diffIds().subList(0, k + 1)), i.layerSizes().get(k));
                }
            }
            return new Totals(images.size(), shown, layers.size(), layers.values().stream().mapToLong(Long::longValue).sum());
        }
    }

    /** Images per {@code docker image ls -a}: its distinct IDs (a line per tag). */
    private static long imageLsAll(String host) {
        return lines(Fixtures.truth(host).resolve("image-ls.jsonl")).stream().map(l -> read(l).path("ID").asText())
                .distinct().count();
    }

    @Test
    void the_totals_kept_on_each_host_equal_what_docker_reported() {
        try (Database db = freshDatabase()) {
            IndexWriter writer = loadFleetMain(db);

            HostQuery hosts = hostQuery(db);
            Map<String, HostQuery.HostSummary> listed = new HashMap<>();
            for (HostQuery.HostSummary h : hosts.list(HostQuery.Sort.HOST, false, PageRequest.first()).hosts()) {
                listed.put(h.status().hostId(), h);
            }
            for (String host : HOSTS) {
                Totals docker = Totals.of(truth(host).values());
                assertThat(docker.images()).as("inspect and image ls -a on %s", host).isEqualTo(imageLsAll(host));
                HostQuery.HostDetail d = hosts.detail(host, HostQuery.DetailPages.first());
                assertThat(new Totals(d.imageCount(), d.shownImageCount(), d.layerCount(), d.storedBytes()))
                        .as("header of %s", host).isEqualTo(docker);
                HostQuery.HostSummary row = listed.get(host);
                assertThat(new long[]{row.images(), row.layers(), row.storedBytes()}).as("list row of %s", host)
                        .containsExactly(docker.images(), docker.layers(), docker.bytes());
            }
            // build-01 holds the classic builder's intermediate images: the shown count is not the -a count there.
            assertThat(Totals.of(truth("build-01").values()).shown()).isLessThan(imageLsAll("build-01"));

            // Sorted by a total, the list follows Docker's numbers.
            List<String> byBytes = hosts.list(HostQuery.Sort.BYTES, true, PageRequest.first()).hosts().stream()
                    .map(h -> h.status().hostId()).toList();
            assertThat(byBytes).isSortedAccordingTo(java.util.Comparator.comparingLong(
                    (String h) -> Totals.of(truth(h).values()).bytes()).reversed());
            assertThat(writer.recount()).as("rows a recount corrected").isZero();
        }
    }

    @Test
    void the_fleets_tags_of_each_image_are_the_repo_tags_docker_reported_and_follow_a_retired_host() {
        // Per image ID and tag, the hosts whose `docker image inspect` lists the tag in RepoTags.
        Map<String, Map<String, Integer>> docker = new java.util.TreeMap<>();
        Map<String, Map<String, Integer>> withoutWeb01 = new java.util.TreeMap<>();
        for (String host : HOSTS) {
            for (TruthImage i : truth(host).values()) {
                for (String tag : new HashSet<>(i.repoTags())) {
                    docker.computeIfAbsent(i.id(), k -> new java.util.TreeMap<>()).merge(tag, 1, Integer::sum);
                    if (!host.equals("web-01")) {
                        withoutWeb01.computeIfAbsent(i.id(), k -> new java.util.TreeMap<>()).merge(tag, 1, Integer::sum);
                    }
                }
            }
        }
        try (Database db = freshDatabase()) {
            IndexWriter writer = loadFleetMain(db);
            assertThat(IndexDump.of(db.dataSource(), "image_tags").get("image_tags"))
                    .as("image_tags against docker image inspect's RepoTags").containsExactlyInAnyOrderElementsOf(lines(docker));
            assertThat(docker.values().stream().anyMatch(tags -> tags.values().stream().anyMatch(n -> n > 1)))
                    .as("some tag is on several hosts").isTrue();
            assertThat(writer.recount()).as("rows a recount corrected").isZero();

            writer.retireHost("web-01");
            assertThat(IndexDump.of(db.dataSource(), "image_tags").get("image_tags"))
                    .containsExactlyInAnyOrderElementsOf(lines(withoutWeb01));
            assertThat(writer.recount()).as("rows a recount corrected").isZero();
        }
    }

    /** {@link IndexDump}'s {@code image_tags} lines of image ID -> tag -> hosts. */
    private static List<String> lines(Map<String, Map<String, Integer>> tags) {
        List<String> out = new ArrayList<>();
        tags.forEach((image, byTag) -> byTag.forEach((tag, n) -> out.add(image + " " + tag + " hosts=" + n)));
        return out;
    }

    @Test
    void a_second_snapshot_without_an_image_lowers_the_totals_and_an_unchanged_resend_leaves_them() throws Exception {
        String host = "web-01";
        Map<String, TruthImage> docker = truth(host);
        // An image no other image of the host is built on, whose removal takes layers with it (Docker releases a
        // layer no image references any more).
        Totals before = Totals.of(docker.values());
        TruthImage removed = docker.values().stream()
                .filter(i -> docker.values().stream().noneMatch(o -> o.parent().equals(i.id())))
                .filter(i -> Totals.of(without(docker, i)).layers() < before.layers())
                .findFirst().orElseThrow();
        Totals after = Totals.of(without(docker, removed));

        SourceScan scan = scans.get(host);
        HostInventory all = scan.inventory();
        List<ImageRecord> kept = all.images().stream().filter(i -> !i.id().toString().equals(removed.id())).toList();
        Set<Digest> keptChains = new HashSet<>();
        kept.forEach(i -> keptChains.addAll(i.chainIds()));
        List<LayerRecord> keptLayers = all.layers().stream().filter(l -> keptChains.contains(l.chainId())).toList();
        assertThat(keptLayers).as("layers left on the host").hasSizeLessThan(all.layers().size());
        HostInventory second = new HostInventory(all.source(), all.kind(), host, all.scannedAt().plusSeconds(60), kept,
                keptLayers, all.problems(), all.containers(), all.host());

        try (Database db = freshDatabase()) {
            IndexWriter writer = new IndexWriter(db);
            HostQuery hosts = hostQuery(db);
            apply(writer, agentEvents(all, scan, 1));
            assertThat(totals(hosts, host)).isEqualTo(before);

            apply(writer, agentEvents(second, scan, 2));
            assertThat(totals(hosts, host)).as("after %s left", removed.repoTags()).isEqualTo(after);

            // The same contents again, decoded in full (generation 3) and recognised by their envelope (generation 4):
            // nothing changed, so the row's totals are not recounted. A wrong total planted on the row shows it.
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE hosts SET stored_bytes = stored_bytes + 1 WHERE host_id = '" + host + "'");
            }
            apply(writer, agentEvents(second, scan, 3));
            HostSnapshot third = snapshot(second, 3);
            SnapshotEnvelope resend = new SnapshotEnvelope(4, 0, 1, second.scannedAt().plusSeconds(60), Holdings.of(third));
            writer.inTransaction(tx -> tx.apply(new IndexBatch().addUnchanged(0, host, resend)));
            assertThat(totals(hosts, host)).isEqualTo(new Totals(after.images(), after.shown(), after.layers(),
                    after.bytes() + 1));
            assertThat(writer.recount()).as("host rows a recount corrected").isEqualTo(1);
            assertThat(totals(hosts, host)).isEqualTo(after);

            // Retired, the host holds nothing; back with a snapshot, its totals are whole again.
            writer.retireHost(host);
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT image_count, shown_image_count, layer_count, stored_bytes"
                         + " FROM hosts WHERE host_id = '" + host + "'")) {
                assertThat(rs.next()).isTrue();
                assertThat(new long[]{rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)}).containsOnly(0L);
            }
            apply(writer, agentEvents(all, scan, 5));
            assertThat(totals(hosts, host)).isEqualTo(before);
            assertThat(writer.recount()).isZero();
        }
    }

    @Test
    void a_size_reported_later_by_another_host_moves_the_stored_bytes_of_the_hosts_holding_the_layer() {
        String host = "web-01";
        Totals docker = Totals.of(truth(host).values());
        SourceScan scan = scans.get(host);
        HostInventory all = scan.inventory();
        // The same host as a reader that could not tell the layers' sizes (-1: unknown).
        List<LayerRecord> unsized = all.layers().stream().map(l -> new LayerRecord(l.chainId(), l.diffId(),
                l.parentChainId(), -1, l.compressedDigests(), l.cacheId(), l.v1Id())).toList();
        HostInventory blind = new HostInventory(all.source(), all.kind(), host, all.scannedAt(), all.images(), unsized,
                all.problems(), all.containers(), all.host());
        HostInventory twin = new HostInventory(all.source(), all.kind(), host + "-twin", all.scannedAt().plusSeconds(60),
                all.images(), all.layers(), all.problems(), all.containers(), all.host());
        try (Database db = freshDatabase()) {
            IndexWriter writer = new IndexWriter(db);
            HostQuery hosts = hostQuery(db);
            apply(writer, List.of(snapshot(blind, 1)));
            assertThat(totals(hosts, host)).as("sizes unknown count 0")
                    .isEqualTo(new Totals(docker.images(), docker.shown(), docker.layers(), 0));

            apply(writer, List.of(snapshot(twin, 1)));
            assertThat(totals(hosts, host)).as("%s after its twin reported the sizes", host).isEqualTo(docker);
            assertThat(totals(hosts, host + "-twin")).isEqualTo(docker);
            assertThat(writer.recount()).as("rows a recount corrected").isZero();
        }
    }

    @Test
    void the_migration_fills_the_totals_of_an_index_written_before_it() throws Exception {
        String url = databaseAt("before_v12", "11");
        try (Connection c = java.sql.DriverManager.getConnection(url, postgres.user(), ""); Statement st = c.createStatement()) {
            String[] image = {"sha256:" + "a".repeat(64), "sha256:" + "b".repeat(64), "sha256:" + "c".repeat(64)};
            String[] layer = {"sha256:" + "1".repeat(64), "sha256:" + "2".repeat(64), "sha256:" + "3".repeat(64)};
            st.execute("INSERT INTO hosts (host_id) VALUES ('full'), ('empty')");
            for (String i : image) {
                st.execute("INSERT INTO images (image_id) VALUES ('" + i + "')");
            }
            // Sizes 1,000 and 234 bytes and one unknown.
            st.execute("INSERT INTO layers (chain_id, diff_id, size) VALUES ('" + layer[0] + "', '" + layer[0] + "', 1000),"
                    + " ('" + layer[1] + "', '" + layer[1] + "', 234), ('" + layer[2] + "', '" + layer[2] + "', NULL)");
            // a: untagged, the local parent of b (hidden by docker image ls); b: tagged; c: untagged, nobody's parent.
            st.execute("""
                    INSERT INTO host_images (host_key, image_key, repo_tags, parent_id)
                    SELECT h.host_key, i.image_key, CASE WHEN i.image_id = '%2$s' THEN '{x:1}'::text[] ELSE '{}' END,
                           CASE WHEN i.image_id = '%2$s' THEN '%1$s' END
                      FROM hosts h, images i WHERE h.host_id = 'full'""".formatted(image[0], image[1]));
            st.execute("INSERT INTO host_layers (host_key, layer_key) SELECT h.host_key, l.layer_key FROM hosts h, layers l"
                    + " WHERE h.host_id = 'full'");
        }
        try (Database db = Database.migrateAndOpen(url, postgres.user(), "", 2);
             Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT host_id, image_count, shown_image_count, layer_count, stored_bytes"
                     + " FROM hosts ORDER BY host_id")) {
            List<String> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(rs.getString(1) + " " + rs.getLong(2) + " " + rs.getLong(3) + " " + rs.getLong(4) + " " + rs.getLong(5));
            }
            assertThat(rows).containsExactly("empty 0 0 0 0", "full 3 2 3 1234");
        }
    }

    @Test
    void the_migration_fills_the_tags_of_an_index_written_before_it() throws Exception {
        String url = databaseAt("before_v13", "12");
        try (Connection c = java.sql.DriverManager.getConnection(url, postgres.user(), ""); Statement st = c.createStatement()) {
            st.execute("INSERT INTO hosts (host_id) VALUES ('a'), ('b'), ('c')");
            st.execute("INSERT INTO images (image_id) VALUES ('sha256:" + "a".repeat(64) + "'), ('sha256:" + "b".repeat(64) + "')");
            // Image a: tagged x:1 and x:2 on host a, x:1 on host b; untagged on host c. Image b: untagged everywhere.
            st.execute("""
                    INSERT INTO host_images (host_key, image_key, repo_tags)
                    SELECT h.host_key, i.image_key,
                           CASE WHEN i.image_id LIKE 'sha256:b%' OR h.host_id = 'c' THEN '{}'::text[]
                                WHEN h.host_id = 'a' THEN '{x:1,x:2}' ELSE '{x:1}' END
                      FROM hosts h, images i""");
        }
        try (Database db = Database.migrateAndOpen(url, postgres.user(), "", 2)) {
            assertThat(IndexDump.of(db.dataSource(), "image_tags").get("image_tags")).containsExactly(
                    "sha256:" + "a".repeat(64) + " x:1 hosts=2", "sha256:" + "a".repeat(64) + " x:2 hosts=1");
            try (Connection c = db.dataSource().getConnection()) {
                assertThat(UsageStore.recountTags(c)).as("rows a recount of the tags corrected").isZero();
            }
        }
    }

    @Test
    void each_hosts_tags_and_digests_of_an_image_are_the_ones_docker_reported_each_distinct_set_kept_once() throws Exception {
        // Per host and image, RepoTags and RepoDigests of `docker image inspect` (as sets: Docker's order is not kept).
        List<String> docker = new ArrayList<>();
        Set<String> distinct = new HashSet<>();
        for (String host : HOSTS) {
            for (TruthImage i : truth(host).values()) {
                String set = new java.util.TreeSet<>(i.repoTags()) + " " + new java.util.TreeSet<>(i.repoDigests());
                docker.add(host + " " + i.id() + " " + set);
                distinct.add(set);
            }
        }
        try (Database db = freshDatabase()) {
            loadFleetMain(db);
            List<String> indexed = new ArrayList<>();
            Set<String> stored = new HashSet<>();
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT h.host_id, i.image_id, hi.repo_tags, hi.repo_digests"
                         + " FROM host_images hi JOIN hosts h USING (host_key) JOIN images i USING (image_key)")) {
                while (rs.next()) {
                    indexed.add(rs.getString(1) + " " + rs.getString(2) + " " + sorted(rs.getArray(3)) + " "
                            + sorted(rs.getArray(4)));
                }
            }
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT repo_tags, repo_digests FROM tag_sets")) {
                while (rs.next()) {
                    stored.add(sorted(rs.getArray(1)) + " " + sorted(rs.getArray(2)));
                }
            }
            assertThat(indexed).as("host_images against docker image inspect").containsExactlyInAnyOrderElementsOf(docker);
            assertThat(docker).as("some set is held by several hosts").hasSizeGreaterThan(distinct.size());
            assertThat(stored).as("tag_sets: each distinct set of the fleet").containsExactlyInAnyOrderElementsOf(distinct);
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM tag_sets")) {
                rs.next();
                assertThat(rs.getLong(1)).as("rows of tag_sets").isEqualTo(distinct.size());
            }
        }
    }

    @Test
    void the_migration_keeps_each_hosts_tags_and_digests_once_per_distinct_set() throws Exception {
        String url = databaseAt("before_v20", "19");
        // Sets that a naive concatenation would confuse: {"a,b"} and {a,b}; tags {} with digests {x} and the reverse.
        String[][] rows = {
                {"h1", "{\"a,b\"}", "{}"}, {"h2", "{a,b}", "{}"}, {"h3", "{}", "{x}"}, {"h4", "{x}", "{}"},
                {"h5", "{a,b}", "{}"}};
        try (Connection c = java.sql.DriverManager.getConnection(url, postgres.user(), ""); Statement st = c.createStatement()) {
            st.execute("INSERT INTO images (image_id) VALUES ('sha256:" + "a".repeat(64) + "')");
            for (String[] r : rows) {
                st.execute("INSERT INTO hosts (host_id) VALUES ('" + r[0] + "')");
                st.execute("INSERT INTO host_images (host_key, image_key, repo_tags, repo_digests, size)"
                        + " SELECT h.host_key, i.image_key, '" + r[1] + "', '" + r[2] + "', 42 FROM hosts h, images i"
                        + " WHERE h.host_id = '" + r[0] + "'");
            }
        }
        try (Database db = Database.migrateAndOpen(url, postgres.user(), "", 2);
             Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            List<String> after = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT h.host_id, hi.repo_tags::text, hi.repo_digests::text, hi.size"
                    + " FROM host_images hi JOIN hosts h USING (host_key) ORDER BY 1")) {
                while (rs.next()) {
                    after.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getLong(4));
                }
            }
            assertThat(after).containsExactly("h1 {\"a,b\"} {} 42", "h2 {a,b} {} 42", "h3 {} {x} 42", "h4 {x} {} 42",
                    "h5 {a,b} {} 42");
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM tag_sets")) {
                rs.next();
                assertThat(rs.getLong(1)).as("distinct sets of the five rows").isEqualTo(4);
            }
        }
    }

    private static String sorted(java.sql.Array a) throws java.sql.SQLException {
        return new java.util.TreeSet<>(Arrays.asList((String[]) a.getArray())).toString();
    }

    /** A new database migrated up to {@code version} only (an index written before the next migration): its URL. */
    private static String databaseAt(String name, String version) {
        String url = postgres.createDatabase(name);
        Flyway.configure().dataSource(url, postgres.user(), "").locations("classpath:db/migration").target(version).load()
                .migrate();
        return url;
    }

    /** Every host of {@link #HOSTS} as its agent publishes it, applied in one batch. */
    private static IndexWriter loadFleetMain(Database db) {
        IndexWriter writer = new IndexWriter(db);
        IndexBatch batch = new IndexBatch();
        for (String host : HOSTS) {
            agentEvents(scans.get(host).inventory(), scans.get(host), 1).forEach(e -> batch.add(batch.size(), e));
        }
        writer.inTransaction(tx -> tx.apply(batch));
        return writer;
    }

    private static List<TruthImage> without(Map<String, TruthImage> images, TruthImage image) {
        return images.values().stream().filter(i -> i != image).toList();
    }

    private static Totals totals(HostQuery hosts, String host) {
        HostQuery.HostDetail d = hosts.detail(host, HostQuery.DetailPages.first());
        return new Totals(d.imageCount(), d.shownImageCount(), d.layerCount(), d.storedBytes());
    }

    private static HostQuery hostQuery(Database db) {
        return new HostQuery(db.dataSource(), new Freshness.Policy(Clock.fixed(Instant.now(), ZoneOffset.UTC),
                Duration.ofMinutes(5)));
    }

    private static HostSnapshot snapshot(HostInventory inv, long generation) {
        return new HostSnapshot(LayerAtlasEvent.SCHEMA_VERSION, inv.hostId(), generation, 0, 1, inv.scannedAt(),
                "0.1.0-test", inv.kind(), inv.source(), inv.images(), inv.layers(), inv.problems(), inv.containers(),
                inv.host());
    }

    /** What an agent publishes for a scan: its snapshot (one chunk) and the configs it read. */
    private static List<LayerAtlasEvent> agentEvents(HostInventory inv, SourceScan scan, long generation) {
        List<LayerAtlasEvent> events = new ArrayList<>();
        events.add(snapshot(inv, generation));
        for (ImageRecord image : inv.images()) {
            scan.configText(image.id()).ifPresent(text -> events.add(ImageConfigEvent.of(text, image)));
        }
        return events;
    }

    private static void apply(IndexWriter writer, List<LayerAtlasEvent> events) {
        IndexBatch batch = new IndexBatch();
        events.forEach(e -> batch.add(batch.size(), e));
        writer.inTransaction(tx -> tx.apply(batch));
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p).stream().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(Path p) {
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
