package io.layeratlas.db.query;

import io.layeratlas.events.PackageEcosystem;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The package aggregate (issue 15): which images have a package version, which hosts hold those images, and what
 * packages an image has. A name matches a binary package of that name (its version is compared) or any binary built
 * from a source package of that name (the source version is compared): {@code openssl<3.0.8} finds Debian's
 * {@code libssl3} of source {@code openssl} as well, which is where the vulnerable code of an OpenSSL advisory ships. Versions are matched in Java with each ecosystem's own ordering ({@link PackageSpec},
 * {@code db.versions}) over the distinct versions the index knows of the name (a short list: one row per build), then
 * everything else is set-based SQL over the package databases that list a matched build. Images count when at least one host holds
 * them; retired hosts are left out. Thread-safe; every call reads one consistent snapshot.
 */
public final class PackageQuery {
    private final DataSource dataSource;
    private final Freshness.Policy policy;

    public PackageQuery(DataSource dataSource, Freshness.Policy policy) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** A package build the question matched (strings verbatim from the databases). */
    public record PackageVersion(String ecosystem, String name, String version, String architecture) {
    }

    /** A matching package in an image: which database listed it and the layer (position from 0, diff ID) that brought it. */
    public record ImagePackage(String ecosystem, String name, String version, String architecture, String sourceName,
                               String sourceVersion, String path, int position, String diffId) {
    }

    /** An image that has a matching version: its tags on hosts, how many hosts hold it, and the matching packages. */
    public record ImageHit(String imageId, List<String> repoTags, int hostCount, List<ImagePackage> packages) {
    }

    /** An image a host holds, with the tags that host gives it. */
    public record HeldImage(String imageId, List<String> repoTags) {
    }

    /**
     * A host holding at least one matching image.
     *
     * @param images     up to {@link #HELD_SHOWN} of them, by image ID (the remediation export lists them all)
     * @param imageCount how many matching images the host holds
     */
    public record HostHit(HostStatus host, List<HeldImage> images, int imageCount) {
    }

    /**
     * How many of a host's matching images an answer lists: a host may hold hundreds, and a page of 100 hosts listing
     * every one was most of the answer's time and bytes (package-search-small-3.txt).
     */
    public static final int HELD_SHOWN = 10;

    /**
     * One answer: the versions that matched, a page of the images having one (by image ID) and a page of the hosts
     * holding such an image (by host ID), and what tells an empty answer's reasons apart.
     *
     * @param imageCount    every page's images
     * @param hostCount     every page's hosts
     * @param freshness     of every live host of the fleet, holder or not: each answered whether it holds a matching
     *                      image, and a stale host that did not may hold one by now (as for a layer's hosts,
     *                      {@link LayerQuery.LayerHosts#freshness})
     * @param otherVersions the builds of the name (or of binaries of that source) the index knows that the
     *                      constraints left out, ordered as {@code versions}: why {@code openssl<3.0.8} is empty
     *                      on a fleet whose openssl is newer
     * @param packagesRead  false while no agent has sent any layer's package databases: then every answer is empty
     *                      because nothing was read, not because no image has the package
     */
    public record PackageSearch(String query, String name, List<PackageSpec.Constraint> constraints,
                                List<PackageVersion> versions, long imageCount, List<ImageHit> images, PageInfo imagesPage,
                                int hostCount, List<HostHit> hosts, PageInfo hostsPage, Freshness freshness,
                                List<PackageVersion> otherVersions, boolean packagesRead) {
    }

    /** One row of the remediation export: a host, an image it holds, that image's tags there, a matching package. */
    public record ExportRow(String hostId, String imageId, List<String> repoTags, String ecosystem, String name,
                            String version, String architecture) {
    }

    /** Receives the rows of {@link #export}, in host ID, image ID, package order. */
    @FunctionalInterface
    public interface RowSink {
        void accept(ExportRow row) throws Exception;
    }

    /**
     * The packages of one image, each with the layer that brought it, and how many of its layers have been read.
     *
     * @param layerCount  layers in its stack (null until the stack is known)
     * @param layersRead  of those, how many an agent has read the packages of: below {@code layerCount}, the list may
     *                    still change
     */
    public record ImagePackages(String imageId, Integer layerCount, int layersRead, List<ImagePackage> packages) {
    }

    private static final String ANY_READ = "SELECT EXISTS (SELECT 1 FROM package_layers)";

    // The builds of the name with the package databases that list each (index database_packages_package) and their
    // paths, in the same order: a search asks everything else of those databases, a short list (8 for a package every
    // image of the small bench fleet has), never of the images or hosts they reach. Each build's rank by name and
    // version in the database's collation orders the images' packages (DATABASES).
    private static final String VERSIONS = """
            SELECT p.package_key, p.ecosystem, p.name, p.version, p.architecture, p.source_name, p.source_version,
                   ARRAY(SELECT dp.db_key FROM database_packages dp WHERE dp.package_key = p.package_key
                          ORDER BY dp.db_key) AS dbs,
                   ARRAY(SELECT d.ecosystem || ' ' || d.path FROM database_packages dp
                          JOIN package_databases d ON d.db_key = dp.db_key
                          WHERE dp.package_key = p.package_key ORDER BY dp.db_key) AS paths,
                   rank() OVER (ORDER BY p.name, p.version) AS name_rank
              FROM packages p
             WHERE p.name = ? OR p.source_name = ?
             ORDER BY p.package_key""";

