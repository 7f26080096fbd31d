package io.layeratlas.db.query;

import io.layeratlas.db.Database;
import io.layeratlas.db.testing.FleetLoader;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.Digest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QueryTest {
    static EmbeddedPostgresServer pg;
    static Database db;
    static Freshness.Policy policy;
    static String url;

    @BeforeAll
    static void load() {
        pg = EmbeddedPostgresServer.startTemporary();
        url = pg.createDatabase("queries");
        db = Database.migrateAndOpen(url, pg.user(), "", 2);
        Instant now = FleetLoader.clockAhead();
        policy = new Freshness.Policy(Clock.fixed(now, ZoneOffset.UTC), Duration.ofMinutes(5));
        new FleetLoader(db, now).loadFleetMain(Set.of("legacy-01"));
    }

    @AfterAll
    static void close() {
        db.close();
        pg.close();
    }

    @Test
    void two_layers_sharing_a_twelve_character_prefix_make_that_prefix_ambiguous() throws Exception {
        String first = Digest.sha256Of("first").hex();
        String second = first.substring(0, 12) + Digest.sha256Of("second").hex().substring(12);
        try (Connection c = db.dataSource().getConnection(); var s = c.prepareStatement(
                "INSERT INTO layers (chain_id, diff_id) VALUES (?, ?)")) {
            for (String hex : new String[]{first, second}) {
                s.setString(1, "sha256:" + hex);
                s.setString(2, "sha256:" + hex);
                s.executeUpdate();
            }
        }
        LayerQuery layers = new LayerQuery(db.dataSource(), policy);
        assertThatThrownBy(() -> layers.resolve(first.substring(0, 12)))
                .isInstanceOfSatisfying(QueryException.Ambiguous.class, e -> assertThat(e.candidates())
                        .extracting(Match::key).containsExactlyInAnyOrder("sha256:" + first, "sha256:" + second));
        assertThat(layers.resolve(first.substring(0, 13)).digest()).isEqualTo("sha256:" + first);
        // The search box lists both instead of failing.
        assertThat(new SearchQuery(db.dataSource()).search(first.substring(0, 12)).matches())
                .extracting(Match::key).containsExactlyInAnyOrder("sha256:" + first, "sha256:" + second);
    }

    @Test
    void the_export_streams_every_holder_once_in_host_id_order_across_batches() throws Exception {
        // Docker's truth: the hosts whose images contain each diff ID; the export may name more (a host holding the
        // layer outside any image), never fewer.
        Map<String, Set<String>> hostsByDiffId = new TreeMap<>();
        for (FleetLoader.TruthImage i : FleetLoader.truthImages()) {
            i.diffIds().forEach(d -> hostsByDiffId.computeIfAbsent(d, k -> new TreeSet<>()).add(i.host()));
        }
        LayerQuery whole = new LayerQuery(db.dataSource(), policy);
        LayerQuery byTwo = new LayerQuery(db.dataSource(), policy, 2);
        // A pool of 2 leaves no second connection to an export (ExportHolders.Lanes): the holders are read after the
        // rest on the export's own connection. A reader pool of 4, as the dashboard's, reads them beside the rest on a
        // second connection in the same snapshot.
        Database readers = Database.open(url, pg.user(), "", 4, true);
        LayerQuery besideRead = new LayerQuery(readers.dataSource(), policy, 2);
        long besideBefore = ExportHolders.readBeside();
        int exports = 0;
        int crossed = 0;
        for (var e : hostsByDiffId.entrySet()) {
            if (e.getValue().size() < 3) {
                continue;
            }
            crossed++;
            List<String> inBatchesOfTwo = new ArrayList<>();
            byTwo.exportHosts(byTwo.resolve(e.getKey()), h -> inBatchesOfTwo.add(h.host().hostId() + " " + h.images()));
            List<String> inOne = new ArrayList<>();
            whole.exportHosts(whole.resolve(e.getKey()), h -> inOne.add(h.host().hostId() + " " + h.images()));
            List<String> beside = new ArrayList<>();
            besideRead.exportHosts(besideRead.resolve(e.getKey()), h -> beside.add(h.host().hostId() + " " + h.images()));
            exports++;
            assertThat(beside).as(e.getKey() + ", holders read beside").isEqualTo(inOne);
            List<String> hosts = inBatchesOfTwo.stream().map(l -> l.substring(0, l.indexOf(' '))).toList();
            assertThat(hosts).as(e.getKey()).isSorted().doesNotHaveDuplicates().containsAll(e.getValue());
            assertThat(inBatchesOfTwo).as(e.getKey()).isEqualTo(inOne);
        }
        readers.close();
        assertThat(crossed).as("diff IDs held by 3 or more hosts").isPositive();
        assertThat(ExportHolders.readBeside() - besideBefore).as("exports whose holders were read beside them")
                .isEqualTo(exports);
    }

    @Test
    void every_way_of_reading_a_page_of_a_layers_hosts_lists_each_holder_once_with_its_images_that_contain_it()
            throws Exception {
        // Docker's truth: the hosts whose images contain each diff ID, and on each host those images (by the IDs the
        // host's store uses; legacy-01's differ, see FleetLoader.truthHasStoreIds).
        Map<String, Map<String, Set<String>>> imagesByDiffIdAndHost = new TreeMap<>();
        for (FleetLoader.TruthImage i : FleetLoader.truthImages()) {
            for (String d : i.diffIds()) {
                imagesByDiffIdAndHost.computeIfAbsent(d, k -> new TreeMap<>())
                        .computeIfAbsent(i.host(), k -> new TreeSet<>()).add(i.imageId());
            }
        }
        // The page hosts' images probed (this small fleet's layers are in few images) and scanned; the hosts gathered
        // (PostgreSQL has no estimate of the fleet yet), then walked in host ID order where the layer is on enough
        // hosts once it has one.
        List<LayerQuery> reads = new ArrayList<>(List.of(new LayerQuery(db.dataSource(), policy),
                new LayerQuery(db.dataSource(), policy, 500, -1)));
        // And each way of reading the page's hosts, whatever the counts would pick.
        for (LayerQuery.PageRead read : LayerQuery.PageRead.values()) {
            reads.add(new LayerQuery(db.dataSource(), policy, 500, 16, read));
        }
        for (boolean analyzed : new boolean[]{false, true}) {
            if (analyzed) {
                try (Connection c = db.dataSource().getConnection(); var s = c.createStatement()) {
                    s.execute("ANALYZE hosts");
                }
            }
            for (LayerQuery q : reads) {
                for (var e : imagesByDiffIdAndHost.entrySet()) {
                    Map<String, List<String>> seen = new TreeMap<>();
                    PageRequest page = new PageRequest(null, 2);
                    LayerQuery.LayerHosts answer;
                    do {
                        answer = q.hosts(e.getKey(), page);
                        answer.hosts().forEach(h -> assertThat(seen.put(h.host().hostId(), h.imageIds())).isNull());
                        assertThat(answer.hostCount()).as(e.getKey()).isEqualTo(e.getValue().size());
                        page = answer.page().next() == null ? null
                                : new PageRequest(PageRequest.Cursor.decode(answer.page().next()), 2);
                    } while (page != null);
                    assertThat(seen.keySet()).as(e.getKey()).containsExactlyElementsOf(e.getValue().keySet());
                    e.getValue().forEach((host, images) -> {
                        if (FleetLoader.truthHasStoreIds(host)) {
                            assertThat(seen.get(host)).as(e.getKey() + " on " + host).containsExactlyInAnyOrderElementsOf(images);
                        }
                    });
                }
            }
        }
    }

    @Test
    void a_compact_page_of_a_layers_hosts_names_the_images_docker_reported_and_where_the_layer_sits_in_them_once()
            throws Exception {
        // Docker's truth: for each diff ID, each host's images containing it and, per such image, the layer's
        // positions in its RootFS.Layers with the chain ID there (image spec's ChainID of the diff IDs up to it).
        Map<String, Map<String, Set<String>>> imagesByDiffIdAndHost = new TreeMap<>();
        Map<String, Map<String, Set<String>>> placesByDiffIdAndHost = new TreeMap<>();
        for (FleetLoader.TruthImage i : FleetLoader.truthImages()) {
            for (int p = 0; p < i.diffIds().size(); p++) {
                String d = i.diffIds().get(p);
                imagesByDiffIdAndHost.computeIfAbsent(d, k -> new TreeMap<>())
                        .computeIfAbsent(i.host(), k -> new TreeSet<>()).add(i.imageId());
                placesByDiffIdAndHost.computeIfAbsent(d, k -> new TreeMap<>())
                        .computeIfAbsent(i.host(), k -> new TreeSet<>()).add(i.imageId() + " " + p + " " + i.chainId(p));
            }
        }
        for (LayerQuery q : List.of(new LayerQuery(db.dataSource(), policy), new LayerQuery(db.dataSource(), policy, 500, -1),
                new LayerQuery(db.dataSource(), policy, 500, 16, LayerQuery.PageRead.SIFT),
                new LayerQuery(db.dataSource(), policy, 500, 16, LayerQuery.PageRead.WALK))) {
            for (var e : imagesByDiffIdAndHost.entrySet()) {
                List<String> hosts = new ArrayList<>();
                PageRequest page = new PageRequest(null, 2);
                do {
                    LayerQuery.CompactHosts compact = q.compactHosts(e.getKey(), page, Map.of());
                    LayerQuery.LayerHosts full = q.hosts(e.getKey(), page, Map.of());
                    assertThat(compact.hostCount()).as(e.getKey()).isEqualTo(e.getValue().size());
                    List<String> places = compact.images().stream()
                            .map(i -> i.imageId() + " " + i.position() + " " + i.chainId()).toList();
                    assertThat(places).as("each (image, position) once: " + e.getKey()).doesNotHaveDuplicates();
                    assertThat(compact.images()).as("by image ID, then position: " + e.getKey()).isSortedAccordingTo(
                            java.util.Comparator.comparing(LayerQuery.LayerInImage::imageId)
                                    .thenComparingInt(LayerQuery.LayerInImage::position));
                    Set<String> truthPlaces = new TreeSet<>();
                    Set<String> storeImages = new TreeSet<>();
                    for (LayerQuery.CompactHost h : compact.hosts()) {
                        String host = h.host().hostId();
                        hosts.add(host);
                        if (FleetLoader.truthHasStoreIds(host)) {
                            assertThat(h.imageIds()).as(e.getKey() + " on " + host)
                                    .containsExactlyElementsOf(e.getValue().get(host));
                            truthPlaces.addAll(placesByDiffIdAndHost.get(e.getKey()).get(host));
                            storeImages.addAll(h.imageIds());
                        }
                    }
                    assertThat(places.stream().filter(p -> storeImages.contains(p.substring(0, p.indexOf(' ')))))
                            .as("where %s sits in the page's images", e.getKey())
                            .containsExactlyInAnyOrderElementsOf(truthPlaces);
                    // The full read of the same page: the same hosts and image IDs, and the same places per image.
                    assertThat(full.hosts()).extracting(h -> h.host().hostId() + " " + h.imageIds())
                            .containsExactlyElementsOf(compact.hosts().stream()
                                    .map(h -> h.host().hostId() + " " + h.imageIds()).toList());
                    assertThat(full.hosts().stream().flatMap(h -> h.images().stream())
                            .map(i -> i.imageId() + " " + i.position() + " " + i.chainId()).distinct())
                            .containsExactlyInAnyOrderElementsOf(places);
                    assertThat(compact.page()).isEqualTo(full.page());
                    page = compact.page().next() == null ? null
                            : new PageRequest(PageRequest.Cursor.decode(compact.page().next()), 2);
                } while (page != null);
                assertThat(hosts).as(e.getKey()).containsExactlyElementsOf(e.getValue().keySet());
            }
        }
    }

    @Test
    void a_compact_layer_detail_is_the_detail_with_the_compact_hosts_page_of_the_hosts_docker_reported() {
        Map<String, Set<String>> hostsByDiffId = new TreeMap<>();
        for (FleetLoader.TruthImage i : FleetLoader.truthImages()) {
            for (String d : i.diffIds()) {
                hostsByDiffId.computeIfAbsent(d, k -> new TreeSet<>()).add(i.host());
            }
        }
        for (LayerQuery q : List.of(new LayerQuery(db.dataSource(), policy), new LayerQuery(db.dataSource(), policy, 500, -1))) {
            for (var e : hostsByDiffId.entrySet()) {
                List<String> hosts = new ArrayList<>();
                PageRequest page = new PageRequest(null, 2);
                PageRequest images = new PageRequest(null, 3);
                do {
                    LayerQuery.CompactLayerDetail compact = q.compactDetail(e.getKey(), page, images, Map.of());
                    LayerQuery.LayerDetail full = q.detail(e.getKey(), page, images, Map.of());
                    LayerQuery.CompactHosts alone = q.compactHosts(e.getKey(), page, Map.of());
                    // Its hosts: the hosts' page itself (the clock is fixed, so freshness too).
                    assertThat(compact.hosts()).as(e.getKey()).isEqualTo(alone);
                    assertThat(compact.hosts().hostCount()).isEqualTo(e.getValue().size());
                    compact.hosts().hosts().forEach(h -> hosts.add(h.host().hostId()));
                    // The rest: the full detail's.
                    assertThat(List.of(compact.digest(), compact.matchedBy(), String.valueOf(compact.diffId()),
                            compact.chains(), compact.blobs(), String.valueOf(compact.size()), compact.imageCount(),
                            compact.images(), compact.imagesPage()))
                            .isEqualTo(List.of(full.digest(), full.matchedBy(), String.valueOf(full.diffId()), full.chains(),
                                    full.blobs(), String.valueOf(full.size()), full.imageCount(), full.images(),
                                    full.imagesPage()));
                    assertThat(full.hosts()).extracting(h -> h.host().hostId() + " " + h.imageIds())
                            .containsExactlyElementsOf(compact.hosts().hosts().stream()
                                    .map(h -> h.host().hostId() + " " + h.imageIds()).toList());
                    assertThat(compact.hosts().page()).isEqualTo(full.hostsPage());
                    assertThat(compact.hosts().freshness()).isEqualTo(full.freshness());
                    page = compact.hosts().page().next() == null ? null
                            : new PageRequest(PageRequest.Cursor.decode(compact.hosts().page().next()), 2);
                } while (page != null);
                assertThat(hosts).as(e.getKey()).containsExactlyElementsOf(e.getValue());
            }
        }
    }

    @Test
    void reuse_totals_count_each_layer_once_per_host_and_each_image_once_per_host() {
        ReuseQuery.Totals t = new ReuseQuery(db.dataSource(), policy).reuse(10).totals();
        assertThat(t.hosts()).isEqualTo(5);
        assertThat(t.staleHosts()).isEqualTo(1);
        assertThat(t.storedBytes()).isPositive();
        assertThat(t.unsharedBytes()).isGreaterThanOrEqualTo(t.storedBytes());
        assertThat(t.savedBytes()).isEqualTo(t.unsharedBytes() - t.storedBytes());
        assertThat(t.distinctBytes()).isLessThanOrEqualTo(t.storedBytes());
    }

    @Test
    void the_reuse_pages_example_tags_are_dockers_tags_of_images_holding_the_layer() {
        // Docker's truth: the repo tags of the images whose RootFS holds each diff ID, on any host.
        Map<String, Set<String>> tagsByDiffId = new TreeMap<>();
        Map<String, Set<String>> imagesByDiffId = new TreeMap<>();
        for (FleetLoader.TruthImage i : FleetLoader.truthImages()) {
            i.diffIds().forEach(d -> tagsByDiffId.computeIfAbsent(d, k -> new TreeSet<>()).addAll(i.repoTags()));
            i.diffIds().forEach(d -> imagesByDiffId.computeIfAbsent(d, k -> new TreeSet<>()).add(i.imageId()));
        }
        List<ReuseQuery.TopLayer> top = new ReuseQuery(db.dataSource(), policy).reuse(50).topLayers();
        assertThat(top).isNotEmpty();
        for (ReuseQuery.TopLayer l : top) {
            Set<String> docker = tagsByDiffId.getOrDefault(l.diffId(), Set.of());
            assertThat(l.exampleTags()).as(l.diffId()).isSubsetOf(docker).hasSizeLessThanOrEqualTo(3).isSorted()
                    .doesNotHaveDuplicates();
            // The examples come from the 20 most widely held images with the layer: a layer in no more images than
            // that names a tag whenever one of them has one (build-01's tall base is in 30, one of them tagged).
            if (!docker.isEmpty() && imagesByDiffId.get(l.diffId()).size() <= 20) {
                assertThat(l.exampleTags()).as(l.diffId() + " is in tagged images").isNotEmpty();
            }
        }
    }

    @Test
    void an_images_hosts_are_counted_from_dockers_truth_and_its_freshness_is_the_fleets() {
        // Docker's truth: which hosts hold each image (legacy-01 left out: its store names images by other IDs).
        Map<String, Set<String>> hostsByImage = new TreeMap<>();
        for (FleetLoader.TruthImage i : FleetLoader.truthImages()) {
            if (!i.host().equals("legacy-01")) {
                hostsByImage.computeIfAbsent(i.imageId(), k -> new TreeSet<>()).add(i.host());
            }
        }
        ImageQuery images = new ImageQuery(db.dataSource(), policy);
        int checked = 0;
        for (var e : hostsByImage.entrySet()) {
            ImageQuery.ImageDetail d = images.detail(e.getKey(), PageRequest.first());
            if (d.hosts().stream().anyMatch(h -> h.host().hostId().equals("legacy-01"))) {
                continue; // the same ID on the legacy host too
            }
            assertThat(d.hostCount()).as(e.getKey()).isEqualTo(e.getValue().size());
            assertThat(d.hosts()).extracting(h -> h.host().hostId()).as(e.getKey()).containsExactlyElementsOf(e.getValue());
            // Every live host answered "do you hold it?": legacy-01 is stale though it does not hold the image.
            assertThat(d.freshness().hostCount()).as(e.getKey()).isEqualTo(5);
            assertThat(d.freshness().staleHosts()).as(e.getKey()).containsExactly("legacy-01");
            checked++;
        }
        assertThat(checked).isGreaterThan(10);
    }

    @Test
    void freshness_flags_the_host_whose_last_report_is_older_than_the_stale_age() {
        Freshness f = new HostQuery(db.dataSource(), policy).list(HostQuery.Sort.HOST, false, PageRequest.first()).freshness();
        assertThat(f.staleHosts()).containsExactly("legacy-01");
        assertThat(f.hostCount()).isEqualTo(5);
        assertThat(f.replica()).as("read from the primary").isNull();
    }

    @Test
    void a_hosts_layers_paged_two_at_a_time_are_the_chains_of_its_images_each_once_newest_first() {
        // Docker's truth: the chain IDs of every image a host holds (from the diff IDs Docker reported); the host may
        // hold more (a layer outside any image), never fewer.
        Map<String, Set<String>> chainsByHost = new TreeMap<>();
        for (FleetLoader.TruthImage i : FleetLoader.truthImages()) {
            for (int p = 0; p < i.diffIds().size(); p++) {
                chainsByHost.computeIfAbsent(i.host(), k -> new TreeSet<>()).add(i.chainId(p));
            }
        }
        HostQuery hosts = new HostQuery(db.dataSource(), policy);
        for (var e : chainsByHost.entrySet()) {
            List<HostQuery.HostLayer> forward = new ArrayList<>();
            HostQuery.DetailPages at = new HostQuery.DetailPages(PageRequest.first(), PageRequest.parse(null, "2"),
                    PageRequest.first());
            HostQuery.HostDetail d = null;
            while (at != null) {
                d = hosts.detail(e.getKey(), at);
                assertThat(d.layers()).as(e.getKey()).hasSizeLessThanOrEqualTo(2);
                forward.addAll(d.layers());
                String next = d.layersPage().next();
                at = next == null ? null : new HostQuery.DetailPages(PageRequest.first(), PageRequest.parse(next, "2"),
                        PageRequest.first());
            }
            List<String> chains = forward.stream().map(HostQuery.HostLayer::chainId).toList();
            assertThat(chains).as(e.getKey()).doesNotHaveDuplicates().containsAll(e.getValue())
                    .hasSize(Math.toIntExact(d.layerCount()));
            assertThat(forward).as(e.getKey() + ", newest first").extracting(HostQuery.HostLayer::firstSeen)
                    .isSortedAccordingTo(java.util.Comparator.reverseOrder());
            // Coming back from the last page by its previous cursors lists the same layers in the same order.
            List<HostQuery.HostLayer> back = new ArrayList<>(d.layers());
            String previous = d.layersPage().previous();
            while (previous != null) {
                HostQuery.HostDetail p = hosts.detail(e.getKey(), new HostQuery.DetailPages(PageRequest.first(),
                        PageRequest.parse(previous, "2"), PageRequest.first()));
                back.addAll(0, p.layers());
                previous = p.layersPage().previous();
            }
            assertThat(back).as(e.getKey() + ", paged back").isEqualTo(forward);
        }
        assertThat(chainsByHost).as("hosts in truth").hasSizeGreaterThan(3);
    }

    @Test
    void a_layers_hosts_read_the_same_on_the_read_only_pool_where_their_statement_is_planned_once_per_connection()
            throws Exception {
        // The page statement asks for generic plans in its transaction (LayerQuery.addPlannedOnce), and so does the
        // resolve before it (two unique-index probes), which then gives the page statement back the session's custom
        // plans. Every diff ID Docker reported, as the hosts' page, the compact page and
        // the layer's page: the same answers on the dashboard's read-only pool of one connection as on the writer's.
        Set<String> diffIds = new TreeSet<>();
        FleetLoader.truthImages().forEach(i -> diffIds.addAll(i.diffIds()));
        assertThat(diffIds).hasSizeGreaterThan(5);
        try (Database reader = Database.open(url, pg.user(), "", 1, true)) {
            LayerQuery readOnly = new LayerQuery(reader.dataSource(), policy);
            LayerQuery writer = new LayerQuery(db.dataSource(), policy);
            // This fleet's counts never pick the walk: asked for, the walk of every host is planned once (its limit
            // written in the SQL), and a walk of the hosts carrying some labels keeps custom plans (a generic plan
            // knows neither its LIMIT nor how many carry the labels: it read the whole fleet, 110 ms at 10,000 hosts).
            LayerQuery walked = new LayerQuery(reader.dataSource(), policy, 500, 16, LayerQuery.PageRead.WALK);
            Map<String, String> prod = FleetLoader.labelsOf("web-01");
            for (int run = 0; run < 6; run++) { // PgJDBC prepares a statement on the server at its fifth run
                for (String d : diffIds) {
                    assertThat(readOnly.hosts(d, PageRequest.first())).isEqualTo(writer.hosts(d, PageRequest.first()));
                    assertThat(readOnly.compactHosts(d, PageRequest.first(), Map.of()))
                            .isEqualTo(writer.compactHosts(d, PageRequest.first(), Map.of()));
                    assertThat(readOnly.detail(d, PageRequest.first(), PageRequest.first()))
                            .isEqualTo(writer.detail(d, PageRequest.first(), PageRequest.first()));
                    assertThat(walked.compactHosts(d, PageRequest.first(), Map.of()).hosts())
                            .isEqualTo(writer.compactHosts(d, PageRequest.first(), Map.of()).hosts());
                    assertThat(walked.compactHosts(d, PageRequest.first(), prod).hosts())
                            .isEqualTo(writer.compactHosts(d, PageRequest.first(), prod).hosts());
                }
            }
            // PostgreSQL's word for it (pg_prepared_statements of the pool's one connection). In autocommit, or before
            // the set_config, the page statements were planned for their parameters on every run.
            try (Connection c = reader.dataSource().getConnection(); var s = c.createStatement(); var rs = s.executeQuery("""
                    SELECT statement LIKE '%page_rn%' AS page, statement LIKE '%LIMIT 1),%' AS walked,
                           statement LIKE '%false) AND h.labels @>%' AS labelled,
                           statement LIKE '%AS images_total%' AS chains,
                           statement LIKE '%JOIN image_usage u ON%' AS images, generic_plans, custom_plans
                      FROM pg_prepared_statements
                     WHERE statement LIKE '%page_rn%' OR statement LIKE '%AS holders,%'
                        OR statement LIKE '%AS images_total%' OR statement LIKE '%JOIN image_usage u ON%'""")) {
                // Each kind of statement prepared, and planned once (generic plans only) or for its parameters
                // (custom plans only): a labelled walk is the one planned for its parameters.
                Map<String, Integer> prepared = new TreeMap<>();
                while (rs.next()) {
                    String kind = rs.getBoolean("chains") ? "chains"
                            : rs.getBoolean("images") ? "images pages"
                            : rs.getBoolean("walked") && rs.getBoolean("labelled") ? "labelled walks"
                            : rs.getBoolean("walked") ? "walks"
                            : rs.getBoolean("page") ? "page statements"
                            : "resolves";
                    prepared.merge(kind, 1, Integer::sum);
                    boolean once = !kind.equals("labelled walks");
                    String none = once ? "custom_plans" : "generic_plans";
                    String some = once ? "generic_plans" : "custom_plans";
                    assertThat(rs.getLong(none)).as(kind + ": " + none).isZero();
                    assertThat(rs.getLong(some)).as(kind + ": " + some).isPositive();
                }
                assertThat(prepared.keySet()).as("kinds of statements prepared").containsExactlyInAnyOrder(
                        "chains", "images pages", "labelled walks", "walks", "page statements", "resolves");
            }
        }
    }

    @Test
    void a_host_page_reads_the_same_on_the_read_only_pool_and_plans_its_statements_once_per_connection() throws Exception {
        // The host page's pipeline commits itself (one round trip). Every page of every list of every host, walked by
        // cursor, is the same on the dashboard's read-only pool as on the writer's.
        try (Database reader = Database.open(url, pg.user(), "", 1, true)) {
            HostQuery readOnly = new HostQuery(reader.dataSource(), policy);
            HostQuery writer = new HostQuery(db.dataSource(), policy);
            int pages = 0;
            for (HostQuery.HostSummary h : writer.list(HostQuery.Sort.HOST, false, PageRequest.first()).hosts()) {
                for (boolean all : new boolean[]{false, true}) {
                    HostQuery.DetailPages at = new HostQuery.DetailPages(PageRequest.parse(null, "2"),
                            PageRequest.parse(null, "2"), PageRequest.parse(null, "2"), all);
                    while (at != null) {
                        HostQuery.HostDetail expected = writer.detail(h.status().hostId(), at);
                        assertThat(readOnly.detail(h.status().hostId(), at)).isEqualTo(expected);
                        pages++;
                        String images = expected.imagesPage().next();
                        String layers = expected.layersPage().next();
                        String changes = expected.changesPage().next();
                        at = images == null && layers == null && changes == null ? null : new HostQuery.DetailPages(
                                PageRequest.parse(images, images == null ? "0" : "2"),
                                PageRequest.parse(layers, layers == null ? "0" : "2"),
                                PageRequest.parse(changes, changes == null ? "0" : "2"), all);
                    }
                }
            }
            assertThat(pages).isGreaterThan(20);
            assertThatThrownBy(() -> readOnly.detail("no-such-host", HostQuery.DetailPages.first()))
                    .isInstanceOf(QueryException.NotFound.class);
            assertThatThrownBy(() -> readOnly.detail("legacy-01", new HostQuery.DetailPages(PageRequest.first(),
                    PageRequest.parse(new PageRequest.Cursor(true, List.of("not a time", "x")).encode(), "2"),
                    PageRequest.first()))).isInstanceOf(QueryException.InvalidParameter.class);
            // PostgreSQL's word for it (pg_prepared_statements of the pool's one connection): once PgJDBC prepared the
            // first pages' statements (their fifth run), each is planned once (Sql.STABLE_PLANS). Run in autocommit,
            // the pipeline's statements after set_config were planned for their parameters on every run.
            for (int i = 0; i < 8; i++) {
                readOnly.detail("legacy-01", HostQuery.DetailPages.first());
            }
            try (Connection c = reader.dataSource().getConnection(); var s = c.createStatement(); var rs = s.executeQuery("""
                    SELECT generic_plans, custom_plans FROM pg_prepared_statements
                     WHERE statement LIKE '%hk.host_id = $%' OR statement LIKE '%change_total%'""")) {
                int statements = 0;
                while (rs.next()) {
                    statements++;
                    assertThat(rs.getLong("custom_plans")).as("custom plans").isZero();
                    assertThat(rs.getLong("generic_plans")).as("generic plans").isPositive();
                }
                assertThat(statements).as("the header and the three lists, prepared").isGreaterThanOrEqualTo(4);
            }
        }
    }

    private static String imageTagged(String tag) {
        return FleetLoader.truthImages().stream().filter(i -> i.repoTags().contains(tag)).map(FleetLoader.TruthImage::imageId)
                .findFirst().orElseThrow();
    }

    @Test
    void the_base_of_an_image_is_the_tagged_one_of_the_images_sharing_its_prefix_and_shows_its_tag() {
        ImageQuery images = new ImageQuery(db.dataSource(), policy);
        String api = imageTagged("127.0.0.1:5055/shop/api:1.0");
        ImageQuery.ImageDetail worker = images.detail(imageTagged("127.0.0.1:5055/shop/worker:1.0"), PageRequest.first());
        // build-01's untagged intermediates and legacy-01's copies share shop/api:1.0's 3-layer stack.
        assertThat(worker.parents()).filteredOn(r -> r.sources().contains("inferred-base")).singleElement()
                .satisfies(r -> {
                    assertThat(r.imageId()).isEqualTo(api);
                    assertThat(r.repoTags()).contains("127.0.0.1:5055/shop/api:1.0");
                    assertThat(r.layerCount()).isEqualTo(3);
                });
    }

    @Test
    void an_image_that_is_both_dockers_parent_and_the_base_is_listed_once_with_both_sources() {
        ImageQuery images = new ImageQuery(db.dataSource(), policy);
        String busy = imageTagged("127.0.0.1:5055/base/busy:1.36");
        ImageQuery.ImageDetail base = images.detail(busy, PageRequest.first());
        assertThat(base.children()).extracting(ImageQuery.Relative::imageId).doesNotHaveDuplicates();
        ImageQuery.Relative both = base.children().stream().filter(r -> r.sources().size() == 2).findFirst().orElseThrow();
        assertThat(both.sources()).containsExactly("docker-parent", "inferred-base");

        ImageQuery.ImageDetail child = images.detail(both.imageId(), PageRequest.first());
        assertThat(child.parents()).singleElement().satisfies(r -> {
            assertThat(r.imageId()).isEqualTo(busy);
            assertThat(r.sources()).containsExactly("docker-parent", "inferred-base");
            assertThat(r.repoTags()).containsExactly("127.0.0.1:5055/base/busy:1.36");
        });
        for (FleetLoader.TruthImage i : FleetLoader.truthImages()) {
            assertThat(images.detail(i.imageId(), PageRequest.first()).parents()).as(i.imageId()).extracting(ImageQuery.Relative::imageId).doesNotHaveDuplicates();
        }
    }

    @Test
    void the_largest_base_image_family_is_rooted_at_the_tagged_base_not_at_an_untagged_twin() {
        List<ReuseQuery.Family> families = new ReuseQuery(db.dataSource(), policy).reuse(10).families();
        assertThat(families.get(0).rootImageId()).isEqualTo(imageTagged("127.0.0.1:5055/base/busy:1.36"));
        assertThat(families.get(0).rootTags()).containsExactly("127.0.0.1:5055/base/busy:1.36");
        assertThat(families.get(0).members()).isGreaterThan(50);
        // A root is an image with no base: a twin of a root (same stack) is in no family.
        assertThat(families).allSatisfy(f -> assertThat(f.rootTags()).isNotEmpty());
    }
}
