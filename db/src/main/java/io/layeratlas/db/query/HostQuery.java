package io.layeratlas.db.query;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The host aggregate: every agent with its liveness, and one host's images, layers and change log.
 * Retired hosts are left out. Thread-safe.
 */
public final class HostQuery {
    private final DataSource dataSource;
    private final Freshness.Policy policy;

    public HostQuery(DataSource dataSource, Freshness.Policy policy) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /**
     * A host in the list.
     *
     * @param storedBytes bytes of the distinct layers the host holds (what its disk holds, compression aside)
     * @param problems    scan problems its last snapshot reported
     */
    public record HostSummary(HostStatus status, long images, long layers, long storedBytes, int problems) {
    }

    /** How the host list can be ordered. */
    public enum Sort {
        HOST, HEARTBEAT, INVENTORY, VERSION, KIND, IMAGES, LAYERS, BYTES, STALE;

        /**
         * @throws QueryException.InvalidParameter for an unknown name
         */
        public static Sort parse(String name) {
            if (name == null || name.isBlank()) {
                return HOST;
            }
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new QueryException.InvalidParameter("unknown sort '" + Matches.shorten(name)
                        + "'; one of host, heartbeat, inventory, version, kind, images, layers, bytes, stale");
            }
        }
    }

    /**
     * One page of the host list.
     *
     * @param page      where it sits (total: every host that is not retired)
     * @param freshness of every host, not only this page's
     */
    public record HostList(List<HostSummary> hosts, PageInfo page, Freshness freshness) {
    }

    /** An image on the host with the sizes Docker's {@code docker system df -v} shows (bytes; -1 where unknown). */
    public record HostImage(String imageId, List<String> repoTags, List<String> repoDigests, Instant created, int containers,
                            long size, long sharedSize, long uniqueSize, Instant firstSeen, int hostCount) {
    }

    /** A layer on the host: since when, and on how many hosts of the fleet. Size in bytes, null if unknown. */
    public record HostLayer(String chainId, String diffId, Long size, Instant firstSeen, int hostCount) {
    }

    /**
     * One line of the change log: an image or layer (by image ID or chain ID, {@code subject} {@code image} or
     * {@code layer}) added to or removed from the host, or a repo tag ({@code subject} {@code tag}, the tag in
     * {@code tag}, the image ID in {@code digest}) that an image the host kept gained or lost. {@code tag} is null for
     * the other subjects; {@code change} is {@code added} or {@code removed}.
     */
    public record Change(long generation, Instant at, String change, String subject, String digest, String tag) {
    }

    /**
     * One host, with one page of each of its lists.
     *
     * @param images       tagged images first, newest first; {@code imagesPage.total()} counts the images of the list
     *                     asked for: those {@code docker image ls} shows, or with {@code -a} every image of the host
     * @param allImages    whether {@code images} lists every image ({@code -a}) or hides intermediate ones
     * @param imageCount   every image of the host ({@code docker image ls -a})
     * @param shownImageCount the images {@code docker image ls} shows ({@link FleetQuery#SHOWN})
     * @param layers       newest on the host first, ties newest to the fleet first; {@code layersPage.total()} equals
     *                     {@code layerCount}
     * @param changes      newest first; {@code changesPage.total()} is every line of its change log
     * @param problemsJson the last snapshot's scan problems, as the agent sent them (JSON array text)
     * @param containers   every container of the host (by name), as its last snapshot reported them
     */
    public record HostDetail(HostStatus status, List<HostImage> images, PageInfo imagesPage, List<HostLayer> layers,
                             PageInfo layersPage, long layerCount, long storedBytes, List<Change> changes,
                             PageInfo changesPage, String problemsJson, Freshness freshness, boolean allImages,
                             long imageCount, long shownImageCount, List<ContainerOnHost> containers) {
        public HostDetail {
            containers = containers == null ? List.of() : List.copyOf(containers);
        }
    }

    /** Pages of a host's three lists. */
    public record DetailPages(PageRequest images, PageRequest layers, PageRequest changes, boolean allImages) {
        /** Intermediate images hidden, as {@code docker image ls} hides them. */
        public DetailPages(PageRequest images, PageRequest layers, PageRequest changes) {
            this(images, layers, changes, false);
        }

        /** The first page of each. */
        public static DetailPages first() {
            return new DetailPages(PageRequest.first(), PageRequest.first(), PageRequest.first());
        }
    }

    // A host's totals are kept on its row by the indexer (V12, db.index.HostStore.recountTotals): image_count
    // (docker image ls -a), shown_image_count (docker image ls, SHOWN), layer_count, stored_bytes.
    private static final String LAST_REPORT = "coalesce(" + Sql.LAST_REPORT + ", '-infinity')";

    // The sort key is computed in the inner select so that a key with a parameter (STALE's threshold) binds it once.
    private static final String LIST = """
            SELECT *, {keys} FROM (
                SELECT %s, jsonb_array_length(h.problems) AS problems, h.image_count, h.layer_count, h.stored_bytes,
                       %%s AS sort_key
                  FROM hosts h WHERE h.retired_at IS NULL AND %s) x
             WHERE {keyset}
             {order}""".formatted(Sql.HOST_COLUMNS, Labels.FILTER);

    /** The host list's order by each sort: the key expression and its SQL type; the host ID breaks ties. */
    private static Keyset listKeyset(Sort sort, boolean descending) {
        String[] key = switch (sort) {
            case HOST -> new String[]{"h.host_id", "text"};
            case HEARTBEAT -> new String[]{"coalesce(h.last_heartbeat_at, '-infinity')", "timestamptz"};
            case INVENTORY -> new String[]{"coalesce(h.scanned_at, '-infinity')", "timestamptz"};
            case VERSION -> new String[]{"coalesce(h.agent_version, '')", "text"};
            case KIND -> new String[]{"coalesce(h.source_kind, '')", "text"};
            case IMAGES -> new String[]{"h.image_count", "integer"};
            case LAYERS -> new String[]{"h.layer_count", "integer"};
            case BYTES -> new String[]{"h.stored_bytes", "bigint"};
            // Stale sorts after live; the threshold is the template's only parameter.
            case STALE -> new String[]{"(" + LAST_REPORT + " < ?::timestamptz)", "boolean"};
        };
        return new Keyset(LIST.formatted(key[0]), List.of("x.sort_key", "x.host_id"), List.of(key[1], "text"), descending);
    }

    private static final java.util.Map<String, Keyset> LISTS = new java.util.HashMap<>();

    static {
        for (Sort sort : Sort.values()) {
            LISTS.put(sort + "/asc", listKeyset(sort, false));
            LISTS.put(sort + "/desc", listKeyset(sort, true));
        }
    }

    // The host with its totals, the length of its change log and its freshness: one round trip.
    private static final String ONE = """
            SELECT o.*, f.* FROM (
                SELECT %s, h.problems::text AS problems_json, h.image_count AS images, h.layer_count AS layers,
                       h.stored_bytes AS stored, h.shown_image_count AS shown, %s AS containers,
                       (SELECT coalesce(sum(cardinality(c.keys)), 0) FROM host_changes c
                         WHERE c.host_key = h.host_key) AS change_total
                  FROM hosts h WHERE h.host_id = ? AND h.retired_at IS NULL) o
            CROSS JOIN LATERAL (%s) f""".formatted(Sql.HOST_COLUMNS, Containers.of("h.host_key", null),
            Sql.freshnessSql("h.host_key = o.host_key"));

    // A host's lists are read in the round trip of its header (ONE, Sql.Pipeline), before its key is known: they name
    // the host by ID.
    private static final String HOST_KEY = "(SELECT hk.host_key FROM hosts hk WHERE hk.host_id = ?)";

    // The host's host_images rows are fenced (OFFSET 0), so they are read by primary key whatever the page's LIMIT:
    // unfenced, the generic plan (LIMIT unknown, a tenth of the rows assumed) could scan all of host_images in parallel
    // and sort it on the first key so that an incremental sort stops early (2,000 hosts during churn: 398k rows,
    // 15,938 shared hits, 95 ms; by primary key 3 ms; bench/results/host-page-2000.txt).
    // Each image's row by primary key (fenced, OFFSET 0): joined, the generic plan hashed all of `images` for a host's
    // few hundred (7,478 rows at 10,000 hosts: 5.7 ms, the fenced probes 3.0; EXPLAIN ANALYZE). The image's host count
    // is a scalar subquery, evaluated after the sort and LIMIT for the page's rows only (as the layers' below); joined,
    // image_usage was probed for every image the host shows (161 probes for 101 rows at 2,000 hosts).
    private static final String IMAGES_TEMPLATE = """
            SELECT i.image_id, hi.repo_tags, hi.repo_digests, i.created, hi.containers, hi.size, hi.shared_size,
                   hi.unique_size, hi.first_seen,
                   coalesce((SELECT u.host_count FROM image_usage u WHERE u.image_key = hi.image_key), 0) AS host_count,
                   {keys}
              FROM (SELECT y.host_key, y.image_key, y.tag_set_key, y.repo_tags, y.repo_digests, y.containers, y.size,
                           y.shared_size, y.unique_size, y.first_seen
                      FROM host_images y WHERE y.host_key = {host} OFFSET 0) hi
              CROSS JOIN LATERAL (SELECT x.image_id, x.created FROM images x WHERE x.image_key = hi.image_key OFFSET 0) i
             WHERE {shown} AND {keyset}
             {order}""".replace("{host}", HOST_KEY);
    private static final List<String> IMAGE_KEYS = List.of("cardinality(hi.repo_tags) > 0", "coalesce(i.created, '-infinity')", "i.image_id");
    private static final List<String> IMAGE_CASTS = List.of("boolean", "timestamptz", "text");
    /** Every image of a host ({@code docker image ls -a}). */
    private static final Keyset IMAGES = new Keyset(IMAGES_TEMPLATE.replace("{shown}", "TRUE"), IMAGE_KEYS, IMAGE_CASTS, true);
    /** The images {@code docker image ls} shows. */
    private static final Keyset SHOWN_IMAGES = new Keyset(IMAGES_TEMPLATE.replace("{shown}", FleetQuery.SHOWN), IMAGE_KEYS,
            IMAGE_CASTS, true);

    /**
     * A host's layers, newest on the host first, ties by layer key descending (newest to the fleet first; stable
     * across pages): the page is sorted and limited on host_layers' own columns in a subquery ({@code {limit}}), and
     * only its rows are joined to {@code layers} and print their keys ({@code {keys}} outside: printing a timestamp
     * for each of a host's 1,400 layers before the sort cost 0.6 ms). Ordered by chain ID, every layer of the host was
     * joined before the sort: at 10,000 hosts 1,000-1,400 probes of layers_pkey (3,000-4,600 buffers) for a page of
     * 101 (auto_explain, bench --scale full); a host of 1,400 layers, best of 50 on an idle box: 4.9 ms, now 1.2. A
     * chain ID is a hash, so it made the ties no easier to read. The layer's host count is a scalar subquery,
     * evaluated for the page's rows only (a join read all of layer_usage; bench/results/host-page-explain-small.txt).
     */
    private static final Keyset LAYERS = new Keyset("""
            SELECT l.chain_id, l.diff_id, l.size, hl.first_seen,
                   coalesce((SELECT u.host_count FROM layer_usage u WHERE u.layer_key = hl.layer_key), 0) AS host_count,
                   {keys}
              FROM (SELECT hl.layer_key, hl.first_seen
                      FROM host_layers hl
                     WHERE hl.host_key = {host} AND {keyset}
                     {order} {limit}) hl
              JOIN layers l ON l.layer_key = hl.layer_key
             {order}""".replace("{host}", HOST_KEY), List.of("hl.first_seen", "hl.layer_key"), List.of("timestamptz", "bigint"), true);

    /**
     * Every host, one page, ordered.
     *
     * @param descending reverse the order
     */
    public HostList list(Sort sort, boolean descending, PageRequest page) {
        return list(sort, descending, page, java.util.Map.of());
    }

    /**
     * Every host carrying every label of {@code labels} ({@link Labels}; empty = every host), one page, ordered;
     * the page's total and freshness count those hosts.
     */
    public HostList list(Sort sort, boolean descending, PageRequest page, java.util.Map<String, String> labels) {
        Objects.requireNonNull(sort, "sort");
        Keyset keyset = LISTS.get(sort + (descending ? "/desc" : "/asc"));
        String labelsJson = Labels.json(labels);
        return Sql.inSnapshot(dataSource, "host list", c -> {
            Freshness freshness = Sql.freshness(c, policy, Labels.FILTER, labelsJson);
            Sql.RowMapper<HostSummary> row = rs -> new HostSummary(Sql.host(rs, policy), rs.getLong("image_count"),
                    rs.getLong("layer_count"), rs.getLong("stored_bytes"), rs.getInt("problems"));
            Page<HostSummary> hosts = sort == Sort.STALE
                    ? keyset.page(c, page, freshness.hostCount(), row, java.sql.Timestamp.from(policy.staleBefore()), labelsJson)
                    : keyset.page(c, page, freshness.hostCount(), row, labelsJson);
            return new HostList(hosts.items(), hosts.info(), freshness);
        });
    }

    /**
     * One host, with one page of each of its lists.
     *
     * @throws QueryException.NotFound         for an unknown (or retired) host ID
     * @throws QueryException.InvalidParameter for a blank host ID or a cursor of another list
     */
    public HostDetail detail(String hostId, DetailPages pages) {
        if (hostId == null || hostId.isBlank()) {
            throw new QueryException.InvalidParameter("a host ID is required");
        }
        // One round trip for the header and the three lists (BEGIN rides along, and the pipeline ends with COMMIT):
        // under load each round trip waits for the server's and the dashboard's threads to be scheduled again.
        return Sql.inSnapshot(dataSource, "host detail", c -> {
            record Row(long key, HostStatus status, String problems, long images, long layers, long stored,
                       long shown, List<ContainerOnHost> containers, long changes, Freshness freshness) {
            }
            Reads<Row, HostImage, HostLayer, Change> read = add(hostId, pages, rs -> new Row(rs.getLong("host_key"),
                    Sql.host(rs, policy), rs.getString("problems_json"), rs.getLong("images"), rs.getLong("layers"),
                    rs.getLong("stored"), rs.getLong("shown"), Containers.parse(rs.getString("containers")),
                    rs.getLong("change_total"), Sql.freshness(rs, policy)),
                    rs -> new HostImage(rs.getString("image_id"), Sql.strings(rs, "repo_tags"),
                            Sql.strings(rs, "repo_digests"), Sql.instant(rs, "created"), rs.getInt("containers"),
                            rs.getLong("size"), rs.getLong("shared_size"), rs.getLong("unique_size"),
                            Sql.instant(rs, "first_seen"), rs.getInt("host_count")),
                    rs -> new HostLayer(rs.getString("chain_id"), rs.getString("diff_id"), Sql.nullableLong(rs, "size"),
                            Sql.instant(rs, "first_seen"), rs.getInt("host_count")),
                    HostQuery::change);
            Keyset.run(read.pipeline(), c);
            var one = read.header();
            if (one.rows().isEmpty()) {
                throw new QueryException.NotFound("no host '" + Matches.shorten(hostId) + "' in the index");
            }
            Row h = one.rows().get(0);
            Page<HostImage> images = imageList(pages).page(pages.images(), pages.allImages() ? h.images() : h.shown(),
                    read.images().rows());
            Page<HostLayer> layers = LAYERS.page(pages.layers(), h.layers(), read.layers().rows());
            Page<Change> changes = CHANGES.page(pages.changes(), h.changes(), read.changes().rows());
            return new HostDetail(h.status(), images.items(), images.info(), layers.items(), layers.info(), h.layers(),
                    h.stored(), changes.items(), changes.info(), h.problems(), h.freshness(), pages.allImages(),
                    h.images(), h.shown(), h.containers());
        });
    }

    /**
     * The SQL of a host's page alone, the bench's baseline for {@link #detail}: BEGIN, the header and the first page of
     * each list ({@code docker image ls}'s images, layers, change log) in one round trip with generic plans, then
     * COMMIT, as {@link #detail} sends them; every row is received, none is made into an answer.
     *
     * @param c a connection the caller owns (its transaction is this method's)
     * @return rows received: the header's one (none for an unknown host) and each list's, a row past each page included
     */
    public int firstPageRows(Connection c, String hostId) throws SQLException {
        return Sql.inSnapshot(c, c.isReadOnly(), tx -> {
            Sql.RowMapper<Boolean> row = rs -> Boolean.TRUE;
            var read = add(hostId, DetailPages.first(), row, row, row, row);
            Keyset.run(read.pipeline(), tx);
            return read.header().rows().size() + read.images().rows().size() + read.layers().rows().size()
                    + read.changes().rows().size();
        });
    }

    /** A host page's statements in one pipeline ({@link #add}), and the parts each list's rows come back in. */
    private record Reads<H, I, L, C>(Sql.Pipeline pipeline, Sql.Pipeline.Part<H> header,
                                     Sql.Pipeline.Part<Keyset.Keyed<I>> images, Sql.Pipeline.Part<Keyset.Keyed<L>> layers,
                                     Sql.Pipeline.Part<Keyset.Keyed<C>> changes) {
    }

    /**
     * The host page's statements, for {@link #detail} and its baseline {@link #firstPageRows} alike: BEGIN, the header
     * (ONE) and the page of each list, then COMMIT, in one pipeline with generic plans (run it with {@link Keyset#run}).
     */
    private <H, I, L, C> Reads<H, I, L, C> add(String hostId, DetailPages pages, Sql.RowMapper<H> header,
                                               Sql.RowMapper<I> image, Sql.RowMapper<L> layer, Sql.RowMapper<C> change) {
        Sql.Pipeline pipeline = new Sql.Pipeline(true);
        pipeline.generic();
        return new Reads<>(pipeline, pipeline.add(ONE, header, hostId, Sql.staleBefore(policy)),
                imageList(pages).add(pipeline, pages.images(), image, hostId),
                LAYERS.add(pipeline, pages.layers(), layer, hostId),
                CHANGES.add(pipeline, pages.changes(), change, hostId));
    }

    /** The images list a page asks for: every image ({@code -a}) or those {@code docker image ls} shows. */
    private static Keyset imageList(DetailPages pages) {
        return pages.allImages() ? IMAGES : SHOWN_IMAGES;
    }

    // A line is a row's subscript, and only the page's lines are read from the arrays: the rows are walked in the
    // page's direction ({direction}), and each gives at most a page of its subscripts past the cursor, in that
    // direction (generate_subscripts' reverse flag; a function scan returns its rows in the function's order, so no
    // sort), so the sort above stops after the rows the page reaches. Unnesting every row's keys and tags and sorting
    // them all cost 2.2-2.3 ms for a host of 1,617 lines at 10,000 hosts; this costs 0.8 ms, and 1.1-1.5 ms with a sort
    // of each row's subscripts (EXPLAIN ANALYZE, idle). A row's arrays are copied (|| '{}') once, where the row is read:
    // each subscript of a TOASTed array would fetch the whole array again.
    // The digest of each line is looked up by scalar subqueries, which PostgreSQL evaluates after the sort and LIMIT:
    // only the page's lines are looked up, where joins read every line of the log and all of images and layers.
    private static final Keyset CHANGES = new Keyset("""
            SELECT c.generation, c.at, c.change, c.subject,
                   CASE WHEN c.subject IN ('image', 'tag') THEN (SELECT i.image_id FROM images i WHERE i.image_key = k.key)
                        WHEN c.subject = 'layer' THEN (SELECT l.chain_id FROM layers l WHERE l.layer_key = k.key)
                   END AS digest, k.tag, {keys}
              FROM (SELECT x.change_id, x.generation, x.at, x.change, x.subject, x.keys || '{}'::bigint[] AS keys,
                           x.tags || '{}'::text[] AS tags
                      FROM host_changes x WHERE x.host_key = {host}
                     ORDER BY x.change_id {direction} OFFSET 0) c
              CROSS JOIN LATERAL (SELECT k.n, c.keys[k.n] AS key, c.tags[k.n] AS tag
                                    FROM generate_subscripts(c.keys, 1, '{direction}' = 'DESC') k(n)
                                   WHERE {keyset} {limit}) k
             {order} {limit}""".replace("{host}", HOST_KEY), List.of("c.change_id", "k.n"), List.of("bigint", "bigint"), true)
            .withLimitInSql();

    /** A line of {@link #CHANGES}: one page of a host's change log, newest first, its total ONE's change_total. */
    private static Change change(java.sql.ResultSet rs) throws SQLException {
        return new Change(rs.getLong("generation"), Sql.instant(rs, "at"), rs.getString("change"), rs.getString("subject"),
                rs.getString("digest"), rs.getString("tag"));
    }
}