    // The images held by some host among the matched ones and the catalog's size, both exact, so that the images
    // page's read (walkImages) does not depend on statistics. The matched images are the matched databases'
    // image_package_databases rows (an index range per database, no hashing), less the images counted twice
    // ("multi": those with more than one matched database, each counted extra - 1 times; returned, nearly always
    // empty, for the page hosts' counts, IMAGES_ON_HOSTS), less the matched images no host holds, counted in the
    // catalog's one pass over image_usage (its rows at 0 are few, each probed for a matched database: a scalar
    // subquery, as WALK's, so that the matched rows are not hashed for them). pg_class.reltuples would spare that pass
    // only if the unheld images were found otherwise (no index on host_count: V11 keeps its updates heap-only); as the
    // catalog's size it changed the choices between runs of the same questions (small scale, --only queries: 626 of
    // 880 pages walked in one run, 546 in two others and in main's). An image has one effective database per path
    // (and ecosystem), so two matched databases of one image have two paths, and one of them is not the path most
    // matched databases have: "multi" probes only the images having one of those others, one primary-key range each, the matched
    // databases a filter there (as an index condition, 60 of them for tzdata, 28 buffers a probe; none when every
    // matched database has one path, as a base image's dpkg status does).
    // Before, one pass over image_usage hashed every matched image (a MATERIALIZED CTE of them) and counted the
    // catalog: 11.15 ms / 177 buffers a call at 10,000 hosts (pg_stat_statements). On the 4,000-host scratch fleet
    // (psql, best of 40 runs on a quiet box): tzdata (every image, 7,612 rows, 134 images with two matched
    // databases) 4.5 -> 2.3 ms, libssl1.1 1.8 -> 1.2 ms; buffers 151 -> 435 (multi's probes) and 106 -> 106.
    private static final String IMAGE_COUNT = """
            WITH multi AS MATERIALIZED (
                SELECT o.image_key, x.n - 1 AS extra
                  FROM (SELECT DISTINCT o.image_key FROM image_package_databases o WHERE o.db_key = ANY (?)) o
                 CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE x.db_key = ANY (?)) AS n
                                       FROM image_package_databases x WHERE x.image_key = o.image_key OFFSET 0) x
                 WHERE x.n > 1)
            SELECT (SELECT count(*) FROM image_package_databases ipd WHERE ipd.db_key = ANY (?))
                 - (SELECT coalesce(sum(m.extra), 0) FROM multi m) - u.unheld AS matched,
                   u.catalog,
                   ARRAY(SELECT m.image_key FROM multi m ORDER BY m.image_key) AS multi,
                   ARRAY(SELECT m.extra FROM multi m ORDER BY m.image_key) AS extra
              FROM (SELECT count(*) AS catalog,
                           count(*) FILTER (WHERE u.host_count = 0
                                   AND (SELECT count(*) FILTER (WHERE z.db_key = ANY (?)) FROM image_package_databases z
                                         WHERE z.image_key = u.image_key) > 0) AS unheld
                      FROM image_usage u) u""";

    /**
     * What {@link #IMAGE_COUNT} read: the matched images held by some host, the catalog's size, and the
     * images having more than one matched database ({@code multi}, ascending) with how many extra each has.
     */
    private record ImageCounts(long matched, long catalog, List<Long> multi, List<Long> extra) {
    }

    /**
     * A page of the matched images held by some host, walking {@code images} by image ID: each image's
     * {@code image_package_databases} rows are probed (its primary key's range, ~1 row) for a matched database, and
     * only a matching image's {@code image_usage} row is probed (the fenced LATERAL). Stops after the page: reads about
     * {@code limit × catalog / matched} images, so it is the read for a name many images have. Its parameters: the
     * matched databases. The probe is a scalar subquery, which PostgreSQL neither joins nor hashes: as an
     * {@code IN} (or an {@code EXISTS}, which PostgreSQL 17 hashes alike) under {@code OR false} it was a hashed
     * subplan of every matched image, built per request (7,612 rows for {@code tzdata} on the 4,000-host scratch
     * fleet: 4.2-4.7 ms at best of 40 runs on a quiet box, against 0.95-1.0 ms probing, the same rows; 660 buffers
     * against 811).
     */
    private static final Keyset WALK = new Keyset("""
            SELECT i.image_key, i.image_id, u.host_count, {keys}, %s AS tags
              FROM images i
             CROSS JOIN LATERAL (SELECT x.host_count FROM image_usage x
                                  WHERE x.image_key = i.image_key AND x.host_count > 0 OFFSET 0) u
             WHERE (SELECT count(*) FILTER (WHERE ipd.db_key = ANY (?)) FROM image_package_databases ipd
                     WHERE ipd.image_key = i.image_key) > 0
               AND {keyset}
             {order}""".formatted(Sql.fleetTags("i.image_key")), List.of("i.image_id"), List.of("text"), false);

