package io.layeratlas.db.index;

import io.layeratlas.db.Database;
import io.layeratlas.db.query.PackageQuery;
import io.layeratlas.db.testing.DebianLayers;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.Digest;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.InstalledPackage;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerPackages;
import io.layeratlas.events.PackageDatabase;
import io.layeratlas.events.PackageEcosystem;
import io.layeratlas.events.Problem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The package index against the contract's rule (events/README.md, {@code layer-packages}: per database path the
 * topmost layer with an entry, or a removed directory above it, decides) and the set-based path's promises: the same
 * tables whatever the order and batching of the topics, a diff ID read once, statements that do not grow with a batch.
 */
class PackageIndexTest {
    private static EmbeddedPostgresServer postgres;
    private static final AtomicInteger databases = new AtomicInteger();
    private static final Instant T = Instant.parse("2026-12-02T06:00:00Z");
    private static final String[] PACKAGE_SECTIONS = {"package_layers", "package_databases", "image_packages",
            "host_package_databases", "package_database_hosts"};

    @BeforeAll
    static void startPostgres() {
        postgres = EmbeddedPostgresServer.startTemporary();
    }

    @AfterAll
    static void stopPostgres() {
        postgres.close();
    }

    private static Database freshDatabase() {
        return Database.migrateAndOpen(postgres.createDatabase("p" + databases.incrementAndGet()), postgres.user(), "", 3);
    }

    /** The search as the dashboard asks it, at time {@link #T}, with no host stale. */
    private static PackageQuery packageQuery(Database db) {
        return new PackageQuery(db.dataSource(), new io.layeratlas.db.query.Freshness.Policy(
                java.time.Clock.fixed(T, java.time.ZoneOffset.UTC), java.time.Duration.ofDays(3650)));
    }

    /** Indexes the images, the layers and hosts host-0 to host-6, host h holding images h and h + 2 (mod 7). */
    private static IndexWriter sevenHosts(Database db) {
        IndexWriter writer = new IndexWriter(db);
        List<LayerAtlasEvent> all = new ArrayList<>(IMAGES);
        all.addAll(LAYERS);
        for (int h = 0; h < 7; h++) {
            all.add(SyntheticFleet.snapshot("host-" + h, 1, List.of(IMAGES.get(h).image(), IMAGES.get((h + 2) % 7).image())));
        }
        writer.inTransaction(tx -> tx.apply(batch(all)));
        return writer;
    }

    static InstalledPackage deb(String name, String version) {
        return new InstalledPackage(name, version, "amd64", name, version);
    }

    static LayerPackages layer(Digest diffId, PackageDatabase... databases) {
        return LayerPackages.of(diffId, "0.1.0", T, List.of(databases), List.of());
    }

    static ImageConfigEvent image(int n, List<Digest> diffIds) {
        String config = SyntheticFleet.configJson(1000 + n, diffIds);
        ImageRecord record = new ImageRecord(Digest.sha256Of(config), List.of(), List.of(), null, T, -1, diffIds, null,
                List.of(), -1, -1, -1, "linux", "amd64");
        return ImageConfigEvent.of(config, record);
    }

    private static final Digest BASE = Digest.sha256Of("debian base");
    private static final Digest NOTHING = Digest.sha256Of("COPY app /app");
    private static final Digest UPGRADE = Digest.sha256Of("apt-get upgrade");
    private static final Digest DISTROLESS = Digest.sha256Of("status.d");
    private static final Digest RM_STATUS = Digest.sha256Of("rm var/lib/dpkg/status");
    private static final Digest OPAQUE = Digest.sha256Of("opaque var/lib/dpkg and a new status");
    private static final Digest RM_DIR = Digest.sha256Of("rm -rf var/lib/dpkg");