    /**
     * A page of {@link #WALK}'s list, gathering the matched images (each by primary key, the array of their keys) and
     * sorting them by image ID in the fenced subquery; the page's images' {@code image_usage} rows are probed after
     * the sort, so the probes stop after the page (nearly every image is held). Reads about {@code matched} images,
     * so it is the read for a name few images have. Its parameters: the matched databases.
     */
    private static final Keyset GATHER = new Keyset("""
            SELECT i.image_key, i.image_id, u.host_count, {keys}, %s AS tags
              FROM (SELECT i.image_key, i.image_id FROM images i
                     WHERE i.image_key = ANY (ARRAY(SELECT ipd.image_key FROM image_package_databases ipd
                                                     WHERE ipd.db_key = ANY (?)))
                       AND {keyset}
                     {order} OFFSET 0) i
             CROSS JOIN LATERAL (SELECT x.host_count FROM image_usage x
                                  WHERE x.image_key = i.image_key AND x.host_count > 0 OFFSET 0) u
             {order}""".formatted(Sql.fleetTags("i.image_key")), List.of("i.image_id"), List.of("text"), false);

    /**
     * Whether the images page is read by {@link #WALK} rather than {@link #GATHER}: when walking the catalog to fill
     * the page ({@code (limit + 1) × catalog / matched} images, about a buffer each) reads fewer images than
     * gathering every matched one (about a buffer each too: one primary-key scan of their keys). Both counts are
     * exact ({@link #IMAGE_COUNT}), so the choice does not depend on PostgreSQL's statistics: the planner's own choice
     * between these two plans flipped between runs of the same questions on the freshly loaded bench database
     * (autoanalyze had run or not: 1,006 buffers or 5,989 for apt's first page). A wrong guess costs time, never rows.
     */
    private static boolean walkImages(long matched, long catalog, PageRequest page) {
        return Keyset.walks(matched, catalog, page);
    }

    // The images' packages are put together in Java from what the search already knows (the matched builds and the
    // databases listing each, VERSIONS) and two single-purpose reads: the matched databases' layers and paths, with
    // the paths' rank in the database's collation (the list is ordered by name, version and path as the database
    // orders text, VERSIONS ranking name and version), and the page images' rows of image_package_databases for the
    // matched databases (the layer's position in each image). Through the image_packages view (five tables joined
    // for the page's images and the matched packages) the statement took 2.2 ms and 1.3 ms planning a call in the
    // bench's package phase (pg_stat_statements), planned anew each request.
    private static final String DATABASES = """
            SELECT d.db_key, d.ecosystem, d.path, pl.diff_id, rank() OVER (ORDER BY d.path) AS path_rank
              FROM package_databases d JOIN package_layers pl ON pl.pkg_layer_key = d.pkg_layer_key
             WHERE d.db_key = ANY (?)""";

    private static final String PAGE_DATABASES = """
            SELECT x.image_key, x.db_key, x.position FROM image_package_databases x
             WHERE x.image_key = ANY (?) AND x.db_key = ANY (?)
             ORDER BY x.image_key, x.db_key""";

    // The hosts holding a matching image: the union of the matched databases' host sets (V15
    // package_database_hosts, kept by the indexer: a bit per host, 1,024 hosts a row), one row per 1,024 hosts. Its
    // bits are the answer's host count; its keys, bound as an array, select the page, so that its plan is made
    // knowing how many hosts they are. The freshness is the fleet's (V17's indexes), not an aggregate over the
    // holders (one row per holder: 10,000 for a name every base lists). Before V15, the count and the freshness took the holders'
    // keys from every matched database's host_package_databases rows (DISTINCT over one row per host and database: at
    // 2,000 hosts 16,000 index entries for a name every base lists) and the page probed that table once per host.
    private static final String HOLDER_SET = """
            SELECT s.chunk, bit_or(s.hosts)::text AS hosts FROM package_database_hosts s
             WHERE s.db_key = ANY (?)
             GROUP BY s.chunk ORDER BY s.chunk""";

    // Retired hosts hold nothing (retiring deletes their holdings, and their sets' bits with them).
    private static final String HOLDERS = "h.host_key = ANY (?::integer[])";

    /**
     * A page of the holders by their keys ({@link #HOLDERS}, an array): the primary key probed for each, then sorted.
     * The read for a set of few hosts; for many, {@link #WALK_HOSTS}.
     */
    private static final Keyset GATHER_HOSTS = hostsPage(HOLDERS);