    private static final List<LayerPackages> LAYERS = List.of(
            layer(BASE, PackageDatabase.present(PackageEcosystem.DPKG, "var/lib/dpkg/status",
                    List.of(deb("openssl", "3.0.7-1~deb12u1"), deb("libc6", "2.36-9+deb12u4")))),
            layer(NOTHING),
            layer(UPGRADE, PackageDatabase.present(PackageEcosystem.DPKG, "var/lib/dpkg/status",
                    List.of(deb("openssl", "3.0.11-1~deb12u2"), deb("libc6", "2.36-9+deb12u4")))),
            layer(DISTROLESS, PackageDatabase.present(PackageEcosystem.DPKG, "var/lib/dpkg/status.d/tzdata",
                    List.of(new InstalledPackage("tzdata", "2024a-0+deb12u1", "all", null, null)))),
            layer(RM_STATUS, PackageDatabase.removed(PackageEcosystem.DPKG, "var/lib/dpkg/status")),
            layer(OPAQUE, PackageDatabase.removed(PackageEcosystem.DPKG, "var/lib/dpkg/"),
                    PackageDatabase.present(PackageEcosystem.DPKG, "var/lib/dpkg/status", List.of(deb("busybox", "1:1.35.0-4")))),
            LayerPackages.of(RM_DIR, "0.1.0", T, List.of(PackageDatabase.removed(PackageEcosystem.DPKG, "var/lib/")),
                    List.of(new Problem("var/lib/rpm/Packages", "unsupported rpm database (Berkeley DB)"))));

    private static final List<ImageConfigEvent> IMAGES = List.of(
            image(0, List.of(BASE, NOTHING)),
            image(1, List.of(BASE, UPGRADE, NOTHING)),
            image(2, List.of(BASE, DISTROLESS)),
            image(3, List.of(BASE, DISTROLESS, RM_STATUS)),
            image(4, List.of(BASE, DISTROLESS, UPGRADE, OPAQUE)),
            image(5, List.of(BASE, UPGRADE, RM_DIR)),
            image(6, List.of(UPGRADE, BASE)));

    @Test
    void the_topmost_layer_with_an_entry_for_a_path_decides_and_removed_directories_remove_everything_below() {
        Database db = freshDatabase();
        IndexWriter writer = new IndexWriter(db);
        List<LayerAtlasEvent> all = new ArrayList<>(IMAGES);
        all.addAll(LAYERS);
        writer.inTransaction(tx -> tx.apply(batch(all)));

        String i0 = IMAGES.get(0).imageId().toString();
        String i1 = IMAGES.get(1).imageId().toString();
        String i2 = IMAGES.get(2).imageId().toString();
        String i3 = IMAGES.get(3).imageId().toString();
        String i4 = IMAGES.get(4).imageId().toString();
        String i6 = IMAGES.get(6).imageId().toString();
        // Written from the contract's rule, case by case.
        assertThat(IndexDump.of(db.dataSource(), "image_packages").get("image_packages")).containsExactlyInAnyOrder(
                // the base's database, under a layer that touches none
                i0 + " dpkg libc6=2.36-9+deb12u4 var/lib/dpkg/status @0 " + BASE,
                i0 + " dpkg openssl=3.0.7-1~deb12u1 var/lib/dpkg/status @0 " + BASE,
                // the upgrade replaces the status file
                i1 + " dpkg libc6=2.36-9+deb12u4 var/lib/dpkg/status @1 " + UPGRADE,
                i1 + " dpkg openssl=3.0.11-1~deb12u2 var/lib/dpkg/status @1 " + UPGRADE,
                // status.d adds a path: the union over paths
                i2 + " dpkg libc6=2.36-9+deb12u4 var/lib/dpkg/status @0 " + BASE,
                i2 + " dpkg openssl=3.0.7-1~deb12u1 var/lib/dpkg/status @0 " + BASE,
                i2 + " dpkg tzdata=2024a-0+deb12u1 var/lib/dpkg/status.d/tzdata @1 " + DISTROLESS,
                // a whiteout of the status file removes it and nothing else
                i3 + " dpkg tzdata=2024a-0+deb12u1 var/lib/dpkg/status.d/tzdata @1 " + DISTROLESS,
                // an opaque directory removes everything below it, but not what its own layer adds
                i4 + " dpkg busybox=1:1.35.0-4 var/lib/dpkg/status @3 " + OPAQUE,
                // (image 5: var/lib/ removed on top, nothing left)
                // the order of the stack decides, not the order the layers were read
                i6 + " dpkg libc6=2.36-9+deb12u4 var/lib/dpkg/status @1 " + BASE,
                i6 + " dpkg openssl=3.0.7-1~deb12u1 var/lib/dpkg/status @1 " + BASE);
        assertThat(IndexDump.of(db.dataSource(), "package_layers").get("package_layers")).hasSize(LAYERS.size())
                .anySatisfy(l -> assertThat(l).startsWith(RM_DIR + " ").contains("unsupported rpm database (Berkeley DB)"));
    }

    @Test
    void a_page_walked_over_the_holders_bits_passes_hosts_whose_keys_lie_past_them() throws Exception {
        Database db = freshDatabase();
        IndexWriter writer = sevenHosts(db);
        // Hosts keyed past the holders' set (its bits end with the last 1,024-host row that has a holder): one holding
        // no openssl image (3 and 5 have none) sorts between the holders, one holding image 0 after them.
        try (var c = db.dataSource().getConnection(); var st = c.createStatement()) {
            st.execute("ALTER TABLE hosts ALTER COLUMN host_key RESTART WITH 5000");
        }
        writer.inTransaction(tx -> tx.apply(batch(List.of(
                SyntheticFleet.snapshot("host-3a", 1, List.of(IMAGES.get(3).image(), IMAGES.get(5).image()))))));
        PackageQuery query = packageQuery(db);
        String q = "openssl>=3.0.7-1~deb12u1";
        List<String> walked = new ArrayList<>();
        String cursor = null;
        do {
            // A page of 2 of 6 holders in a fleet of 8 is walked (36 > 3 x 8); the whole list is gathered.
            var page = query.search(q, io.layeratlas.db.query.PageRequest.first(),
                    io.layeratlas.db.query.PageRequest.parse(cursor, "2"));
            page.hosts().forEach(h -> walked.add(h.host().hostId()));
            cursor = page.hostsPage().next();
        } while (cursor != null);
        assertThat(walked).containsExactly("host-0", "host-1", "host-2", "host-4", "host-5", "host-6");
        writer.inTransaction(tx -> tx.apply(batch(List.of(
                SyntheticFleet.snapshot("host-7", 1, List.of(IMAGES.get(0).image()))))));
        assertThat(query.search(q, io.layeratlas.db.query.PageRequest.first(),
                io.layeratlas.db.query.PageRequest.parse(null, "100")).hosts()).extracting(h -> h.host().hostId())
                .containsExactly("host-0", "host-1", "host-2", "host-4", "host-5", "host-6", "host-7");
        var last = query.search(q, io.layeratlas.db.query.PageRequest.first(),
                io.layeratlas.db.query.PageRequest.parse(query.search(q, io.layeratlas.db.query.PageRequest.first(),
                        io.layeratlas.db.query.PageRequest.parse(query.search(q, io.layeratlas.db.query.PageRequest.first(),
                                io.layeratlas.db.query.PageRequest.parse(null, "3")).hostsPage().next(), "3"))
                        .hostsPage().next(), "3"));
        assertThat(last.hosts()).extracting(h -> h.host().hostId()).containsExactly("host-7");
    }