    /**
     * A page of the holders by walking the live hosts in host ID order and keeping each whose bit is set in the
     * holders' set ({@link HostSet#bits}; parameters: its length, the bits). As an array of keys, a set of ~10,000
     * hosts cost its custom plan ~4-7 ms of planning (the planner estimates {@code = ANY} element by element:
     * 3,176 ms over 440 searches at 10,000 hosts, pg_stat_statements, against 2.4 ms executing), where a bit test is
     * one expression (0.1-0.5 ms). Its selectivity PostgreSQL takes as a CASE's default (half the rows), so the plan is
     * the walk of hosts_host_id_key that stops after the page, ~{@code (limit + 1) × fleet / holders} hosts; the CASE
     * also keeps a host keyed past the set's last row (where its bits end) from {@code get_bit}'s range error.
     */
    private static final Keyset WALK_HOSTS = hostsPage(
            "CASE WHEN h.host_key < ? THEN get_bit(?::bit varying, h.host_key) = 1 ELSE false END");

    private static Keyset hostsPage(String holders) {
        return new Keyset("""
                SELECT %s, {keys} FROM hosts h
                 WHERE h.retired_at IS NULL AND %s AND {keyset}
                 {order}""".formatted(Sql.HOST_COLUMNS, holders), List.of("h.host_id"), List.of("text"), false);
    }

    // Per host of the page: how many matching images it holds, and the first HELD_SHOWN of them in image key order
    // (the caller lists those by image ID). Both grow with the page, not with the fleet. The count is the host's
    // host_package_databases counts over the matched databases (its rows, one range of the primary key: ~20 a host
    // at full scale, where a probe per matched database read ~18 buffers a host; the counts are in the key's entries
    // since V22, read without the heap where the visibility map allows), less the images counted twice:
    // those with more than one matched database ("multi", nearly always empty), each held by the host counted
    // extra - 1 times. IMAGE_COUNT reads them (the matched count needs them too) and they are bound here: the images
    // as an array each host's held_images range (~200 entries at full scale) is filtered by (hashed: a constant array
    // in the custom plans the reader sessions make; "+ 0" keeps it a filter, not 134 probes of held_images_image),
    // joined to their extras hashed once. When there are none (nearly always) the term is left out (HELD_LESS_NONE).
    // Read here as a MATERIALIZED CTE, the statement took 5 plans between runs of the same questions (457-8,958
    // buffers a call, auto_explain; package-plan-small.txt), and for tzdata on the 4,000-host scratch fleet (134
    // images with two matched databases) each page host probed held_images once per such image: 41,531 buffers,
    // 100 ms (EXPLAIN ANALYZE), 1,637 buffers and 10 ms by its range.
    // The first images walk the host's host_images rows in key order (no sort),
    // each looked up in the matched databases' images hashed once for the statement, stopping after HELD_SHOWN.
    // "OR false" keeps the IN a hashed subplan: a sublink under OR is not made a join, so the plan is the same with
    // or without statistics. As a join (a window count over a semi-join), on the bench's freshly loaded database the
    // planner probed each page host for every matched image (31,741 buffers, 87 ms, auto_explain); with one probe of
    // image_package_databases per row instead, libssl1.1's page read 16,832 buffers (4,662 hashed).
    // The walk reads held_images (V20), not the host_images view, and each row's tag set is joined after the LIMIT:
    // through the view, tag_sets was probed inside the walk, once per row shown (895 probes, 2,685 of the statement's
    // 4,052 buffers at small scale, auto_explain), where the hosts of a page share a few hundred tag sets. A LEFT
    // JOIN as in the view (V20): a row whose set were missing would still be listed, with no tags.
    private static final String IMAGES_ON_HOSTS = """
            SELECT p.host_key, c.held, i.image_id, x.tag_set_key, t.repo_tags
              FROM unnest(?::integer[]) AS p(host_key)
             CROSS JOIN LATERAL (
                   SELECT (SELECT sum(d.image_count) FILTER (WHERE d.db_key = ANY (?)) FROM host_package_databases d
                            WHERE d.host_key = p.host_key)
                        - %s AS held
                   OFFSET 0) c
             CROSS JOIN LATERAL (
                   SELECT hi.image_key, hi.tag_set_key FROM held_images hi
                    WHERE hi.host_key = p.host_key
                      AND (hi.image_key IN (SELECT ipd.image_key FROM image_package_databases ipd
                                             WHERE ipd.db_key = ANY (?)) OR false)
                    ORDER BY hi.image_key LIMIT %d) x
              JOIN images i ON i.image_key = x.image_key
              LEFT JOIN tag_sets t ON t.tag_set_key = x.tag_set_key""";

    /** {@link #IMAGES_ON_HOSTS}' held count when some matched images have two matched databases: bind them, them, extras. */
    private static final String HELD_LESS_MULTI = IMAGES_ON_HOSTS.formatted("""
            (SELECT coalesce(sum(m.extra), 0)
                             FROM (SELECT hm.image_key FROM held_images hm
                                    WHERE hm.host_key = p.host_key AND hm.image_key + 0 = ANY (?::bigint[]) OFFSET 0) h
                             JOIN unnest(?::bigint[], ?::bigint[]) AS m(image_key, extra) ON m.image_key = h.image_key)""",
            HELD_SHOWN);

    /** {@link #IMAGES_ON_HOSTS}' held count when no matched image has two matched databases. */
    private static final String HELD_LESS_NONE = IMAGES_ON_HOSTS.formatted("0", HELD_SHOWN);