    @Test
    void package_answers_are_paged_by_keyset_and_the_pages_add_up_to_the_whole_list() {
        Database db = freshDatabase();
        sevenHosts(db);
        PackageQuery query = packageQuery(db);
        // openssl is in images 0, 1, 2 and 6 (see the rule test); each host holds images h and h+2.
        String q = "openssl>=3.0.7-1~deb12u1";
        var whole = query.search(q, io.layeratlas.db.query.PageRequest.first(), io.layeratlas.db.query.PageRequest.first());
        assertThat(whole.imageCount()).isEqualTo(4);
        assertThat(whole.hosts()).extracting(h -> h.host().hostId())
                .containsExactly("host-0", "host-1", "host-2", "host-4", "host-5", "host-6");
        // Each host lists the matching ones of the two images it was given, by image ID, and how many.
        assertThat(whole.hosts()).extracting(h -> h.host().hostId(), PackageQuery.HostHit::imageCount)
                .containsExactly(tuple("host-0", 2), tuple("host-1", 1),
                        tuple("host-2", 1), tuple("host-4", 1),
                        tuple("host-5", 1), tuple("host-6", 2));
        assertThat(whole.hosts().get(0).images()).extracting(PackageQuery.HeldImage::imageId)
                .containsExactlyElementsOf(java.util.stream.Stream.of(IMAGES.get(0), IMAGES.get(2))
                        .map(i -> i.imageId().toString()).sorted().toList());
        assertThat(whole.hosts().get(5).images()).extracting(PackageQuery.HeldImage::imageId)
                .containsExactlyElementsOf(java.util.stream.Stream.of(IMAGES.get(6), IMAGES.get(1))
                        .map(i -> i.imageId().toString()).sorted().toList());
        List<String> images = new ArrayList<>();
        String cursor = null;
        do {
            var page = query.search(q, io.layeratlas.db.query.PageRequest.parse(cursor, "1"),
                    io.layeratlas.db.query.PageRequest.first());
            page.images().forEach(i -> images.add(i.imageId()));
            cursor = page.imagesPage().next();
        } while (cursor != null);
        List<String> hosts = new ArrayList<>();
        List<PackageQuery.HostHit> hits = new ArrayList<>();
        String last = null;
        do {
            var page = query.search(q, io.layeratlas.db.query.PageRequest.first(),
                    io.layeratlas.db.query.PageRequest.parse(cursor, "2"));
            page.hosts().forEach(h -> hosts.add(h.host().hostId()));
            hits.addAll(page.hosts());
            last = cursor;
            cursor = page.hostsPage().next();
        } while (cursor != null);
        // Each page host's images and count are those of the whole list, paging forward and back.
        assertThat(hits).containsExactlyElementsOf(whole.hosts());
        var back = query.search(q, io.layeratlas.db.query.PageRequest.first(), io.layeratlas.db.query.PageRequest.parse(
                query.search(q, io.layeratlas.db.query.PageRequest.first(), io.layeratlas.db.query.PageRequest.parse(last, "2"))
                        .hostsPage().previous(), "2"));
        assertThat(back.hosts()).containsExactlyElementsOf(whole.hosts().subList(2, 4));
        assertThat(images).containsExactlyElementsOf(whole.images().stream().map(i -> i.imageId()).toList());
        // Back from the third image's page of one to the second (a page of one walks the images by ID, the whole
        // list gathers them: either reads the same list).
        var third = query.search(q, io.layeratlas.db.query.PageRequest.parse(query.search(q,
                io.layeratlas.db.query.PageRequest.parse(query.search(q, io.layeratlas.db.query.PageRequest.parse(null, "1"),
                        io.layeratlas.db.query.PageRequest.first()).imagesPage().next(), "1"),
                io.layeratlas.db.query.PageRequest.first()).imagesPage().next(), "1"), io.layeratlas.db.query.PageRequest.first());
        assertThat(third.images()).extracting(i -> i.imageId()).containsExactly(images.get(2));
        assertThat(query.search(q, io.layeratlas.db.query.PageRequest.parse(third.imagesPage().previous(), "1"),
                io.layeratlas.db.query.PageRequest.first()).images()).containsExactly(whole.images().get(1));
        assertThat(hosts).containsExactlyElementsOf(whole.hosts().stream().map(h -> h.host().hostId()).toList());
        // A range that excludes the base's build: only the upgraded images (1 and, through its status on top, none else).
        assertThat(query.search("openssl>3.0.7-1~deb12u1", io.layeratlas.db.query.PageRequest.first(),
                io.layeratlas.db.query.PageRequest.first()).images()).extracting(i -> i.imageId())
                .containsExactly(IMAGES.get(1).imageId().toString());
    }

    /**
     * On the dashboard's read-only pool (sessions that plan every run for its parameters) the search's lookups whose
     * plans do not depend on the question (the versions of a name, the holders' sets, the fleet's freshness, the
     * matched databases, the page images' databases) are planned once per connection, and the image counts, whose plan
     * does depend on it, for every question: PostgreSQL's own view of the one connection's prepared statements, after
     * more runs than PgJDBC's prepareThreshold (5). The answers are the writer pool's.
     */
    @Test
    void on_a_reader_a_search_plans_its_lookups_once_per_connection_and_its_image_counts_for_each_question()
            throws Exception {
        String url = postgres.createDatabase("p" + databases.incrementAndGet());
        try (Database db = Database.migrateAndOpen(url, postgres.user(), "", 3);
             Database reader = Database.open(url, postgres.user(), "", 1, true)) {
            sevenHosts(db);
            PackageQuery writer = packageQuery(db);
            PackageQuery readOnly = packageQuery(reader);
            var first = io.layeratlas.db.query.PageRequest.first();
            for (int run = 0; run < 7; run++) {
                for (String q : List.of("openssl>=3.0.7-1~deb12u1", "libc6", "busybox")) {
                    assertThat(readOnly.search(q, first, first)).as(q).isEqualTo(writer.search(q, first, first));
                }
            }
            Map<String, String> statements = new java.util.LinkedHashMap<>();
            statements.put("versions", "%AS name_rank%");
            statements.put("holders' sets", "%bit_or(s.hosts)%");
            statements.put("freshness", "%AS replayed_at%");
            statements.put("matched databases", "%AS path_rank%");
            statements.put("page images' databases", "%SELECT x.image_key, x.db_key, x.position%");
            statements.put("image counts", "%multi AS MATERIALIZED%");
            try (var c = reader.dataSource().getConnection()) {
                for (var e : statements.entrySet()) {
                    try (var ps = c.prepareStatement("SELECT sum(generic_plans), sum(custom_plans), count(*) "
                            + "FROM pg_prepared_statements WHERE statement LIKE ?")) {
                        ps.setString(1, e.getValue());
                        try (var rs = ps.executeQuery()) {
                            rs.next();
                            assertThat(rs.getLong(3)).as(e.getKey() + ", prepared").isPositive();
                            boolean counts = e.getKey().equals("image counts");
                            assertThat(rs.getLong(1)).as(e.getKey() + ", generic plans").matches(n -> counts ? n == 0 : n > 0);
                            assertThat(rs.getLong(2)).as(e.getKey() + ", custom plans").matches(n -> counts ? n > 0 : n == 0);
                        }
                    }
                }
            }
        }
    }

    @Test
    void an_image_whose_two_databases_both_list_the_package_counts_once_on_its_hosts() {
        Database db = freshDatabase();
        // status.d/openssl on top of a full status file: the image's two effective databases both list openssl.
        Digest sslD = Digest.sha256Of("status.d/openssl");
        List<LayerAtlasEvent> all = new ArrayList<>(LAYERS);
        all.add(layer(sslD, PackageDatabase.present(PackageEcosystem.DPKG, "var/lib/dpkg/status.d/openssl",
                List.of(deb("openssl", "3.0.7-1~deb12u1")))));
        ImageConfigEvent both = image(7, List.of(BASE, sslD));
        all.add(IMAGES.get(0));
        all.add(both);
        all.add(SyntheticFleet.snapshot("host-0", 1, List.of(IMAGES.get(0).image(), both.image())));
        IndexWriter writer = new IndexWriter(db);
        writer.inTransaction(tx -> tx.apply(batch(all)));
        assertThat(writer.recount()).isZero();
        var query = packageQuery(db);
        var first = io.layeratlas.db.query.PageRequest.first();
        var answer = query.search("openssl", first, first);
        assertThat(answer.imageCount()).isEqualTo(2);
        assertThat(answer.hosts()).singleElement().satisfies(h -> {
            assertThat(h.imageCount()).isEqualTo(2);
            assertThat(h.images()).extracting(PackageQuery.HeldImage::imageId).containsExactlyElementsOf(
                    java.util.stream.Stream.of(IMAGES.get(0), both).map(i -> i.imageId().toString()).sorted().toList());
        });
    }