    private static final String EXPORT = """
            WITH matched AS (
                SELECT DISTINCT ipd.image_key, dp.package_key FROM database_packages dp
                  JOIN image_package_databases ipd ON ipd.db_key = dp.db_key
                 WHERE dp.package_key = ANY (?))
            SELECT h.host_id, i.image_id, hi.repo_tags, p.ecosystem, p.name, p.version, p.architecture
              FROM matched m
              JOIN host_images hi ON hi.image_key = m.image_key
              JOIN hosts h ON h.host_key = hi.host_key
              JOIN images i ON i.image_key = m.image_key
              JOIN packages p ON p.package_key = m.package_key
             WHERE h.retired_at IS NULL
             ORDER BY h.host_id, i.image_id, p.name, p.version, p.ecosystem, p.architecture""";

    /**
     * Answers a package question ({@link PackageSpec} syntax).
     *
     * @throws QueryException.InvalidParameter for bad syntax (what and where), or a cursor of another list
     */
    public PackageSearch search(String question, PageRequest imagesPage, PageRequest hostsPage) {
        PackageSpec spec = PackageSpec.parse(question);
        return Sql.inSnapshot(dataSource, "package search", c -> {
            Matched m = match(c, spec);
            Read r = read(c, m, imagesPage, hostsPage, policy);
            List<Long> imageKeys = r.images().items().stream().map(ImageRow::key).toList();
            // Each image's matching packages: every matched build its matched databases list, by name and version,
            // then path, in the database's order (the ranks); ties stay in (database, package) key order.
            Map<Long, MatchedDatabase> databases = new java.util.HashMap<>();
            r.databases().forEach(d -> databases.put(d.key(), d));
            record Ranked(int nameRank, int pathRank, ImagePackage item) {
            }
            Map<Long, List<Ranked>> ranked = new LinkedHashMap<>();
            for (ImageDatabase row : r.pageDatabases()) {
                MatchedDatabase d = databases.get(row.db());
                for (Listed l : m.listed().getOrDefault(row.db(), List.of())) {
                    PackageVersion v = l.version();
                    ranked.computeIfAbsent(row.image(), k -> new ArrayList<>()).add(new Ranked(l.nameRank(),
                            d.pathRank(), new ImagePackage(d.ecosystem(), v.name(), v.version(), v.architecture(),
                            l.sourceName(), l.sourceVersion(), d.path(), row.position(), d.diffId())));
                }
            }
            Map<Long, List<ImagePackage>> packages = new LinkedHashMap<>();
            ranked.forEach((image, list) -> packages.put(image, list.stream()
                    .sorted(Comparator.comparingInt(Ranked::nameRank).thenComparingInt(Ranked::pathRank))
                    .map(Ranked::item).toList()));
            Map<Long, List<HeldImage>> held = new LinkedHashMap<>();
            Map<Long, Integer> heldCount = new LinkedHashMap<>();
            for (HeldRow row : r.held()) {
                heldCount.put(row.host(), row.count());
                held.computeIfAbsent(row.host(), k -> new ArrayList<>()).add(row.image());
            }
            held.values().forEach(l -> l.sort(Comparator.comparing(HeldImage::imageId)));
            // A build in the index came from a layer that was read: only an empty list needs the question.
            boolean packagesRead = !m.versions().isEmpty() || !m.others().isEmpty()
                    || Sql.list(c, ANY_READ, rs -> rs.getBoolean(1)).get(0);
            return new PackageSearch(spec.toString(), spec.name(), spec.constraints(), m.versions(),
                    r.images().info().total(),
                    r.images().items().stream().map(i -> new ImageHit(i.imageId(), i.tags(), i.hostCount(),
                            List.copyOf(packages.getOrDefault(i.key(), List.of())))).toList(), r.images().info(),
                    r.holders(), r.hosts().items().stream().map(h -> new HostHit(h.host(),
                            List.copyOf(held.getOrDefault(h.key(), List.of())), heldCount.getOrDefault(h.key(), 0)))
                            .toList(), r.hosts().info(), r.freshness(),
                    m.others(), packagesRead);
        });
    }

    /**
     * Sends what {@link #search} sends for the first pages (of {@link PageRequest#DEFAULT_LIMIT}) of a question's
     * images and hosts on {@code c}, in one transaction as the search does, and counts the page statements' rows
     * without making an answer of them: the bench's bare-SQL baseline of a package search, the API's own SQL without
     * the dashboard (as {@link LayerQuery#firstHostsPageRows} is for a layer's hosts).
     *
     * @return the rows of the images page and of the hosts page (each page's rows and the one past it)
     * @throws QueryException.InvalidParameter for bad syntax
     * @throws SQLException                    from the connection
     */
    public int firstPageRows(Connection c, String question) throws SQLException {
        PackageSpec spec = PackageSpec.parse(question);
        // A read-only pool's connections are REPEATABLE READ already (isReadOnly asks the driver, not the server;
        // getTransactionIsolation would be a round trip the API does not make).
        return Sql.inSnapshot(c, c.isReadOnly(),
                tx -> read(tx, match(tx, spec), PageRequest.first(), PageRequest.first(), policy).pageRows());
    }