    /**
     * V15 keeps the hosts of a package database as rows of 1,024 host keys: a search's hosts, count and freshness are
     * the same whichever rows their keys fall in, through arrivals, departures and retirement, and the sets equal a
     * recount from the holdings after each step.
     */
    @Test
    void a_package_search_counts_and_pages_hosts_whose_keys_fall_in_different_rows_of_the_host_sets() {
        Database db = freshDatabase();
        try (var c = db.dataSource().getConnection(); var st = c.createStatement()) {
            // Host keys 1022 to 1027: the first two in row 0 of each set, the others in row 1.
            st.execute("ALTER TABLE hosts ALTER COLUMN host_key RESTART WITH 1022");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        IndexWriter writer = new IndexWriter(db);
        List<LayerAtlasEvent> all = new ArrayList<>(IMAGES);
        all.addAll(LAYERS);
        // openssl (any build) is in images 0, 1, 2 and 6; image 3 has only status.d/tzdata, image 5 no database.
        for (int h = 0; h < 6; h++) {
            all.add(SyntheticFleet.snapshot("host-" + h, 1, List.of(IMAGES.get(h % 2 == 0 ? 0 : 3).image())));
        }
        writer.inTransaction(tx -> tx.apply(batch(all)));
        assertThat(writer.recount()).isZero();
        var query = packageQuery(db);
        var first = io.layeratlas.db.query.PageRequest.first();
        var answer = query.search("openssl", first, first);
        assertThat(answer.hostCount()).isEqualTo(3);
        // The freshness is the fleet's (every live host answered whether it holds a match): all six hosts.
        assertThat(answer.freshness().hostCount()).isEqualTo(6);
        assertThat(answer.hosts()).extracting(h -> h.host().hostId()).containsExactly("host-0", "host-2", "host-4");

        // host-1 (row 0) and host-5 (row 1) take image 1; host-4 (row 1) drops image 0; host-2 retires.
        writer.inTransaction(tx -> tx.apply(batch(List.of(
                SyntheticFleet.snapshot("host-1", 2, List.of(IMAGES.get(1).image())),
                SyntheticFleet.snapshot("host-5", 2, List.of(IMAGES.get(3).image(), IMAGES.get(1).image())),
                SyntheticFleet.snapshot("host-4", 2, List.of(IMAGES.get(5).image()))))));
        assertThat(writer.recount()).isZero();
        assertThat(writer.retireHost("host-2")).isTrue();
        assertThat(writer.recount()).isZero();
        var after = query.search("openssl", first, first);
        assertThat(after.hosts()).extracting(h -> h.host().hostId()).containsExactly("host-0", "host-1", "host-5");
        assertThat(after.hostCount()).isEqualTo(3);
        assertThat(after.hostsPage().total()).isEqualTo(3);
        assertThat(IndexDump.of(db.dataSource(), "package_database_hosts").get("package_database_hosts"))
                .extracting(r -> r.substring(0, r.indexOf(' ')))
                .containsExactlyInAnyOrder("host-0", "host-1", "host-3", "host-5", "host-5");
    }

    /**
     * A search's hosts are those holding an image whose topmost dpkg status lists a matching openssl (real Debian
     * layers, dpkg's own comparison: {@link DebianLayers}), and its freshness is the whole fleet's: every live host
     * answered whether it holds such an image, and a stale host that held none may hold one by now.
     */
    @Test
    void a_package_searchs_hosts_are_dpkgs_truth_and_its_freshness_is_the_fleets(@TempDir java.nio.file.Path work)
            throws Exception {
        DebianLayers.Fleet fleet = DebianLayers.fleet(work);
        Database db = freshDatabase();
        IndexWriter writer = new IndexWriter(db);
        for (LayerAtlasEvent e : fleet.events()) {
            writer.inTransaction(tx -> tx.apply(batch(List.of(e))));
        }
        java.util.Set<String> want = fleet.hostsHolding(fleet.imagesWhere("openssl", "lt", "3.1"));
        assertThat(want).isNotEmpty().hasSizeLessThan(fleet.hosts().size());
        var first = io.layeratlas.db.query.PageRequest.first();

        var answer = packageQuery(db).search("openssl<3.1", first, first);
        assertThat(answer.hosts()).extracting(h -> h.host().hostId()).containsExactlyElementsOf(want);
        assertThat(answer.hostCount()).isEqualTo(want.size());
        assertThat(answer.freshness().hostCount()).isEqualTo(fleet.hosts().size());
        assertThat(answer.freshness().staleHosts()).isEmpty();

        // A day later with a 5-minute stale age every host is stale, those holding no match too.
        var later = new PackageQuery(db.dataSource(), new io.layeratlas.db.query.Freshness.Policy(
                java.time.Clock.fixed(Instant.now().plus(java.time.Duration.ofDays(1)), java.time.ZoneOffset.UTC),
                java.time.Duration.ofMinutes(5))).search("openssl<3.1", first, first);
        assertThat(later.hostCount()).isEqualTo(want.size());
        assertThat(later.freshness().staleHosts()).containsExactlyInAnyOrderElementsOf(fleet.hosts().keySet());
    }

    /** The user trial of issue 15: {@code openssl<3.0.8} on a fleet whose openssl is newer answered nothing, and said nothing why. */
    @Test
    void an_empty_answer_tells_nothing_read_from_no_such_name_from_other_versions_only() {
        Database db = freshDatabase();
        var query = packageQuery(db);
        var first = io.layeratlas.db.query.PageRequest.first();
        var before = query.search("openssl", first, first);
        assertThat(before.packagesRead()).isFalse();
        assertThat(before.otherVersions()).isEmpty();

        List<LayerAtlasEvent> all = new ArrayList<>(IMAGES);
        all.addAll(LAYERS);
        all.add(SyntheticFleet.snapshot("host-0", 1, List.of(IMAGES.get(1).image())));
        new IndexWriter(db).inTransaction(tx -> tx.apply(batch(all)));

        var below = query.search("openssl<3.0.7", first, first);
        assertThat(below.packagesRead()).isTrue();
        assertThat(below.imageCount()).isZero();
        assertThat(below.versions()).isEmpty();
        assertThat(below.otherVersions()).extracting(v -> v.version())
                .containsExactly("3.0.7-1~deb12u1", "3.0.11-1~deb12u2"); // dpkg's order
        var some = query.search("openssl>3.0.7-1~deb12u1", first, first);
        assertThat(some.versions()).extracting(v -> v.version()).containsExactly("3.0.11-1~deb12u2");
        assertThat(some.otherVersions()).extracting(v -> v.version()).containsExactly("3.0.7-1~deb12u1");
        var unknown = query.search("no-such-package", first, first);
        assertThat(unknown.packagesRead()).isTrue();
        assertThat(unknown.versions()).isEmpty();
        assertThat(unknown.otherVersions()).isEmpty();
    }

    @Test
    void the_tables_are_the_same_whatever_the_order_and_batching_of_the_topics_and_a_layer_is_read_once() {
        List<LayerAtlasEvent> all = new ArrayList<>(IMAGES);
        all.addAll(LAYERS);
        // Hosts too: which host holds an image having which database (V10) follows snapshots and layers alike.
        all.add(SyntheticFleet.snapshot("host-0", 1, List.of(IMAGES.get(0).image(), IMAGES.get(2).image())));
        all.add(SyntheticFleet.snapshot("host-1", 1, List.of(IMAGES.get(1).image(), IMAGES.get(6).image())));
        all.add(SyntheticFleet.snapshot("host-1", 2, List.of(IMAGES.get(4).image(), IMAGES.get(6).image())));
        all.add(SyntheticFleet.snapshot("host-2", 1, List.of(IMAGES.get(3).image(), IMAGES.get(5).image())));
        Map<String, List<String>> reference = null;
        Random random = new Random(15);
        for (int run = 0; run < 4; run++) {
            List<LayerAtlasEvent> events = new ArrayList<>(all);
            if (run == 1) {
                Collections.reverse(events);   // every layer before any image
            } else if (run > 1) {
                Collections.shuffle(events, random);
            }
            // A replay delivers the topic again; a diff ID already read is skipped even if an agent said otherwise.
            events.add(layer(BASE, PackageDatabase.removed(PackageEcosystem.DPKG, "var/lib/dpkg/status")));
            events.addAll(LAYERS);
            Database db = freshDatabase();
            IndexWriter writer = new IndexWriter(db);
            int size = run == 0 ? 1 : 1 + random.nextInt(8);
            for (int from = 0; from < events.size(); from += size) {
                List<LayerAtlasEvent> slice = events.subList(from, Math.min(events.size(), from + size));
                writer.inTransaction(tx -> tx.apply(batch(slice)));
                assertThat(writer.recount()).as("rows a recount corrected, run %d, after events %d-", run, from).isZero();
            }
            Map<String, List<String>> dump = IndexDump.of(db.dataSource(), PACKAGE_SECTIONS);
            if (reference == null) {
                reference = dump;
                assertThat(dump.get("image_packages")).isNotEmpty();
                // From the effective databases of the rule test: image 0 and 6 have the base's status, 1 the upgrade's,
                // 2 the base's and status.d/tzdata, 3 status.d/tzdata, 4 the opaque layer's status, 5 none. host-1's
                // second snapshot dropped image 1, and with it the upgrade's status.
                assertThat(dump.get("host_package_databases")).containsExactlyInAnyOrder(
                        "host-0 " + BASE + " var/lib/dpkg/status images=2",
                        "host-0 " + DISTROLESS + " var/lib/dpkg/status.d/tzdata images=1",
                        "host-1 " + OPAQUE + " var/lib/dpkg/status images=1",
                        "host-1 " + BASE + " var/lib/dpkg/status images=1",
                        "host-2 " + DISTROLESS + " var/lib/dpkg/status.d/tzdata images=1");
                // V15's host sets hold the same pairs.
                assertThat(dump.get("package_database_hosts")).containsExactlyInAnyOrderElementsOf(
                        dump.get("host_package_databases").stream().map(r -> r.substring(0, r.lastIndexOf(" images="))).toList());
            } else {
                assertThat(dump).as("run " + run + " in batches of " + size).isEqualTo(reference);
            }
            // A retired host holds nothing any more.
            assertThat(writer.retireHost("host-0")).isTrue();
            Map<String, List<String>> retired = IndexDump.of(db.dataSource(), "host_package_databases", "package_database_hosts");
            assertThat(retired.get("host_package_databases")).noneMatch(row -> row.startsWith("host-0 ")).hasSize(3);
            assertThat(retired.get("package_database_hosts")).noneMatch(row -> row.startsWith("host-0 ")).hasSize(3);
            assertThat(writer.recount()).isZero();
        }
    }

    @Test
    void the_statements_a_batch_takes_do_not_grow_with_the_number_of_layers_and_images_in_it() {
        List<Integer> counts = new ArrayList<>();
        for (int n : new int[]{1, 10, 100}) {
            Database db = freshDatabase();
            List<LayerAtlasEvent> events = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Digest base = Digest.sha256Of("base " + i);
                Digest top = Digest.sha256Of("top " + i);
                events.add(image(i, List.of(base, top)));
                events.add(layer(base, PackageDatabase.present(PackageEcosystem.DPKG, "var/lib/dpkg/status",
                        List.of(deb("openssl", "3.0." + i + "-1"), deb("libc6", "2.36-9")))));
                events.add(layer(top, PackageDatabase.removed(PackageEcosystem.APK, "lib/apk/db/installed")));
            }
            counts.add(new IndexWriter(db).inTransaction(tx -> tx.apply(batch(events))).statements());
        }
        assertThat(counts).as("statements for 1, 10 and 100 images and their layers").containsOnly(counts.get(0));
    }

    /**
     * The effective databases' recompute is planned for each batch's own keys: PostgreSQL's generic plan of it (made
     * once a statement is prepared on the server and run 5 times; PostgreSQL docs, PREPARE, "Notes") read ~12,400
     * buffers a call where the custom plans read ~280 in the bench. On one connection (a pool of one), after more
     * batches than PgJDBC's prepareThreshold (5), PostgreSQL's own view of the session's prepared statements has the
     * statements the batches ran as often, and not the recompute.
     */
    @Test
    void the_recompute_of_effective_databases_is_never_prepared_on_the_server_so_each_batch_gets_a_custom_plan() throws Exception {
        try (Database db = Database.migrateAndOpen(postgres.createDatabase("p" + databases.incrementAndGet()),
                postgres.user(), "", 1)) {
            IndexWriter writer = new IndexWriter(db);
            for (int i = 0; i < 8; i++) {
                Digest base = Digest.sha256Of("prepared base " + i);
                List<LayerAtlasEvent> events = List.of(image(100 + i, List.of(base, NOTHING)),
                        layer(base, PackageDatabase.present(PackageEcosystem.DPKG, "var/lib/dpkg/status",
                                List.of(deb("openssl", "3.0." + i + "-1")))));
                writer.inTransaction(tx -> tx.apply(batch(events)));
            }
            List<String> prepared = new ArrayList<>();
            try (var c = db.dataSource().getConnection(); var st = c.createStatement();
                 var rs = st.executeQuery("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")) {
                while (rs.next()) {
                    prepared.add(rs.getString(1).strip());
                }
            }
            assertThat(prepared).as("the batches' statements PgJDBC prepared on the server")
                    .anyMatch(sql -> sql.startsWith("INSERT INTO package_layers"))
                    .noneMatch(sql -> sql.startsWith("WITH affected AS"));
        }
    }

    static IndexBatch batch(List<? extends LayerAtlasEvent> events) {
        IndexBatch batch = new IndexBatch();
        for (int i = 0; i < events.size(); i++) {
            batch.add(i, events.get(i));
        }
        return batch;
    }
}