    private record ImageRow(long key, String imageId, List<String> tags, int hostCount) {
    }

    private record HostRow(long key, HostStatus host) {
    }

    private record HeldRow(long host, int count, HeldImage image) {
    }

    private record ImageDatabase(long image, long db, int position) {
    }

    /** What a search's statements read after the versions: every row decoded, no answer made yet. */
    private record Read(int holders, Freshness freshness, List<MatchedDatabase> databases, Page<HostRow> hosts,
                        Page<ImageRow> images, List<HeldRow> held, List<ImageDatabase> pageDatabases, int pageRows) {
    }

    /**
     * A search's statements after the versions, in three round trips: the holders' set, the image counts, the
     * fleet's freshness and the matched databases; the hosts page (over the holders' keys) and the images page
     * (walked or gathered as the counts say); the page hosts' images and the page images' databases.
     */
    private static Read read(Connection c, Matched m, PageRequest imagesPage, PageRequest hostsPage,
                             Freshness.Policy policy) throws SQLException {
        List<Long> dbs = m.databases();
        Sql.Pipeline pipeline = new Sql.Pipeline();
        // Planned once per connection (STABLE_PLANS): index ranges of the matched databases and of V17's indexes,
        // whatever the parameters. The image counts' plan is made for them.
        pipeline.generic();
        var holderSet = pipeline.add(HOLDER_SET, PackageQuery::holderChunk, dbs);
        var freshnessRow = pipeline.add(Sql.freshnessSql("TRUE"), rs -> Sql.freshness(rs, policy),
                Sql.staleBefore(policy));
        var databaseRows = pipeline.add(DATABASES, rs -> new MatchedDatabase(rs.getLong("db_key"),
                rs.getString("ecosystem"), rs.getString("path"), rs.getString("diff_id"), rs.getInt("path_rank")), dbs);
        pipeline.custom();
        var imageCount = pipeline.add(IMAGE_COUNT, rs -> new ImageCounts(rs.getLong("matched"), rs.getLong("catalog"),
                Sql.longs(rs, "multi"), Sql.longs(rs, "extra")), m.otherPaths(), dbs, dbs, dbs);
        pipeline.run(c);
        List<HostSet.Chunk> holderRows = holderSet.rows();
        int holders = HostSet.count(holderRows);
        Freshness freshness = freshnessRow.rows().get(0);
        ImageCounts counts = imageCount.rows().get(0);

        Keyset imagesRead = walkImages(counts.matched(), counts.catalog(), imagesPage) ? WALK : GATHER;
        Sql.Pipeline second = new Sql.Pipeline();
        Keyset hostsRead = Keyset.walks(holders, freshness.hostCount(), hostsPage) ? WALK_HOSTS : GATHER_HOSTS;
        String holderBits = hostsRead == WALK_HOSTS ? HostSet.bits(holderRows) : null;
        Sql.RowMapper<HostRow> hostRow = rs -> new HostRow(rs.getLong("host_key"), Sql.host(rs, policy));
        var hostRows = hostsRead == WALK_HOSTS
                ? hostsRead.add(second, hostsPage, hostRow, holderBits.length(), holderBits)
                : hostsRead.add(second, hostsPage, hostRow, c.createArrayOf("integer", HostSet.keys(holderRows)));
        var imageRows = imagesRead.add(second, imagesPage, rs -> new ImageRow(rs.getLong("image_key"),
                rs.getString("image_id"), Sql.strings(rs, "tags"), rs.getInt("host_count")), dbs);
        Keyset.run(second, c);
        // WALK_HOSTS and GATHER_HOSTS page the same list by the same key.
        Page<HostRow> hosts = hostsRead.page(hostsPage, holders, hostRows.rows());
        // WALK and GATHER page the same list by the same key: either makes the page of the other's rows.
        Page<ImageRow> images = imagesRead.page(imagesPage, counts.matched(), imageRows.rows());
        List<Long> imageKeys = images.items().stream().map(ImageRow::key).toList();
        List<Long> hostKeys = hosts.items().stream().map(HostRow::key).toList();

        // Hosts share tag sets: each is decoded once (a text[] parsed per row was most of the rows' decoding).
        Map<Integer, List<String>> tagSets = new java.util.HashMap<>();
        Sql.Pipeline third = new Sql.Pipeline();
        // The page images' databases: one range of the primary key per image, planned once per connection.
        Sql.Pipeline.Part<ImageDatabase> packageRows = null;
        if (!imageKeys.isEmpty()) {
            third.generic();
            packageRows = third.add(PAGE_DATABASES,
                    rs -> new ImageDatabase(rs.getLong("image_key"), rs.getLong("db_key"), rs.getInt("position")),
                    imageKeys, dbs);
            third.custom();
        }
        boolean multi = !counts.multi().isEmpty();
        Object[] heldParams = multi
                ? new Object[]{hostKeys, dbs, counts.multi(), counts.multi(), counts.extra(), dbs}
                : new Object[]{hostKeys, dbs, dbs};
        var heldRows = hostKeys.isEmpty() ? null : third.add(multi ? HELD_LESS_MULTI : HELD_LESS_NONE, rs -> {
            int tagSet = rs.getInt("tag_set_key");
            List<String> tags = tagSets.get(tagSet);
            if (tags == null) {
                tags = Sql.strings(rs, "repo_tags");
                tagSets.put(tagSet, tags);
            }
            return new HeldRow(rs.getLong("host_key"), rs.getInt("held"), new HeldImage(rs.getString("image_id"), tags));
        }, heldParams);
        if (heldRows != null || packageRows != null) {
            third.run(c);
        }
        return new Read(holders, freshness, databaseRows.rows(), hosts, images,
                heldRows == null ? List.of() : heldRows.rows(), packageRows == null ? List.of() : packageRows.rows(),
                imageRows.rows().size() + hostRows.rows().size());
    }

    /**
     * Every (host, image, matching package) row, streamed in host ID order with no cap, from one snapshot: the
     * remediation export. Rows are fetched from the server in batches, so memory does not grow with the fleet.
     *
     * @throws QueryException.InvalidParameter for bad syntax
     * @throws QueryException wrapping whatever {@code sink} throws
     */
    public void export(String question, RowSink sink) {
        PackageSpec spec = PackageSpec.parse(question);
        Sql.inSnapshot(dataSource, "package export", c -> {
            Matched m = match(c, spec);
            try (var ps = c.prepareStatement(EXPORT)) {
                ps.setFetchSize(2_000);
                ps.setArray(1, c.createArrayOf("bigint", m.keys().toArray()));
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ExportRow row = new ExportRow(rs.getString("host_id"), rs.getString("image_id"),
                                Sql.strings(rs, "repo_tags"), rs.getString("ecosystem"), rs.getString("name"),
                                rs.getString("version"), rs.getString("architecture"));
                        try {
                            sink.accept(row);
                        } catch (RuntimeException e) {
                            throw e;
                        } catch (Exception e) {
                            throw new QueryException("export stopped: " + e.getMessage(), e);
                        }
                    }
                }
            }
            return null;
        });
    }

    private static final String IMAGE = "SELECT image_key, layer_count FROM images WHERE image_id = ?";

    private static final String LAYERS_READ = """
            SELECT count(*) FROM image_layers il JOIN layers l ON l.layer_key = il.layer_key
             WHERE il.image_key = ? AND EXISTS (SELECT 1 FROM package_layers pl WHERE pl.diff_id = l.diff_id)""";

    private static final String PACKAGES_OF_IMAGE = """
            SELECT ip.ecosystem, ip.name, ip.version, ip.architecture, ip.source_name, ip.source_version, ip.path,
                   ip.position, ip.diff_id
              FROM image_packages ip WHERE ip.image_key = ?
             ORDER BY ip.name, ip.ecosystem, ip.version, ip.architecture, ip.path""";

    /**
     * The effective packages of an image, by name.
     *
     * @param imageId a full image ID (resolve prefixes with {@link ImageQuery#resolve})
     * @throws QueryException.NotFound if the index has no such image
     */
    public ImagePackages ofImage(String imageId) {
        return Sql.inSnapshot(dataSource, "image packages", c -> {
            record Row(long key, Integer layers) {
            }
            List<Row> rows = Sql.list(c, IMAGE, rs -> new Row(rs.getLong(1), (Integer) rs.getObject(2)), imageId);
            if (rows.isEmpty()) {
                throw new QueryException.NotFound("no image " + imageId);
            }
            long key = rows.get(0).key();
            long read = Sql.list(c, LAYERS_READ, rs -> rs.getLong(1), key).get(0);
            return new ImagePackages(imageId, rows.get(0).layers(), (int) read,
                    Sql.list(c, PACKAGES_OF_IMAGE, PackageQuery::imagePackage, key));
        });
    }

    /**
     * What a question matched: the package keys (ascending), the package databases listing one of them (ascending,
     * distinct), those of them whose ecosystem and path are not the ones most of them have ({@code otherPaths}), and
     * the builds matched and left out.
     */
    private record Matched(List<Long> keys, List<Long> databases, List<Long> otherPaths, List<PackageVersion> versions,
                           List<PackageVersion> others, Map<Long, List<Listed>> listed) {
    }

    /**
     * A matched build as a database lists it, with the rank of its name and version among the name's builds in the
     * database's collation order (equal name and version, equal rank).
     */
    private record Listed(PackageVersion version, String sourceName, String sourceVersion, int nameRank) {
    }

    /** A matched package database: its ecosystem and path, the diff ID of the layer it is in, its path's rank. */
    private record MatchedDatabase(long key, String ecosystem, String path, String diffId, int pathRank) {
    }

    /**
     * The package databases ({@code package_databases.db_key}, ascending, distinct) listing a build a question
     * matches, by the rule {@link #search} applies: for baselines that time the rest of the answer as bare SQL over
     * these keys.
     *
     * @throws QueryException.InvalidParameter for bad syntax
     * @throws SQLException                    from the connection
     */
    public static List<Long> matchingDatabases(Connection c, String question) throws SQLException {
        return match(c, PackageSpec.parse(question)).databases();
    }

    /**
     * What a question matched, as {@link #search} uses it: the package keys (ascending), the package databases listing
     * one of them (ascending, distinct) and those of them off the path most of them have.
     */
    public record Matching(List<Long> packages, List<Long> databases, List<Long> otherPaths) {
    }

    /**
     * A question's {@link Matching}, by the rule {@link #search} applies: for baselines that read the rest of the
     * answer as bare SQL.
     *
     * @throws QueryException.InvalidParameter for bad syntax
     * @throws SQLException                    from the connection
     */
    public static Matching matching(Connection c, String question) throws SQLException {
        Matched m = match(c, PackageSpec.parse(question));
        return new Matching(m.keys(), m.databases(), m.otherPaths());
    }

    /**
     * The keys of the hosts holding an image that has one of {@code databases} (as {@link #matchingDatabases} gives
     * them), ascending, read as {@link #search} reads them: the union of the databases' host sets (V15). Retired hosts
     * hold nothing, so none is among them. For baselines, as {@link #matchingDatabases}.
     *
     * @throws SQLException from the connection
     */
    public static Integer[] holdingHosts(Connection c, List<Long> databases) throws SQLException {
        return HostSet.keys(Sql.list(c, HOLDER_SET, PackageQuery::holderChunk, databases));
    }

    private static Matched match(Connection c, PackageSpec spec) throws SQLException {
        record Row(long key, PackageVersion version, String sourceName, String sourceVersion, List<Long> dbs,
                   List<String> paths, int nameRank) {
            /** The version the question is about: the binary's by its name, else the source package's. */
            String asked(String name) {
                return version.name().equals(name) || sourceVersion == null ? version.version() : sourceVersion;
            }
        }
        // Two index ranges (name, source name) whatever the name: planned once per connection.
        List<Row> rows = Sql.listPlannedOnce(c, VERSIONS, rs -> new Row(rs.getLong(1), new PackageVersion(rs.getString(2),
                rs.getString(3), rs.getString(4), rs.getString(5)), rs.getString(6), rs.getString(7), Sql.longs(rs, "dbs"),
                Sql.strings(rs, "paths"), rs.getInt("name_rank")),
                spec.name(), spec.name());
        List<Long> keys = new ArrayList<>();
        java.util.TreeMap<Long, String> databases = new java.util.TreeMap<>();
        List<PackageVersion> versions = new ArrayList<>();
        List<PackageVersion> others = new ArrayList<>();
        Map<Long, List<Listed>> listed = new java.util.HashMap<>();
        for (Row r : rows) {
            if (spec.matches(PackageEcosystem.fromId(r.version().ecosystem()), r.asked(spec.name()))) {
                keys.add(r.key());
                for (int i = 0; i < r.dbs().size(); i++) {
                    databases.put(r.dbs().get(i), r.paths().get(i));
                    listed.computeIfAbsent(r.dbs().get(i), k -> new ArrayList<>())
                            .add(new Listed(r.version(), r.sourceName(), r.sourceVersion(), r.nameRank()));
                }
                if (!versions.contains(r.version())) {
                    versions.add(r.version());
                }
            } else if (!others.contains(r.version())) {
                others.add(r.version());
            }
        }
        keys.sort(null);
        Comparator<PackageVersion> order = Comparator.comparing(PackageVersion::ecosystem)
                .thenComparing((a, b) -> io.layeratlas.db.versions.VersionOrdering.of(PackageEcosystem.fromId(a.ecosystem()))
                        .compare(a.version(), b.version()))
                .thenComparing(v -> String.valueOf(v.architecture()));
        versions.sort(order);
        others.removeAll(versions); // a build listed under its binary name and its source name alike
        others.sort(order);
        Map<String, Long> byPath = new java.util.HashMap<>();
        databases.values().forEach(path -> byPath.merge(path, 1L, Long::sum));
        String most = byPath.entrySet().stream().max(Map.Entry.<String, Long>comparingByValue()
                .thenComparing(Map.Entry.comparingByKey())).map(Map.Entry::getKey).orElse(null);
        List<Long> otherPaths = databases.entrySet().stream().filter(e -> !e.getValue().equals(most))
                .map(Map.Entry::getKey).toList();
        return new Matched(keys, List.copyOf(databases.keySet()), otherPaths, versions, others, listed);
    }

    private static HostSet.Chunk holderChunk(java.sql.ResultSet rs) throws SQLException {
        return new HostSet.Chunk(rs.getInt("chunk"), rs.getString("hosts"));
    }

    private static ImagePackage imagePackage(java.sql.ResultSet rs) throws SQLException {
        return new ImagePackage(rs.getString("ecosystem"), rs.getString("name"), rs.getString("version"),
                rs.getString("architecture"), rs.getString("source_name"), rs.getString("source_version"),
                rs.getString("path"), rs.getInt("position"), rs.getString("diff_id"));
    }
}
