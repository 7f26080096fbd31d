package io.layeratlas.db.query;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.EventCodec;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The layer aggregate: which hosts hold a layer, and everything known about it.
 *
 * <p>A layer is asked for by diff ID (its content: every chain, on every host, whose top layer has this diff ID)
 * or by chain ID (one layer in one stack). A diff ID wins when the digest is both, as it is for a bottom layer
 * ({@code ChainID(L0) = DiffID(L0)}). Thread-safe; every call reads one consistent snapshot.
 */
public final class LayerQuery {
    private final DataSource dataSource;
    private final Freshness.Policy policy;
    private final int exportBatch;
    private final int probedImages;
    private final PageRead hostsRead;
    /** How many of this query's exports may read their holders on a second connection at once. */
    private final ExportHolders.Lanes exportLanes;

    public LayerQuery(DataSource dataSource, Freshness.Policy policy) {
        this(dataSource, policy, EXPORT_BATCH, PROBED_IMAGES);
    }

    /** With {@code exportBatch} rows per fetch of the export's cursor: tests cross fetches on a small fleet. */
    LayerQuery(DataSource dataSource, Freshness.Policy policy, int exportBatch) {
        this(dataSource, policy, exportBatch, PROBED_IMAGES);
    }

    /**
     * With {@code probedImages}, the most images of a layer whose page hosts' images are probed rather than scanned
     * ({@link #probeUses}; -1: always scanned): tests read a small fleet both ways.
     */
    LayerQuery(DataSource dataSource, Freshness.Policy policy, int exportBatch, int probedImages) {
        this(dataSource, policy, exportBatch, probedImages, PageRead.CHEAPEST);
    }

    /**
     * With {@code hostsRead}, the read of a page of a layer's hosts ({@link #read}) when it can serve the question
     * (SIFT only without a label filter): tests read a small fleet every way.
     */
    LayerQuery(DataSource dataSource, Freshness.Policy policy, int exportBatch, int probedImages, PageRead hostsRead) {
        this.hostsRead = Objects.requireNonNull(hostsRead, "hostsRead");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.policy = Objects.requireNonNull(policy, "policy");
        if (exportBatch < 1) {
            throw new IllegalArgumentException("exportBatch must be at least 1: " + exportBatch);
        }
        this.exportBatch = exportBatch;
        this.probedImages = probedImages;
        this.exportLanes = new ExportHolders.Lanes(dataSource);
    }

    /** How a layer question was understood. */
    public enum MatchedBy { DIFF_ID, CHAIN_ID }

    /**
     * A layer as identified by the question.
     *
     * @param digest    the full diff or chain ID
     * @param matchedBy which of the two it is
     * @param layerKeys the chain-ID rows it covers (internal keys; not for display)
     * @param chainIds  the chain ID of each of {@code layerKeys}, in the same order
     * @param spread    how widely it was held when resolved, for choosing how to read its pages
     */
    public record LayerRef(String digest, MatchedBy matchedBy, List<Long> layerKeys, List<String> chainIds,
                           Spread spread) {
        public LayerRef {
            layerKeys = List.copyOf(layerKeys);
            chainIds = List.copyOf(chainIds);
            if (layerKeys.size() != chainIds.size()) {
                throw new IllegalArgumentException("a chain ID for each layer key: " + layerKeys + " vs " + chainIds);
            }
        }

        /**
         * How widely a layer is held, by the usage counters summed over its chains (exact for one chain, an upper bound
         * for several): what {@link LayerQuery} reads a page by.
         *
         * @param holders hosts holding it
         * @param images  images held by a host that contain it
         * @param fleet   live and retired hosts in the index, PostgreSQL's estimate (pg_class.reltuples; 0: none yet)
         * @param holdings images held, one per host holding each: held_images' rows, PostgreSQL's estimate (as
         *                 {@code fleet})
         */
        public record Spread(long holders, long images, long fleet, long holdings) {
        }

        /** The chain ID of one of {@code layerKeys}. */
        String chainId(long layerKey) {
            int i = layerKeys.indexOf(layerKey);
            if (i < 0) {
                throw new IllegalStateException("layer key " + layerKey + " is not one of " + digest);
            }
            return chainIds.get(i);
        }
    }

    /** One chain ID with this layer on top. Sizes in bytes (null when no host reported it). */
    public record Chain(String chainId, String diffId, String parentChainId, Long size, String v1Id, Instant firstSeen,
                        int hostCount, int imageCount) {
    }

    /** A compressed (blob) form of the layer, as registries serve it. */
    public record Blob(String compressedDigest, String mediaType, String sourceRepository) {
    }

    /**
     * An image on a host that contains the layer, at {@code position} (0 = bottom) of its stack, with its tags and repo
     * digests on that host (an image pulled by digest has a repo digest and no tag).
     */
    public record ImageOnHost(String imageId, int position, String chainId, List<String> repoTags, List<String> repoDigests) {
    }

    /**
     * A host holding the layer: since when, which of its images contain it, and the host's containers that run one of
     * those images (none: the layer is only in images nothing runs there).
     */
    public record HostHolding(HostStatus host, Instant firstSeen, List<ImageOnHost> images, List<ContainerOnHost> containers) {
        public HostHolding {
            images = images instanceof Refs ? images : List.copyOf(images); // Refs are unmodifiable already
            containers = containers == null ? List.of() : List.copyOf(containers);
        }

        /** A holding without containers. */
        public HostHolding(HostStatus host, Instant firstSeen, List<ImageOnHost> images) {
            this(host, firstSeen, images, List.of());
        }

        /** The image IDs, for the short API answer: each once, in the order of {@code images}. */
        public List<String> imageIds() {
            // The answers list images by image ID, then position: while the IDs ascend, one that differs from the
            // last is new, with no lookup (the exports ask this of every host: ArrayList.contains, then a hash set,
            // were a tenth of the CSV export's JFR samples at 10,000 hosts). Out of order, a set of those taken.
            List<String> ids = new ArrayList<>(images.size());
            Set<String> seen = null;
            String last = null;
            for (ImageOnHost i : images) {
                String id = i.imageId();
                if (last != null) {
                    int order = id == last ? 0 : id.compareTo(last);
                    if (order == 0) {
                        continue;
                    }
                    if (order < 0 && seen == null) {
                        seen = new HashSet<>(ids);
                    }
                }
                if (seen == null || seen.add(id)) {
                    ids.add(id);
                }
                last = id;
            }
            return java.util.Collections.unmodifiableList(ids);
        }
    }

    /**
     * The image refs of one export, numbered 0, 1, 2… as they are added, each image ID numbered likewise among the
     * distinct IDs (by {@code equals}): {@link #exportHosts} adds each (image, tag set, place) once and gives every
     * host its images as {@link Refs}, numbers into this table, so a writer can keep what it wrote of a ref or an image
     * ID in an array by number instead of a map, and no list of refs is built and copied per host (JFR of 40 JSON
     * exports at 10,000 hosts: the writer's maps and each host's list of image IDs ~a fifth of its samples, building
     * each host's list of refs and copying it ~a tenth of the export's). Refs are only added, never changed. Not
     * thread-safe: filled by one thread, which hands each host on after adding its refs.
     */
    public static final class RefTable {
        private ImageOnHost[] refs = new ImageOnHost[64];
        private int[] imageOf = new int[64];
        private int size;
        private final Map<String, Integer> images = new HashMap<>();

        /** Adds {@code ref} and returns its number (a ref added twice has two numbers). */
        public int add(ImageOnHost ref) {
            Objects.requireNonNull(ref, "ref");
            if (size == refs.length) {
                refs = Arrays.copyOf(refs, 2 * size);
                imageOf = Arrays.copyOf(imageOf, 2 * size);
            }
            Integer image = images.get(ref.imageId());
            if (image == null) {
                image = images.size();
                images.put(ref.imageId(), image);
            }
            refs[size] = ref;
            imageOf[size] = image;
            return size++;
        }

        /** The ref numbered {@code number}. */
        public ImageOnHost ref(int number) {
            Objects.checkIndex(number, size);
            return refs[number];
        }

        /** The number of the image ID of ref {@code number}: equal IDs, equal numbers; 0 to {@link #imageCount}. */
        public int image(int number) {
            Objects.checkIndex(number, size);
            return imageOf[number];
        }

        /** How many refs were added: their numbers are below it. */
        public int size() {
            return size;
        }

        /** How many distinct image IDs the refs have. */
        public int imageCount() {
            return images.size();
        }

        /** The refs numbered {@code numbers}, in that order, as a host's images; the array is the list's own. */
        public Refs list(int... numbers) {
            for (int n : numbers) {
                Objects.checkIndex(n, size);
            }
            return new Refs(this, numbers);
        }
    }

    /**
     * A host's images as numbers into its export's {@link RefTable}: an unmodifiable list of the table's refs, the
     * same instance wherever a ref is held. {@link #number} and {@link #table} let a writer look up by number what it
     * wrote of a ref; everyone else reads a list.
     */
    public static final class Refs extends java.util.AbstractList<ImageOnHost> implements java.util.RandomAccess {
        private final RefTable table;
        private final int[] numbers;

        private Refs(RefTable table, int[] numbers) {
            this.table = table;
            this.numbers = numbers;
        }

        @Override
        public ImageOnHost get(int index) {
            return table.refs[numbers[index]];
        }

        @Override
        public int size() {
            return numbers.length;
        }

        /** The table's number of the ref at {@code index}. */
        public int number(int index) {
            return numbers[index];
        }

        /** The table the numbers are of. */
        public RefTable table() {
            return table;
        }
    }

    /** An image (fleet-wide) containing the layer, with the tags hosts gave it and on how many hosts it is. */
    public record ImageContaining(String imageId, int position, List<String> repoTags, int hostCount, Instant created) {
    }

    /**
     * Everything about a layer, with one page of its hosts and one of the images containing it.
     *
     * @param size       bytes of the layer alone (largest reported over its chains), null if unknown
     * @param hostCount  hosts holding it (retired hosts excluded): every page's hosts
     * @param hostsPage  where {@code hosts} sits in the list of all its hosts (by host ID)
     * @param imageCount images held by at least one host that contain it: every page's images
     * @param imagesPage where {@code images} sits in that list (most widely held first)
     * @param freshness  as {@link LayerHosts#freshness}
     */
    public record LayerDetail(String digest, MatchedBy matchedBy, String diffId, List<Chain> chains, List<Blob> blobs,
                              Long size, int hostCount, List<HostHolding> hosts, PageInfo hostsPage, long imageCount,
                              List<ImageContaining> images, PageInfo imagesPage, Freshness freshness) {
    }

    /**
     * Everything about a layer as {@link LayerDetail}, its page of hosts compact: the same {@link CompactHosts} page
     * {@link #compactHosts} answers (its {@code hostCount}, {@code freshness} and page info are the layer's).
     *
     * @param size       as {@link LayerDetail#size}
     * @param hosts      one page of the hosts holding it, compactly
     * @param imageCount as {@link LayerDetail#imageCount}
     * @param imagesPage as {@link LayerDetail#imagesPage}
     */
    public record CompactLayerDetail(String digest, MatchedBy matchedBy, String diffId, List<Chain> chains,
                                     List<Blob> blobs, Long size, CompactHosts hosts, long imageCount,
                                     List<ImageContaining> images, PageInfo imagesPage) {
    }

    /**
     * One page of the remediation list: hosts holding the layer, by host ID.
     *
     * @param hostCount every page's hosts
     * @param freshness of every live host (carrying the labels asked for), holder or not: each answered whether it
     *                  holds the layer, and a stale one may hold it by now
     */
    public record LayerHosts(String digest, MatchedBy matchedBy, int hostCount, List<HostHolding> hosts, PageInfo page,
                             Freshness freshness) {
    }

    /**
     * Where the layer sits in an image: at {@code position} (0 = bottom) of its stack, as chain {@code chainId}. The
     * same on every host holding the image.
     */
    public record LayerInImage(String imageId, int position, String chainId) {
    }

    /**
     * A host holding the layer, compactly: since when, the IDs of its images containing it (each once, by image ID;
     * where the layer sits in them is the page's {@link CompactHosts#images}), and its containers running one of them.
     */
    public record CompactHost(HostStatus host, Instant firstSeen, List<String> imageIds, List<ContainerOnHost> containers) {
        public CompactHost {
            imageIds = List.copyOf(imageIds);
            containers = List.copyOf(containers);
        }
    }

    /**
     * One page of the remediation list, compactly ({@link #compactHosts}).
     *
     * @param hostCount every page's hosts
     * @param images    the page hosts' images containing the layer, each (image ID, position) once, by image ID then
     *                  position
     * @param freshness as {@link LayerHosts#freshness}
     */
    public record CompactHosts(String digest, MatchedBy matchedBy, int hostCount, List<LayerInImage> images,
                               List<CompactHost> hosts, PageInfo page, Freshness freshness) {
        public CompactHosts {
            images = List.copyOf(images);
            hosts = List.copyOf(hosts);
        }
    }

    /** Receives the hosts of {@link #exportHosts}, one at a time, in host ID order. */
    @FunctionalInterface
    public interface HostSink {
        void accept(HostHolding host) throws Exception;
    }

    /** PostgreSQL's estimate of a table's rows ({@code pg_class.reltuples}, 0 before it has one), as a column. */
    private static String estimatedRows(String table) {
        return "(SELECT greatest(c.reltuples, 0)::bigint FROM pg_class c WHERE c.oid = '" + table + "'::regclass)";
    }

    private static final String EXACT = """
            SELECT l.layer_key, l.chain_id, l.diff_id, coalesce(u.host_count, 0) AS holders,
                   coalesce(u.image_count, 0) AS images, %s AS fleet, %s AS holdings
              FROM layers l LEFT JOIN layer_usage u ON u.layer_key = l.layer_key
             WHERE l.diff_id = ? OR l.chain_id = ?""".formatted(estimatedRows("hosts"), estimatedRows("held_images"));

    private static final String PREFIX = """
            (SELECT DISTINCT 'diff ID' AS what, diff_id AS digest FROM layers
              WHERE diff_id ~>=~ ? AND diff_id ~<~ ? LIMIT 21)
            UNION
            (SELECT DISTINCT 'chain ID', chain_id FROM layers
              WHERE chain_id ~>=~ ? AND chain_id ~<~ ? LIMIT 21)
            ORDER BY 2, 1""";

    /**
     * Resolves a full diff or chain ID, or a unique hex prefix of at least 12 characters.
     *
     * @throws QueryException.InvalidParameter for a malformed digest or prefix
     * @throws QueryException.NotFound         if no layer matches
     * @throws QueryException.Ambiguous        if the prefix matches several layers (candidates listed)
     */
    public LayerRef resolve(String digestOrPrefix) {
        Matches.DigestPrefix d = Matches.parseDigest(digestOrPrefix);
        // A layer's keys never change once written: no snapshot to share, so one round trip (two for a prefix).
        return Sql.oneStatement(dataSource, "resolve layer", c -> resolve(c, d));
    }

    LayerRef resolve(Connection c, Matches.DigestPrefix d) throws SQLException {
        String digest = d.text();
        if (!d.complete()) {
            List<Match> found = Matches.distinct(Sql.list(c, PREFIX,
                    rs -> new Match(Match.Kind.LAYER, rs.getString("what"), rs.getString("digest"), ""),
                    d.low(), d.high(), d.low(), d.high()));
            if (found.isEmpty()) {
                throw new QueryException.NotFound("no layer has a diff or chain ID starting with " + digest);
            }
            if (found.size() > 1) {
                throw new QueryException.Ambiguous(
                        "several layers start with " + digest, found.subList(0, Math.min(found.size(), Matches.LIMIT)));
            }
            digest = found.get(0).key();
        }
        record Row(long key, String chainId, String diffId, long holders, long images, long fleet, long holdings) {
        }
        String q = digest;
        // Two unique-index probes whatever the digest: planned once per connection, where its custom plan cost
        // 0.29 ms of planning to 0.15 ms of execution (1,000 simulated hosts, EXPLAIN ANALYZE).
        List<Row> rows = Sql.listPlannedOnce(c, EXACT, rs -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3),
                rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7)), q, q);
        List<Row> byDiff = rows.stream().filter(r -> r.diffId().equals(q)).toList();
        List<Row> matched = byDiff.isEmpty() ? rows.stream().filter(r -> r.chainId().equals(q)).toList() : byDiff;
        if (!matched.isEmpty()) {
            return new LayerRef(q, byDiff.isEmpty() ? MatchedBy.CHAIN_ID : MatchedBy.DIFF_ID,
                    matched.stream().map(Row::key).toList(), matched.stream().map(Row::chainId).toList(),
                    new LayerRef.Spread(matched.stream().mapToLong(Row::holders).sum(),
                            matched.stream().mapToLong(Row::images).sum(), matched.get(0).fleet(),
                            matched.get(0).holdings()));
        }
        throw new QueryException.NotFound("no layer has diff or chain ID " + q);
    }

    // The chains with the layer on top, each row also carrying the layer's blobs (JSON [[digest, media type,
    // repository]…] by digest) and how many images held by some host contain it: one round trip for the three.
    // Planned once per connection (detail): the count probes each of the layer's images' usage row by primary key (a
    // scalar subquery), a shape that does not hang on estimates. Joined, the generic plan hashed all of image_usage
    // (1.6 ms against 0.8 custom, 10,000 hosts). Probed, the custom and generic plans read the same buffers (10,000
    // hosts of simulate, EXPLAIN ANALYZE of the prepared text: 2,427, 118 and 19 for layers in 673, 26 and 1 images)
    // and the generic ones spare 0.34-0.71 ms of planning an answer.
    private static final String CHAINS = """
            SELECT l.chain_id, l.diff_id, l.parent_chain_id, l.size, l.v1_id, l.first_seen,
                   coalesce(u.host_count, 0) AS host_count, coalesce(u.image_count, 0) AS image_count,
                   (SELECT json_agg(json_build_array(b.compressed_digest, b.media_type, b.source_repository)
                                    ORDER BY b.compressed_digest)
                      FROM layer_blobs b
                     WHERE b.diff_id IN (SELECT x.diff_id FROM layers x WHERE x.layer_key = ANY (?))) AS blobs_json,
                   (SELECT count(*) FROM image_layers il
                     WHERE il.layer_key = ANY (?)
                       AND (SELECT iu.host_count FROM image_usage iu WHERE iu.image_key = il.image_key) > 0)
                   AS images_total
              FROM layers l LEFT JOIN layer_usage u ON u.layer_key = l.layer_key
             WHERE l.layer_key = ANY (?)
             ORDER BY u.host_count DESC NULLS LAST, l.chain_id""";

    // When host h first held any chain of the layer: a subplan PostgreSQL runs for the rows a page keeps only (after
    // its sort and limit), reading those rows' first_seen alone (in host_layers_layer's entries since V21).
    private static final String FIRST_HELD = """
            (SELECT min(hl.first_seen) FROM host_layers hl WHERE hl.host_key = h.host_key AND hl.layer_key = ANY (?))""";

    // A host is in the list when it holds any chain of the layer.
    private static final String HOLDS = """
            EXISTS (SELECT 1 FROM host_layers hl WHERE hl.host_key = h.host_key AND hl.layer_key = ANY (?))""";

    /**
     * {@link #HOLDS} as the walk asks it: a scalar subquery (LIMIT 1), which PostgreSQL runs once per host walked, one
     * probe of host_layers_layer. As EXISTS the planner turned it into a semi-join or a hashed subplan that reads every
     * holder first: at 10,000 hosts, for a layer on 4,277 hosts in one image, the custom plan read all 4,277 entries and
     * their hosts (18,070 buffers, 48-72 ms) where the walk's 228 probes read 1,612 (11 ms;
     * bench/results/layer-hosts-walk-10000.txt).
     */
    private static final String WALK_HOLDS = """
            coalesce((SELECT true FROM host_layers hl WHERE hl.host_key = h.host_key AND hl.layer_key = ANY (?) LIMIT 1),
                     false)""";

    /**
     * A page of the layer's hosts by walking the live hosts in host ID order (hosts_host_id_key) and keeping those that
     * hold it ({@link #WALK_HOLDS}) and carry the labels ({@code filter}): it stops after the page's hosts, about
     * {@code limit × fleet / holders} probes, so it is the read for a layer many hosts hold. Parameters: the layer
     * keys (first seen), the layer keys, the filter's.
     */
    private static Keyset walk(String filter) {
        return new Keyset("""
                SELECT %s, {keys}, %s AS layer_first_seen
                  FROM hosts h
                 WHERE h.retired_at IS NULL AND %s AND %s AND {keyset}
                 {order}""".formatted(Sql.HOST_COLUMNS, FIRST_HELD, WALK_HOLDS, filter), List.of("h.host_id"),
                List.of("text"), false);
    }

    /** {@link #walk(String)} of the hosts carrying the labels asked for ({@link Labels#FILTER}). */
    private static final Keyset WALK = walk(Labels.FILTER);

    /**
     * {@link #walk(String)} of every live host, with no label filter and the page's limit written in the SQL, so that
     * it can be planned once per connection ({@link #addPlannedOnce}): a generic plan must know the limit to stop after
     * the page, and with the filter it read every host carrying the labels bound ({@code '{}'}: all of them) by the
     * labels' GIN index and sorted them, where the walk stops after the page (10,000 hosts, a base layer, EXPLAIN
     * ANALYZE of the prepared text: 31,356 buffers and 70 ms against 736 buffers).
     */
    private static final Keyset WALK_ALL = walk("TRUE").withLimitInSql();

    /**
     * Every live host holding the layer, with when it first held it: the layer's entries of host_layers_layer (an
     * index-only scan), then each holder's row by primary key (the fenced LATERAL: joined, the planner hashed all 10,000 hosts of the full-scale
     * fleet for a layer on 950 of them). Costs about the holders' count, so it is the read for a layer few hosts hold
     * ({@link #GATHER}). A {@link Keyset} template; parameters: the layer keys (first held), the layer keys, the
     * labels.
     */
    private static final String HOLDERS = """
            SELECT %s, {keys}%s AS layer_first_seen
              FROM (SELECT DISTINCT hl.host_key FROM host_layers hl WHERE hl.layer_key = ANY (?)) x
              CROSS JOIN LATERAL (SELECT * FROM hosts hh WHERE hh.host_key = x.host_key OFFSET 0) h
             WHERE h.retired_at IS NULL AND %s AND {keyset}
             {order}""".formatted(Sql.HOST_COLUMNS, FIRST_HELD, Labels.FILTER);

    /** A page of {@link #HOLDERS}: the same list and cursors as {@link #WALK}, read the other way. */
    private static final Keyset GATHER = new Keyset(HOLDERS.replace("{keys}", "{keys}, "), List.of("h.host_id"),
            List.of("text"), false);

    /**
     * A page of the layer's hosts with no label filter, by walking V23's {@code live_hosts_by_id} in host ID order (an
     * index-only scan: no host row is read for a host that does not hold the layer) and keeping the hosts found in a
     * hash of the layer's holders (host_layers_layer, index-only; the {@code OR false} keeps PostgreSQL from turning
     * the test into a join that would read and sort every live host), then reading the page's hosts whole. It costs
     * about the holders plus {@code limit × fleet / holders} index entries, each a fraction of the probe
     * {@link #WALK} or {@link #GATHER} pays per host, so it is the read for a layer on some hundreds to some thousands
     * of hosts ({@link #read}). Parameters: the layer keys (first held), the layer keys.
     */
    private static final Keyset SIFT = new Keyset("""
            SELECT %s, {keys}, %s AS layer_first_seen
              FROM (SELECT h.host_key FROM live_hosts h
                     WHERE (h.host_key IN (SELECT hl.host_key FROM host_layers hl WHERE hl.layer_key = ANY (?)) OR false)
                       AND {keyset}
                     {order} {limit}) s
              CROSS JOIN LATERAL (SELECT * FROM hosts hh WHERE hh.host_key = s.host_key OFFSET 0) h
             {order}""".formatted(Sql.HOST_COLUMNS, FIRST_HELD), List.of("h.host_id"), List.of("text"), false);

    /**
     * How a page of the layer's hosts is read, by the counts {@link LayerRef} was resolved with: whichever of
     * {@link #GATHER} (a probe of a host's row per holder), {@link #WALK} (a probe of host_layers per host walked,
     * {@code (limit + 1) × fleet / holders} of them) and, with no label filter, {@link #SIFT} (an index entry per
     * holder and per host walked) reads least, a probe counted as {@value #PROBE_COST} index entries (10,000 hosts,
     * best of 30 on an idle box: ~2.5 µs a holder probed, ~0.2 µs an entry). A fleet PostgreSQL has not estimated yet is
     * gathered.
     */
    private Keyset read(LayerRef ref, PageRequest page, boolean labelled) {
        if (hostsRead != PageRead.CHEAPEST) {
            return hostsRead == PageRead.WALK ? walkFor(labelled)
                    : hostsRead == PageRead.SIFT && !labelled ? SIFT : GATHER;
        }
        long holders = ref.spread().holders();
        long fleet = ref.spread().fleet();
        if (!labelled && fleet > 0 && holders > 0) {
            double walked = (double) (page.limit() + 1) * fleet / holders; // hosts walked, index entries sifted
            if (holders + walked < PROBE_COST * Math.min(holders, walked)) {
                return SIFT;
            }
        }
        // Between the two probing reads, the cheaper probes fewer hosts: Keyset.walks, the rule the package search's
        // hosts page shares.
        return Keyset.walks(holders, fleet, page) ? walkFor(labelled) : GATHER;
    }

    /** The walk for a question with or without labels: {@link #WALK} or {@link #WALK_ALL}. */
    private static Keyset walkFor(boolean labelled) {
        return labelled ? WALK : WALK_ALL;
    }

    /** What a probe of a row by primary key costs in index entries read in order ({@link #read}). */
    private static final int PROBE_COST = 10;

    /** Which read {@link #read} picks: the cheapest by its counts, or one named (tests). */
    enum PageRead { CHEAPEST, GATHER, WALK, SIFT }

    /**
     * How many hosts hold the layer, as one column {@code holders}: its usage counter when it is one chain and no label
     * filters the hosts (a retired host holds nothing), else counted. Adds its parameters to {@code params}.
     */
    private static String holdersCount(LayerRef ref, boolean labelled, String labelsJson, List<Object> params) {
        params.add(ref.layerKeys());
        if (ref.layerKeys().size() == 1 && !labelled) {
            return "SELECT coalesce(sum(u.host_count), 0) AS holders FROM layer_usage u WHERE u.layer_key = ANY (?)";
        }
        params.add(labelsJson);
        return "SELECT count(*) AS holders FROM hosts h WHERE h.retired_at IS NULL AND " + HOLDS + " AND " + Labels.FILTER;
    }

    // The images containing the layer, one row per (image, position of the layer in it), with the image ID: read once
    // per statement (MATERIALIZED, the parameter is the layer keys), then joined with the host_images rows of the
    // hosts asked about. The chain ID of each image's layer is the layer key's ({@link LayerRef#chainId}): joining
    // {@code layers} for it cost a scan of the whole table per answer. Each image ID is read by primary key (the fenced
    // LATERAL): joined, the planner hashed a sequential scan of all images for a base layer (10,000 hosts: 7,478 images
    // hashed for the 502 containing it, median 9.5 ms against 3.1 ms, bench/results/layer-hosts-walk-10000.txt).
    private static final String LAYER_IMAGES = """
            li AS MATERIALIZED (
                SELECT il.image_key, il.position, il.layer_key, i.image_id
                  FROM image_layers il
                  CROSS JOIN LATERAL (SELECT x.image_id FROM images x WHERE x.image_key = il.image_key OFFSET 0) i
                 WHERE il.layer_key = ANY (?))""";

    /**
     * What a page host's images containing the layer carry, as the columns of one row per host aggregated over rows of
     * li ({@link #LAYER_IMAGES}) joined with the host's host_images rows hi, and the host_images columns that needs.
     * Both give {@code image_ids} ({@code text[]}), which {@link #usesColumns} reads the containers by.
     */
    private enum Uses {
        /**
         * {@code images_json}: one JSON array {@code [[image_id, position, layer_key, repo_tags, repo_digests]…]} by
         * image ID and position, for {@link ImageOnHost}: the host's own tags and repo digests of each image.
         */
        REFS("""
                json_agg(json_build_array(li.image_id, li.position, li.layer_key, hi.repo_tags, hi.repo_digests)
                         ORDER BY li.image_id, li.position) AS images_json,
                array_agg(li.image_id) AS image_ids""", "x.repo_tags, x.repo_digests"),
        /**
         * Three aligned arrays by image ID and position ({@code image_ids}, {@code positions}, {@code layer_keys}),
         * no tags: read as plain arrays, where the JSON above was built by PostgreSQL and parsed again in Java. Its rows
         * are read from held_images, not the host_images view: PostgreSQL removes the view's join with tag_sets but
         * then reads the table's heap for each row (Index Scan or Bitmap Heap Scan), where the table alone is an
         * index-only scan of its primary key (10,000 hosts, a base layer's page: 20,606 rows, 4,829 buffers of the
         * statement's 5,369, auto_explain; PostgreSQL 17.6 on a 2,000,000-row copy, 545 buffers against 106).
         */
        IDS("""
                array_agg(li.image_id ORDER BY li.image_id, li.position) AS image_ids,
                array_agg(li.position ORDER BY li.image_id, li.position) AS positions,
                array_agg(li.layer_key ORDER BY li.image_id, li.position) AS layer_keys""", null);

        final String scanned;
        final String probed;

        Uses(String columns, String tagColumns) {
            String read = "x.host_key, x.image_key" + (tagColumns == null ? "" : ", " + tagColumns);
            String from = tagColumns == null ? "held_images" : "host_images";
            this.scanned = PAGE_USES_SCANNED.formatted(columns, read, from);
            this.probed = PAGE_USES_PROBED.formatted(columns, read, from);
        }
    }

    /**
     * The images containing the layer of each host of a page ({@code p}, a CTE with {@code host_key}), one row per host
     * with the columns of a {@link Uses} (first {@code %s}; the second, the columns it reads; the third, the view or
     * table it reads them from), read one of two ways ({@link #probeUses}), each fenced (OFFSET 0) from the planner's
     * other choice. Scanned: the page's
     * host_images rows by primary key (a few hundred a host), hashed against the layer's images
     * ({@link #LAYER_IMAGES}); probed: the primary key for each image of the layer, over the page hosts' keys. Scanning
     * costs about the page hosts' images (20,000 rows for 101 hosts of 200 images), probing about the layer's images
     * ({@link #probeUses} chooses).
     */
    private static final String PAGE_USES_SCANNED = """
            u AS (SELECT hi.host_key, %s
                    FROM (SELECT %s FROM %s x
                           WHERE x.host_key = ANY (ARRAY(SELECT p.host_key FROM p)) OFFSET 0) hi
                    JOIN li ON li.image_key = hi.image_key
                   GROUP BY hi.host_key)""";

    /** {@link #PAGE_USES_SCANNED}'s other way: the page hosts' rows of each image of the layer, by primary key. */
    private static final String PAGE_USES_PROBED = """
            u AS (SELECT hi.host_key, %s
                    FROM li CROSS JOIN LATERAL (
                         SELECT %s FROM %s x
                          WHERE x.host_key = ANY (ARRAY(SELECT p.host_key FROM p)) AND x.image_key = li.image_key
                         OFFSET 0) hi
                   GROUP BY hi.host_key)""";

    /**
     * Whether a page's images are probed ({@link #PAGE_USES_PROBED}) rather than scanned: when the layer is in no more
     * images than a host holds on average ({@link LayerRef.Spread}: held_images' rows over the hosts, PostgreSQL's
     * estimates) or in at most {@code probedImages} ({@code -1}: never). A probe per image of the layer costs about
     * what scanning costs per image of a page host: on 10,000 simulated hosts of 200 images, for 101 page hosts,
     * probing took 0.22, 0.64, 1.75, 4.1, 9.3 and 19.4 ms for layers in 17, 64, 209, 502, 1,295 and 2,760 images,
     * scanning 2.8, 2.9, 3.9, 4.5, 5.0 and 6.2 (EXPLAIN ANALYZE, PostgreSQL 17, idle;
     * bench/results/layer-uses-10000.txt): probing wins up to about 2.5 times a host's images, so choosing it up to
     * one time keeps a margin. A wrong estimate costs time, never rows. Until 2026-12-06 only layers in up to 16 images
     * were probed.
     */
    private boolean probeUses(LayerRef ref) {
        if (probedImages < 0) {
            return false;
        }
        LayerRef.Spread s = ref.spread();
        long perHost = s.fleet() > 0 ? s.holdings() / s.fleet() : 0;
        return s.images() <= Math.max(probedImages, perHost);
    }

    private static final int PROBED_IMAGES = 16;

    /**
     * The columns a row of {@code u} ({@link Uses}) adds to its host's, with the host's containers running one of its
     * images ({@code hostKey}: the host's key).
     */
    private static String usesColumns(Uses uses, String hostKey) {
        String containers = Containers.ofAny(hostKey, "u.image_ids") + " AS containers";
        return switch (uses) {
            case REFS -> "u.images_json, " + containers;
            case IDS -> "u.image_ids, u.positions, u.layer_keys, " + containers;
        };
    }

    /**
     * One statement answers the remediation list of a resolved layer: the freshness of the fleet's hosts (every one of
     * them answers "do you hold it?": a stale host that holds nothing may hold it by now), how many hold it, one page
     * of them, each page host's images containing the layer ({@code uses}) and its containers running one of them; one
     * row per host of the page (a single row with no host columns when the page is empty), in page order. The layer
     * keys are parameters, so the planner sees them (keys derived inside the statement hid them and cost a sequential
     * scan of host_layers). The page is cut first ({@link #read}: by walking the fleet, gathering the holders or
     * sifting the live hosts, whichever reads less), its hosts' images are read for the page only
     * ({@link #PAGE_USES_SCANNED}), and the count comes from the usage counter where it can ({@link #holdersCount}): a
     * page of the base layer of 10,000 hosts reads about what a page of a layer on ten hosts does.
     *
     * @return the SQL and its parameters
     */
    private Statement hostsStatement(LayerRef ref, PageRequest page, String labelsJson, Uses uses) {
        boolean labelled = !Labels.none(labelsJson);
        Keyset keyset = read(ref, page, labelled);
        List<Long> keys = ref.layerKeys();
        List<Object> params = new ArrayList<>(List.of(Sql.staleBefore(policy)));
        if (labelled) {
            params.add(labelsJson);
        }
        String count = holdersCount(ref, labelled, labelsJson, params);
        params.add(keys); // li
        params.addAll(List.of(keys, keys)); // every read's alike
        if (keyset == WALK || keyset == GATHER) {
            params.add(labelsJson);
        }
        params.addAll(keyset.params(page));
        String sql = "WITH f AS (" + Sql.freshnessSql(labelled ? Labels.FILTER : "TRUE") + "),\n"
                + "t AS (" + count + "),\n"
                + LAYER_IMAGES + ",\n"
                + "p AS (SELECT s.*, row_number() OVER () AS page_rn FROM (" + keyset.sql(page) + ") s),\n"
                + (probeUses(ref) ? uses.probed : uses.scanned) + "\n"
                + "SELECT f.*, t.holders, p.*, " + usesColumns(uses, "p.host_key") + "\n"
                + "  FROM f CROSS JOIN t LEFT JOIN p ON TRUE LEFT JOIN u ON u.host_key = p.host_key\n"
                + " ORDER BY p.page_rn";
        return new Statement(sql, params, keyset);
    }

    /** An SQL statement with its parameters in order, and the keyset its page was read by. */
    private record Statement(String sql, List<Object> params, Keyset keyset) {
    }

    /**
     * What {@link #hostsStatement} read: the freshness of the fleet, how many hosts hold the layer, and the page (of
     * {@link HostHolding} or {@link CompactRow}, as its {@link Uses}).
     */
    private record HostsRead<T>(Freshness freshness, long holders, Page<T> hosts) {
    }

    /**
     * A row of {@link #hostsStatement}: the freshness and holders (read from the first row only), and the row's host if
     * any.
     */
    private record HostsRow<T>(Freshness freshness, long holders, Keyset.Keyed<T> host) {
    }

    /**
     * Adds {@link #hostsStatement} to a pipeline, each page host read from its row by {@code host};
     * {@link #hostsRead} makes its answer once the pipeline ran.
     */
    private <T> Sql.Pipeline.Part<HostsRow<T>> addHosts(Sql.Pipeline pipeline, LayerRef ref, PageRequest page,
                                                        String labelsJson, Uses uses, Sql.RowMapper<T> host) {
        Statement statement = hostsStatement(ref, page, labelsJson, uses);
        Keyset keyset = statement.keyset();
        boolean[] first = {true};
        return addPlannedOnce(pipeline, statement, rs -> {
            Freshness freshness = first[0] ? Sql.freshness(rs, policy) : null; // the same on every row
            long holders = first[0] ? rs.getLong("holders") : -1;
            first[0] = false;
            return new HostsRow<>(freshness, holders, rs.getObject("page_rn") == null ? null : keyset.keyed(rs, host));
        });
    }

    /**
     * Adds {@link #hostsStatement}'s {@code statement} to a pipeline, after {@link Sql#STABLE_PLANS} when its page is
     * gathered, sifted or walked over every host ({@link #WALK_ALL}): PostgreSQL then plans it once per connection
     * (once PgJDBC prepares it on the server, its fifth run there) instead of for every answer. It is the pipeline's
     * last statement, of a pipeline that commits (the rest of a transaction would be planned as it is). Each way of
     * reading a page ({@link #read}; the layer's images scanned or probed) is a text of its own, picked by the counts
     * the layer was resolved with, and the gathered and sifted texts are fenced ({@code OFFSET 0}, {@code OR false},
     * scalar subqueries) so that their plans' shapes do not hang on estimates. At 10,000 hosts a gathered or sifted
     * statement costs 6.3–7.1 ms a call, ~0.05
     * of it planning, where it cost 7.4–7.6 with 1.3–1.4 of planning; the generic plans run 0.2–0.8 ms slower than the
     * custom ones did (pg_stat_statements of three runs, bench/results/hosts-statements-generic-10000.txt). A page
     * walked over the hosts carrying some labels ({@link #WALK}) keeps custom plans: it must stop after the page, and
     * a generic plan knows neither its LIMIT (a parameter) nor how many hosts carry the labels. Planned generically,
     * the walk (then with the labels {@code '{}'} bound when none were asked for) read 31,134–31,735 buffers a call,
     * 107–110 ms, where the custom plans read 1,594 (same file). {@link #WALK_ALL} has neither unknown: its generic
     * plan is the custom one's shape, and it saves the 1.2-1.7 ms of planning a call. With the fleet's freshness no
     * longer scanning every host ({@link Sql#freshnessSql}), a base layer's first page took 10.3-10.5 ms where it took
     * 15-19, and a layer on 4,545 hosts 5.7-8.7 where it took 7.5-10.5 (10,000 hosts of {@code simulate}, none stale,
     * EXPLAIN ANALYZE of the prepared text, three runs each).
     */
    private static <R> Sql.Pipeline.Part<R> addPlannedOnce(Sql.Pipeline pipeline, Statement statement,
                                                          Sql.RowMapper<R> mapper) {
        if (statement.keyset() == WALK) {
            pipeline.custom();
        } else {
            pipeline.generic();
        }
        return pipeline.add(statement.sql(), mapper, statement.params().toArray());
    }

    private static <T> HostsRead<T> hostsRead(Sql.Pipeline.Part<HostsRow<T>> part, PageRequest page) {
        List<HostsRow<T>> rows = part.rows();
        HostsRow<T> head = rows.get(0); // the statement always returns a row: f and t have one
        List<Keyset.Keyed<T>> hosts = rows.stream().map(HostsRow::host).filter(Objects::nonNull).toList();
        // WALK, GATHER and SIFT page the same list by the same key: any makes the page of another's rows.
        return new HostsRead<>(head.freshness(), head.holders(), WALK.page(page, head.holders(), hosts));
    }

    /** A host with the {@link Uses#REFS} columns of its row. */
    private HostHolding holding(ResultSet rs, LayerRef ref) throws SQLException {
        return new HostHolding(Sql.host(rs, policy), Sql.instant(rs, "layer_first_seen"),
                images(rs.getString("images_json"), ref), sorted(Containers.parse(rs.getString("containers"))));
    }

    /**
     * A host with the {@link Uses#IDS} columns of its row, and where the layer sits in its images (each (image ID,
     * position) one object per statement, from {@code seen}).
     */
    private CompactRow compactHost(ResultSet rs, LayerRef ref, Map<ImageAt, LayerInImage> seen) throws SQLException {
        Object[] ids = array(rs, "image_ids");
        Object[] positions = array(rs, "positions");
        Object[] layerKeys = array(rs, "layer_keys");
        // Aligned and sorted by image ID, then position: an image with the layer at two positions is two entries in a
        // row, its ID once in the host's list.
        List<String> imageIds = new ArrayList<>(ids.length);
        List<LayerInImage> images = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            String id = (String) ids[i];
            int position = ((Number) positions[i]).intValue();
            long layerKey = ((Number) layerKeys[i]).longValue();
            LayerInImage at = seen.computeIfAbsent(new ImageAt(id, position),
                    k -> new LayerInImage(k.imageId(), k.position(), ref.chainId(layerKey)));
            images.add(at);
            if (imageIds.isEmpty() || !imageIds.get(imageIds.size() - 1).equals(id)) {
                imageIds.add(at.imageId()); // the statement's one String of the ID
            }
        }
        return new CompactRow(new CompactHost(Sql.host(rs, policy), Sql.instant(rs, "layer_first_seen"), imageIds,
                sorted(Containers.parse(rs.getString("containers")))), images);
    }

    /** A page host read by {@link #compactHost}, with where the layer sits in its images. */
    private record CompactRow(CompactHost host, List<LayerInImage> images) {
    }

    /** An image and a position of the layer in it: a page's {@link LayerInImage} by key. */
    private record ImageAt(String imageId, int position) {
    }

    private static Object[] array(ResultSet rs, String column) throws SQLException {
        java.sql.Array a = rs.getArray(column);
        return a == null ? new Object[0] : (Object[]) a.getArray();
    }

    /**
     * The images_json column of {@link Uses#REFS}, read token by token: building a tree of it first cost a tenth of the
     * dashboard's CPU on the layer page of the most shared layer (21 images on each of 100 hosts; JFR).
     */
    private static List<ImageOnHost> images(String json, LayerRef ref) throws SQLException {
        if (json == null) {
            return List.of();
        }
        try (JsonParser p = EventCodec.mapper().getFactory().createParser(json)) {
            List<ImageOnHost> out = new ArrayList<>();
            expect(p.nextToken(), JsonToken.START_ARRAY);
            while (p.nextToken() == JsonToken.START_ARRAY) {
                expect(p.nextToken(), JsonToken.VALUE_STRING);
                String imageId = p.getText();
                expect(p.nextToken(), JsonToken.VALUE_NUMBER_INT);
                int position = p.getIntValue();
                expect(p.nextToken(), JsonToken.VALUE_NUMBER_INT);
                String chainId = ref.chainId(p.getLongValue());
                List<String> tags = texts(p);
                List<String> digests = texts(p);
                expect(p.nextToken(), JsonToken.END_ARRAY);
                out.add(new ImageOnHost(imageId, position, chainId, tags, digests));
            }
            return out;
        } catch (IOException | IllegalStateException e) {
            throw new SQLException("images of a host are not the JSON built for them: " + e.getMessage(), e);
        }
    }

    private static void expect(JsonToken found, JsonToken wanted) {
        if (found != wanted) {
            throw new IllegalStateException("expected " + wanted + ", found " + found);
        }
    }

    /** The next value: an array of strings (null elements left out), or null (none). */
    private static List<String> texts(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_NULL) {
            return List.of();
        }
        expect(t, JsonToken.START_ARRAY);
        List<String> out = new ArrayList<>();
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NULL) {
                out.add(p.getText());
            }
        }
        return out;
    }

    /** The blobs_json column of {@link #CHAINS}. */
    private static List<Blob> blobs(String json) throws SQLException {
        if (json == null) {
            return List.of();
        }
        try {
            List<Blob> out = new ArrayList<>();
            for (JsonNode n : EventCodec.mapper().readTree(json)) {
                out.add(new Blob(text(n.get(0)), text(n.get(1)), text(n.get(2))));
            }
            return out;
        } catch (IOException e) {
            throw new SQLException("blobs of a layer are not the JSON built for them: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    /*
     * The remediation export reads the layer's holders and what they hold of it in five statements of one snapshot,
     * and Java joins them ({@link #exportHosts}): each statement reads its rows by index, none sorts or hashes the
     * (host, image) pairs, and each image ID and tag set crosses the wire once.
     *
     * Why this shape: the single statement it replaced sent a row per (host, image) with the image ID and the host's
     * tags and digests, ordered by host. At 10,000 hosts (most shared layer: 502 images, 156,496 pairs) it took
     * 1.3-1.5 s: 631 ms fetching the pairs' host_images rows, each from its own heap page, 210 ms hashing them against
     * the holders, 317 ms sorting 58.6 MB (bench/results/export-explain-10000.txt). Since V20 the pairs carry the key of
     * their tag set and come from held_images_image alone (index-only).
     */

    /** The layer's images: (image key, the layer's position and chain key in it, image ID); the first parameter. */
    private static final String EXPORT_IMAGES = "WITH " + LAYER_IMAGES + " SELECT image_key, position, layer_key, image_id FROM li";

    /** Who holds which of the images, with which tag set: index-only on held_images_image. */
    private static final String EXPORT_PAIRS = """
            SELECT h.host_key, h.image_key, h.tag_set_key FROM held_images h WHERE h.image_key = ANY (?::bigint[])""";

    /** The tag sets the pairs name, each once. */
    private static final String EXPORT_TAG_SETS = """
            SELECT t.tag_set_key, t.repo_tags, t.repo_digests FROM tag_sets t WHERE t.tag_set_key = ANY (?::integer[])""";

    /** The containers running one of the images (host_containers_image), of any host: Java keeps the holders'. */
    private static final String EXPORT_CONTAINERS = """
            SELECT hc.host_key, hc.container_id, hc.name, hc.state, hc.created, hc.image_id, hc.image
              FROM host_containers hc WHERE hc.image_id = ANY (?::text[])""";

    /**
     * Every live holder of the layer (keys: the first parameter; labels: the second) in host ID order: the host's
     * columns ({@link Sql#HOST_COLUMNS}) and when it first held the layer; streamed from a server-side cursor. The hosts
     * are fenced (OFFSET 0), so they are read in one pass and hashed: joined plainly, the plan rested on PostgreSQL's
     * estimate of the holders, which its sample of host_layers gets right or not from one ANALYZE to the next; in one
     * of four 10,000-host runs (same fleet, same statement) it probed hosts once per holder of the most shared layer,
     * 30,096 buffers a call against 735, and the export fell from 50,790-57,515 to 36,218 rows/s (JSON). A layer on few
     * hosts now costs a pass over hosts too (~700 pages at 10,000 hosts), which an export can afford.
     */
    private static final String EXPORT_HOSTS = """
            SELECT %1$s, x.first_seen AS layer_first_seen
              FROM (SELECT host_key, min(first_seen) AS first_seen FROM host_layers
                     WHERE layer_key = ANY (?) GROUP BY host_key) x
              JOIN (SELECT * FROM hosts OFFSET 0) h ON h.host_key = x.host_key
             WHERE h.retired_at IS NULL AND %2$s
             ORDER BY h.host_id""".formatted(Sql.HOST_COLUMNS, Labels.FILTER);

    /**
     * Rows per fetch of the export's cursors (its holders, and the pairs): a few hundred KB a fetch, 10,000 hosts in
     * three fetches.
     */
    private static final int EXPORT_BATCH = 4096;

    /**
     * The pairs' fetch, in holders' fetches: a pair is three integers (~50 bytes a row on the wire and in PgJDBC), a
     * holder row ~400, so 65,536 pairs a fetch are ~3 MB. At 4,096 a fetch, a 10,000-host export of the most shared
     * layer (~160,000 pairs) took 40 round trips for them (95 ms a call, pg_stat_statements, bench at 10,000 hosts).
     */
    private static final int PAIRS_PER_HOST_ROW = 16;

    /**
     * Images held by at least one host (as layer_usage.image_count counts them), most widely held first. Planned once
     * per connection, its limit written in: the generic plan (the layer's image_layers rows, each image and usage row
     * by primary key, sorted) read no more than the custom plans and ran as fast or faster, so the 0.4-0.7 ms of
     * planning an answer was all saved (10,000 hosts, EXPLAIN ANALYZE of the prepared text, best of 3: a base layer in
     * 673 images 0.70 ms planning and 6.7 ms running, against 0.01 and 3.0; a layer in one image 0.43 and 0.05,
     * against 0.01 and 0.05).
     */
    private static final Keyset IMAGES = new Keyset("""
            SELECT i.image_id, il.position, i.created, u.host_count, {keys}, %s AS tags
              FROM image_layers il
              JOIN images i ON i.image_key = il.image_key
              JOIN image_usage u ON u.image_key = i.image_key
             WHERE il.layer_key = ANY (?) AND u.host_count > 0 AND {keyset}
             {order}""".formatted(Sql.fleetTags("i.image_key")), List.of("u.host_count", "i.image_id", "il.position"),
            List.of("integer", "text", "integer"), true).withLimitInSql();

    /**
     * Everything about the layer a digest or prefix names, with one page of its hosts and one of its images.
     *
     * @throws QueryException.InvalidParameter, QueryException.NotFound, QueryException.Ambiguous as {@link #resolve};
     *                                         InvalidParameter also for a cursor of another list
     */
    public LayerDetail detail(String digestOrPrefix, PageRequest hostsPage, PageRequest imagesPage) {
        return detail(digestOrPrefix, hostsPage, imagesPage, Map.of());
    }

    /**
     * As {@link #detail(String, PageRequest, PageRequest)}, its hosts (list, count, freshness) only those carrying
     * every label of {@code labels} ({@link Labels}).
     */
    public LayerDetail detail(String digestOrPrefix, PageRequest hostsPage, PageRequest imagesPage, Map<String, String> labels) {
        return detail(digestOrPrefix, hostsPage, imagesPage, labels, Uses.REFS, (rs, ref, seen) -> holding(rs, ref),
                (ref, parts, hosts) -> {
                    Page<HostHolding> page = hosts.hosts();
                    return new LayerDetail(ref.digest(), ref.matchedBy(), parts.diffId(), parts.chains(), parts.blobs(),
                            parts.size(), Math.toIntExact(hosts.holders()), page.items(), page.info(),
                            parts.imageCount(), parts.images().items(), parts.images().info(), hosts.freshness());
                });
    }

    /**
     * As {@link #detail(String, PageRequest, PageRequest, Map)}, its page of hosts compact: the page
     * {@link #compactHosts} answers, read by the same statement (image IDs and positions as plain arrays, no hosts'
     * tags and repo digests, no JSON built in SQL and parsed back).
     *
     * @throws QueryException.InvalidParameter, QueryException.NotFound, QueryException.Ambiguous as {@link #resolve};
     *                                         InvalidParameter also for a cursor of another list
     */
    public CompactLayerDetail compactDetail(String digestOrPrefix, PageRequest hostsPage, PageRequest imagesPage,
                                            Map<String, String> labels) {
        return detail(digestOrPrefix, hostsPage, imagesPage, labels, Uses.IDS, this::compactHost,
                (ref, parts, hosts) -> new CompactLayerDetail(ref.digest(), ref.matchedBy(), parts.diffId(),
                        parts.chains(), parts.blobs(), parts.size(), compact(ref, hosts), parts.imageCount(),
                        parts.images().items(), parts.images().info()));
    }

    /** Reads a page host from a row of {@link #hostsStatement}; {@code seen} is the statement's, as {@link #compactHost}'s. */
    @FunctionalInterface
    private interface HostReader<T> {
        T read(ResultSet rs, LayerRef ref, Map<ImageAt, LayerInImage> seen) throws SQLException;
    }

    /** What a layer's detail holds besides its hosts. */
    private record DetailParts(String diffId, List<Chain> chains, List<Blob> blobs, Long size, long imageCount,
                               Page<ImageContaining> images) {
    }

    /** Puts a layer's detail together from its parts and its page of hosts. */
    @FunctionalInterface
    private interface DetailMaker<T, D> {
        D make(LayerRef ref, DetailParts parts, HostsRead<T> hosts);
    }

    /**
     * The layer's detail in one snapshot: resolve, then in one round trip its chains (with blobs and the images'
     * total), its page of hosts ({@link #hostsStatement} with {@code uses}, each host read by {@code host}) and its page
     * of images.
     */
    private <T, D> D detail(String digestOrPrefix, PageRequest hostsPage, PageRequest imagesPage, Map<String, String> labels,
                            Uses uses, HostReader<T> host, DetailMaker<T, D> maker) {
        Matches.DigestPrefix d = Matches.parseDigest(digestOrPrefix);
        String labelsJson = Labels.json(labels);
        return Sql.inSnapshot(dataSource, "layer detail", c -> {
            LayerRef ref = resolve(c, d);
            long[] imageCount = {-1};
            List<Blob> blobs = new ArrayList<>();
            Map<ImageAt, LayerInImage> seen = new HashMap<>();
            // The chains, the images and the hosts in one round trip once the keys are known (Sql.Pipeline), with the
            // COMMIT: the chains and the images planned once, then the hosts as addPlannedOnce says.
            Sql.Pipeline pipeline = new Sql.Pipeline(true);
            pipeline.generic();
            var chainRows = pipeline.add(CHAINS, rs -> {
                if (imageCount[0] < 0) { // the same on every row
                    blobs.addAll(blobs(rs.getString("blobs_json")));
                    imageCount[0] = rs.getLong("images_total");
                }
                return new Chain(rs.getString("chain_id"), rs.getString("diff_id"), rs.getString("parent_chain_id"),
                        Sql.nullableLong(rs, "size"), rs.getString("v1_id"), Sql.instant(rs, "first_seen"),
                        rs.getInt("host_count"), rs.getInt("image_count"));
            }, ref.layerKeys(), ref.layerKeys(), ref.layerKeys());
            var imageRows = IMAGES.add(pipeline, imagesPage, rs -> new ImageContaining(
                    rs.getString("image_id"), rs.getInt("position"), Sql.strings(rs, "tags"), rs.getInt("host_count"),
                    Sql.instant(rs, "created")), ref.layerKeys());
            var hostRows = addHosts(pipeline, ref, hostsPage, labelsJson, uses, rs -> host.read(rs, ref, seen));
            Keyset.run(pipeline, c);
            List<Chain> chains = chainRows.rows();
            String[] diffIds = chains.stream().map(Chain::diffId).distinct().toArray(String[]::new);
            Long size = chains.stream().map(Chain::size).filter(Objects::nonNull).max(Long::compare).orElse(null);
            Page<ImageContaining> images = IMAGES.page(imagesPage, imageCount[0], imageRows.rows());
            return maker.make(ref, new DetailParts(diffIds.length == 1 ? diffIds[0] : null, chains, List.copyOf(blobs),
                    size, imageCount[0], images), hostsRead(hostRows, hostsPage));
        });
    }

    /**
     * One page of the hosts holding a layer, each with its images that contain it: the remediation list.
     *
     * @throws QueryException.InvalidParameter, QueryException.NotFound, QueryException.Ambiguous as {@link #resolve}
     */
    public LayerHosts hosts(String digestOrPrefix, PageRequest page) {
        return hosts(digestOrPrefix, page, Map.of());
    }

    /**
     * As {@link #hosts(String, PageRequest)}, only hosts carrying every label of {@code labels} ({@link Labels}). Two
     * round trips in one read-only transaction: resolve (two for a prefix; with the BEGIN), then one statement
     * ({@link #hostsStatement}) for the total, freshness, page, images and containers (with the COMMIT).
     */
    public LayerHosts hosts(String digestOrPrefix, PageRequest page, Map<String, String> labels) {
        return hosts(digestOrPrefix, page, labels, Uses.REFS, (rs, ref, seen) -> holding(rs, ref),
                (ref, read) -> new LayerHosts(ref.digest(), ref.matchedBy(), Math.toIntExact(read.holders()),
                        read.hosts().items(), read.hosts().info(), read.freshness()));
    }

    /**
     * As {@link #hosts(String, PageRequest, Map)}, compact: each host with its image IDs only, and where the layer sits
     * in those images (position, chain ID: the same on every host) once for the page. The same statement, its images
     * read as plain arrays without the hosts' tags and repo digests (no JSON built in SQL and parsed back).
     *
     * @throws QueryException.InvalidParameter, QueryException.NotFound, QueryException.Ambiguous as {@link #resolve}
     */
    public CompactHosts compactHosts(String digestOrPrefix, PageRequest page, Map<String, String> labels) {
        return hosts(digestOrPrefix, page, labels, Uses.IDS, this::compactHost, LayerQuery::compact);
    }

    /**
     * One page of a layer's hosts, each read by {@code host} from a row of {@link #hostsStatement} with {@code uses},
     * made an answer by {@code answer}. Two round trips: resolve (two for a prefix), then one statement for the
     * total, freshness, page, images and containers. They need not share a snapshot, since a layer's keys never change,
     * but the statement asks for its plan to be kept ({@link #addPlannedOnce}), which takes a transaction: PgJDBC
     * sends the BEGIN with the resolve and the COMMIT ends the statement's pipeline, so the round trips are as in
     * autocommit.
     */
    private <T, A> A hosts(String digestOrPrefix, PageRequest page, Map<String, String> labels, Uses uses,
                           HostReader<T> host, BiFunction<LayerRef, HostsRead<T>, A> answer) {
        Matches.DigestPrefix d = Matches.parseDigest(digestOrPrefix);
        String labelsJson = Labels.json(labels);
        return Sql.inSnapshot(dataSource, "layer hosts", c -> {
            LayerRef ref = resolve(c, d);
            Map<ImageAt, LayerInImage> seen = new HashMap<>();
            Sql.Pipeline pipeline = new Sql.Pipeline(true);
            var rows = addHosts(pipeline, ref, page, labelsJson, uses, rs -> host.read(rs, ref, seen));
            Keyset.run(pipeline, c);
            return answer.apply(ref, hostsRead(rows, page));
        });
    }

    /**
     * Sends what {@link #compactHosts} sends for the first page of a layer's hosts with no label filter (the resolve,
     * then the page's one statement) on {@code c}, and counts the page statement's rows as they arrive, without making
     * an answer of them: the bench's bare-SQL baseline of "hosts holding a layer", the API's own SQL without the
     * dashboard.
     *
     * @return the page statement's rows (the page's hosts and the one past it; one row when none holds the layer)
     * @throws QueryException.InvalidParameter, QueryException.NotFound, QueryException.Ambiguous as {@link #resolve}
     */
    public int firstHostsPageRows(Connection c, String digestOrPrefix) throws SQLException {
        Matches.DigestPrefix d = Matches.parseDigest(digestOrPrefix);
        // A read-only pool's connections are REPEATABLE READ already (isReadOnly asks the driver, not the server).
        return Sql.inSnapshot(c, c.isReadOnly(), tx -> {
            LayerRef ref = resolve(tx, d);
            Sql.Pipeline pipeline = new Sql.Pipeline(true);
            var rows = addPlannedOnce(pipeline, hostsStatement(ref, PageRequest.first(), Labels.json(Map.of()), Uses.IDS),
                    rs -> Boolean.TRUE);
            pipeline.run(tx);
            return rows.rows().size();
        });
    }

    /** The compact page of {@link #compactHosts} and {@link #compactDetail}, from the rows {@link #compactHost} read. */
    private static CompactHosts compact(LayerRef ref, HostsRead<CompactRow> read) {
        // The page's images from the page's hosts: the statement reads a row past the page (is there a next?).
        Set<LayerInImage> images = new HashSet<>();
        List<CompactHost> hosts = new ArrayList<>(read.hosts().items().size());
        for (CompactRow r : read.hosts().items()) {
            hosts.add(r.host());
            images.addAll(r.images());
        }
        List<LayerInImage> pageImages = new ArrayList<>(images);
        pageImages.sort(Comparator.comparing(LayerInImage::imageId).thenComparingInt(LayerInImage::position));
        return new CompactHosts(ref.digest(), ref.matchedBy(), Math.toIntExact(read.holders()), pageImages, hosts,
                read.hosts().info(), read.freshness());
    }

    /**
     * Every host holding a layer, streamed in host ID order with no cap, from one snapshot: the remediation export.
     * The layer's images, who holds which with which tag set, those sets and the containers running the images are
     * read first ({@link #EXPORT_IMAGES}, {@link #EXPORT_PAIRS}, {@link #EXPORT_TAG_SETS}, {@link #EXPORT_CONTAINERS});
     * the holders ({@link #EXPORT_HOSTS}) are read meanwhile on a second pooled connection in the same snapshot,
     * {@code exportBatch} rows a fetch, by {@link ExportHolders} (on the export's own connection after the rest when
     * the pool has no second connection to spare), and each is handed to {@code sink} with its images. Memory holds
     * the pairs (12 bytes each, twice that while {@link Pairs#group} orders them: ~4 MB for 160,000 pairs), the
     * layer's images and tag sets, one {@link ImageOnHost} per (image, tag set, place), the same instance in every
     * holding of it (a writer may cache what it writes of one by identity), and up to three batches of holders read
     * ahead; not the hosts' answers.
     *
     * @return the layer the hosts hold
     * @throws QueryException.InvalidParameter, QueryException.NotFound, QueryException.Ambiguous as {@link #resolve}
     * @throws QueryException wrapping whatever {@code sink} throws
     */
    public LayerRef exportHosts(LayerRef ref, HostSink sink) {
        return exportHosts(ref, Map.of(), sink);
    }

    /**
     * How many exports (of any LayerQuery in this JVM) read their holders on a second connection beside the rest, all
     * of them: for tests and diagnostics, since a failure there falls back to reading them after the rest.
     */
    public static long exportsWithHoldersBeside() {
        return ExportHolders.readBeside();
    }

    /** As {@link #exportHosts(LayerRef, HostSink)}, only hosts carrying every label of {@code labels}. */
    public LayerRef exportHosts(LayerRef ref, Map<String, String> labels, HostSink sink) {
        String labelsJson = Labels.json(labels);
        return Sql.inSnapshot(dataSource, "layer hosts export", c -> {
            java.sql.Array keys = c.createArrayOf("bigint", ref.layerKeys().toArray());
            // The holders first: read beside the rest on a second connection in this snapshot when one may be taken.
            try (ExportHolders holders = ExportHolders.start(dataSource, c, EXPORT_HOSTS, ps -> {
                ps.setArray(1, keys);
                ps.setString(2, labelsJson);
            }, exportBatch, rs -> new ExportHolders.Holder(rs.getInt("host_key"), Sql.host(rs, policy),
                    Sql.instant(rs, "layer_first_seen")), exportLanes)) {
                exportHosts(c, ref, keys, holders, sink);
            }
            return ref;
        });
    }

    /** The export's other four statements on the export's connection, then its holders streamed to the sink. */
    private void exportHosts(Connection c, LayerRef ref, java.sql.Array keys, ExportHolders holders, HostSink sink)
            throws SQLException {
        // The layer's images: image key -> where the layer is in it (an image may hold its chains at several
        // positions), each image's places by position; and each image's rank in image ID order, which is the
        // order a host's images are written in.
        Map<Long, List<LayerAt>> images = new HashMap<>();
        try (var ps = c.prepareStatement(EXPORT_IMAGES)) {
            ps.setArray(1, keys);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    images.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>(1))
                            .add(new LayerAt(rs.getString(4), rs.getInt(2), ref.chainId(rs.getLong(3))));
                }
            }
        }
        long[] byId = new long[images.size()]; // image keys in rank order
        List<List<LayerAt>> ranked = new ArrayList<>(byId.length);
        images.entrySet().stream().sorted(Comparator.comparing(e -> e.getValue().get(0).imageId())).forEach(e -> {
            e.getValue().sort(Comparator.comparingInt(LayerAt::position));
            byId[ranked.size()] = e.getKey();
            ranked.add(e.getValue());
        });
        LongIndex rank = new LongIndex(byId.length); // an image key's index is its rank
        for (long k : byId) {
            rank.put(k);
        }
        Pairs pairs = new Pairs();
        if (images.isEmpty()) {
            // No image holds it: its holders are still the answer, each with no images.
            streamHolders(holders, pairs, ranked, new TagSet[0], Map.of(), sink);
            return;
        }
        try (var ps = c.prepareStatement(EXPORT_PAIRS)) {
            ps.setFetchSize(PAIRS_PER_HOST_ROW * exportBatch);
            ps.setArray(1, c.createArrayOf("bigint", images.keySet().toArray()));
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    long imageKey = rs.getLong(2);
                    int r = rank.get(imageKey);
                    if (r < 0) {
                        throw new IllegalStateException("held_images names image " + imageKey
                                + ", not one of the layer's images");
                    }
                    pairs.add(rs.getInt(1), r, rs.getInt(3));
                }
            }
        }
        pairs.group(ranked.size());
        BitSet setKeys = pairs.setKeys();
        TagSet[] sets = new TagSet[setKeys.length()];
        try (var ps = c.prepareStatement(EXPORT_TAG_SETS)) {
            ps.setArray(1, c.createArrayOf("integer", setKeys.stream().boxed().toArray()));
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    sets[rs.getInt(1)] = new TagSet(Sql.strings(rs.getArray(2)), Sql.strings(rs.getArray(3)));
                }
            }
        }
        Map<Integer, List<ContainerOnHost>> containers = new HashMap<>();
        try (var ps = c.prepareStatement(EXPORT_CONTAINERS)) {
            ps.setArray(1, c.createArrayOf("text", ranked.stream().map(l -> l.get(0).imageId()).toArray()));
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    containers.computeIfAbsent(rs.getInt("host_key"), k -> new ArrayList<>(1)).add(Containers.row(rs));
                }
            }
        }
        streamHolders(holders, pairs, ranked, sets, containers, sink);
    }

    /**
     * Long keys to dense indexes 0, 1, 2… in the order they were first put: open addressing on primitive arrays. The
     * export looks up an image's rank and a shared ref once per pair (~160,000 an export at 10,000 hosts), where boxed
     * {@code HashMap<Long, …>} lookups were ~7 % of the export's JFR samples.
     */
    static final class LongIndex {
        private long[] keys;
        private int[] slots; // index + 1; 0 = empty
        private int size;

        LongIndex(int expected) {
            int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
            keys = new long[capacity];
            slots = new int[capacity];
        }

        /** The index of {@code key}, or -1 when it was never put. */
        int get(long key) {
            int mask = slots.length - 1;
            for (int i = hash(key) & mask; slots[i] != 0; i = (i + 1) & mask) {
                if (keys[i] == key) {
                    return slots[i] - 1;
                }
            }
            return -1;
        }

        /** The index of {@code key}, the next free one when it is new. */
        int put(long key) {
            int mask = slots.length - 1;
            int i = hash(key) & mask;
            for (; slots[i] != 0; i = (i + 1) & mask) {
                if (keys[i] == key) {
                    return slots[i] - 1;
                }
            }
            keys[i] = key;
            slots[i] = ++size;
            if (2 * size > slots.length) {
                grow();
            }
            return size - 1;
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldSlots = slots;
            keys = new long[oldKeys.length * 2];
            slots = new int[oldSlots.length * 2];
            int mask = slots.length - 1;
            for (int j = 0; j < oldSlots.length; j++) {
                if (oldSlots[j] != 0) {
                    int i = hash(oldKeys[j]) & mask;
                    while (slots[i] != 0) {
                        i = (i + 1) & mask;
                    }
                    keys[i] = oldKeys[j];
                    slots[i] = oldSlots[j];
                }
            }
        }

        private static int hash(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 32));
        }
    }

    /** A host's repo tags and repo digests of an image, as one tag set (V20) holds them. */
    private record TagSet(List<String> repoTags, List<String> repoDigests) {
    }

    /** Where the layer is in one of its images: the image's ID, the layer's position and its chain ID there. */
    private record LayerAt(String imageId, int position, String chainId) {
    }

    /**
     * Streams the holders ({@link #EXPORT_HOSTS}) and hands each to the sink with its images of the layer
     * ({@code pairs}, grouped by host, each host's by image rank; {@code ranked}: the places of each image, by rank;
     * {@code sets}: tag sets by key) and its containers running one of them ({@code containers} by host key).
     */
    private static void streamHolders(ExportHolders holders, Pairs pairs, List<List<LayerAt>> ranked, TagSet[] sets,
                                      Map<Integer, List<ContainerOnHost>> containers, HostSink sink)
            throws SQLException {
        // One ImageOnHost per (image, tag set) and place, shared by every host holding the image with that set: the
        // pairs repeat few of them (~160,000 pairs, a few thousand distinct at 10,000 hosts). They are numbered in one
        // table (an image's places consecutively, from first[(image, set)'s index]) and each host's images are those
        // numbers: no list of refs built and copied per host, and writers look up what they wrote by number.
        RefTable table = new RefTable();
        LongIndex refKeys = new LongIndex(ranked.size() * 4);
        int[] first = new int[64];
        int[] places = new int[ranked.size()];
        for (int r = 0; r < places.length; r++) {
            places[r] = ranked.get(r).size();
        }
        for (ExportHolders.Holder h = holders.next(); h != null; h = holders.next()) {
            int key = h.hostKey();
            int from = pairs.from(key);
            int to = pairs.to(key);
            int count = 0;
            for (int i = from; i < to; i++) {
                count += places[pairs.rank(i)];
            }
            int[] numbers = new int[count];
            int n = 0;
            for (int i = from; i < to; i++) {
                int rank = pairs.rank(i);
                int setKey = pairs.set(i);
                long refKey = (long) rank * sets.length + setKey;
                int ref = refKeys.get(refKey);
                if (ref < 0) {
                    TagSet set = setKey < sets.length ? sets[setKey] : null;
                    if (set == null) {
                        throw new IllegalStateException("held_images names tag set " + setKey
                                + ", which tag_sets does not hold");
                    }
                    ref = refKeys.put(refKey);
                    if (ref == first.length) {
                        first = Arrays.copyOf(first, 2 * ref);
                    }
                    List<LayerAt> at = ranked.get(rank);
                    first[ref] = table.size();
                    for (LayerAt p : at) {
                        table.add(new ImageOnHost(p.imageId(), p.position(), p.chainId(), set.repoTags(),
                                set.repoDigests()));
                    }
                }
                for (int p = 0, f = first[ref]; p < places[rank]; p++) {
                    numbers[n++] = f + p;
                }
            }
            Refs held = table.list(numbers);
            List<ContainerOnHost> theirs = containers.getOrDefault(key, List.of());
            if (!theirs.isEmpty()) {
                Set<String> ids = new HashSet<>();
                held.forEach(i -> ids.add(i.imageId()));
                theirs = sorted(theirs.stream().filter(k -> ids.contains(k.imageId())).toList());
            }
            emit(sink, new HostHolding(h.host(), h.firstSeen(), held, theirs));
        }
    }

    /**
     * The export's (host key, image rank, tag set key) triples as parallel arrays: three primitive arrays, not an
     * object per pair. {@link #group} orders them by host and each host's by image rank with two counting sorts, linear
     * in the pairs and the keys (host keys are a dense identity); JFR of 10,000-host exports had the comparison sort
     * and per-host sorts and hash sets this replaced at a fifth of the dashboard's export samples.
     */
    private static final class Pairs {
        private int[] hosts = new int[1024];
        private int[] ranks = new int[1024];
        private int[] sets = new int[1024];
        private int size;
        /** After {@link #group}: host h's pairs are [start[h], start[h + 1]). */
        private int[] start = new int[1];

        void add(int host, int rank, int set) {
            if (host < 0 || set < 0) {
                throw new IllegalStateException("negative key in held_images: host " + host + ", tag set " + set);
            }
            if (size == hosts.length) {
                hosts = Arrays.copyOf(hosts, size * 2);
                ranks = Arrays.copyOf(ranks, size * 2);
                sets = Arrays.copyOf(sets, size * 2);
            }
            hosts[size] = host;
            ranks[size] = rank;
            sets[size++] = set;
        }

        /** Orders the pairs by host, each host's by image rank ({@code rankCount} ranks). */
        void group(int rankCount) {
            int[] byRank = order(ranks, rankCount, null);
            int maxHost = 0;
            for (int i = 0; i < size; i++) {
                maxHost = Math.max(maxHost, hosts[i]);
            }
            int[] byHost = order(hosts, maxHost + 1, byRank);
            int[] h = new int[size];
            int[] r = new int[size];
            int[] st = new int[size];
            for (int j = 0; j < size; j++) {
                int i = byHost[j];
                h[j] = hosts[i];
                r[j] = ranks[i];
                st[j] = sets[i];
            }
            hosts = h;
            ranks = r;
            sets = st;
            start = new int[maxHost + 2];
            for (int i = 0; i < size; i++) {
                start[hosts[i] + 1]++;
            }
            for (int k = 1; k < start.length; k++) {
                start[k] += start[k - 1];
            }
        }

        /** The indexes of the pairs ordered by {@code keys} (0..count-1), stable over {@code input} (null: 0..size-1). */
        private int[] order(int[] keys, int count, int[] input) {
            int[] at = new int[count + 1];
            for (int i = 0; i < size; i++) {
                at[keys[i] + 1]++;
            }
            for (int k = 1; k <= count; k++) {
                at[k] += at[k - 1];
            }
            int[] out = new int[size];
            for (int j = 0; j < size; j++) {
                int i = input == null ? j : input[j];
                out[at[keys[i]]++] = i;
            }
            return out;
        }

        /** The first of {@code host}'s pairs (grouped). */
        int from(int host) {
            return host >= 0 && host + 1 < start.length ? start[host] : 0;
        }

        /** One past the last of {@code host}'s pairs (grouped). */
        int to(int host) {
            return host >= 0 && host + 1 < start.length ? start[host + 1] : 0;
        }

        int rank(int i) {
            return ranks[i];
        }

        int set(int i) {
            return sets[i];
        }

        /** The tag set keys the pairs name. */
        BitSet setKeys() {
            BitSet out = new BitSet();
            for (int i = 0; i < size; i++) {
                out.set(sets[i]);
            }
            return out;
        }
    }

    private static void emit(HostSink sink, HostHolding h) {
        try {
            sink.accept(h);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new QueryException("export stopped: " + e.getMessage(), e);
        }
    }

    /** Containers by name, then ID, as {@link Containers} orders them. */
    private static List<ContainerOnHost> sorted(java.util.Collection<ContainerOnHost> containers) {
        return containers.stream().sorted(java.util.Comparator.comparing((ContainerOnHost k) -> k.name() == null ? "" : k.name())
                .thenComparing(ContainerOnHost::containerId)).toList();
    }

    /**
     * A {@code docker history} step that created the layer, in an image containing it: its {@code created by} (null
     * when the step has none, as {@code docker import} writes), its comment (null when none) and time.
     */
    public record Step(String createdBy, String comment, Instant created, String imageId) {
    }

    /**
     * Where a layer comes from.
     *
     * @param steps          the history step that created it, from the first image containing it whose history pairs
     *                       with its layers (images on modern hosts first, then fewest layers); empty when none does
     * @param introducedBy   the image with the fewest layers that contains it (the first image built with it; a tagged
     *                       one before untagged intermediates of as many layers), null if no image contains it
     * @param introducedTags that image's tags
     * @param familyRoot     the root of that image's base-image family (following inferred bases down to an image
     *                       with none, as the reuse page's families do); equals {@code introducedBy} when it has no base
     * @param familyTags     the root's tags
     */
    public record Origin(List<Step> steps, String introducedBy, List<String> introducedTags, String familyRoot,
                         List<String> familyTags) {
    }

    // The history step of the layer at position p of an image is the image's (p+1)-th history entry that is not an
    // empty layer (image-spec config.md: history entries with empty_layer add no diff ID), as Docker pairs them
    // (moby daemon/images/image_history.go). Only images whose non-empty entries are as many as their layers are
    // asked: elsewhere (a hand-made config) the pairing is not known to hold. A v1-migrated image's history is lossy (each
    // v1 layer's JSON carries the command of its image, not always of its layer; DESIGN, "Legacy (pre-1.10) image
    // IDs"), so images held by a host that is not a legacy graph come first; among equally long stacks a tagged image
    // before the classic builder's untagged intermediate images of the same layers.
    private static final String STEPS = """
            SELECT i.image_id, i.image_key, s.created_by, s.comment, s.created,
                   i.layer_count = (SELECT count(*) FROM image_history h WHERE h.image_key = i.image_key AND NOT h.empty_layer) AS paired
              FROM image_layers il JOIN images i ON i.image_key = il.image_key
              LEFT JOIN LATERAL (SELECT h.created_by, h.comment, h.created FROM image_history h
                                  WHERE h.image_key = i.image_key AND NOT h.empty_layer
                                  ORDER BY h.position OFFSET il.position LIMIT 1) s ON TRUE
             WHERE il.layer_key = ANY (?)
             ORDER BY EXISTS (SELECT 1 FROM held_images hi JOIN hosts ho ON ho.host_key = hi.host_key
                               WHERE hi.image_key = i.image_key AND ho.source_kind IS DISTINCT FROM 'legacy-graph') DESC,
                      i.layer_count NULLS LAST, image_tagged_somewhere(i.image_key) DESC, i.created NULLS LAST, i.image_id
             LIMIT 20""";

    private static final String ROOT = """
            WITH RECURSIVE up(image_key, depth) AS (
                SELECT ?::bigint, 0
                UNION ALL
                SELECT p.parent_key, up.depth + 1 FROM up
                  JOIN image_parents p ON p.child_key = up.image_key AND p.source = 'inferred-base'
                 WHERE up.depth < 200)
            SELECT i.image_id, %s AS tags
              FROM up JOIN images i ON i.image_key = up.image_key
             ORDER BY up.depth""".formatted(Sql.fleetTags("i.image_key"));

    /**
     * Where the layer a digest or prefix names comes from: the history step that created it and its base-image family.
     *
     * @throws QueryException.InvalidParameter, QueryException.NotFound, QueryException.Ambiguous as {@link #resolve}
     */
    public Origin origin(String digestOrPrefix) {
        Matches.DigestPrefix d = Matches.parseDigest(digestOrPrefix);
        return Sql.inSnapshot(dataSource, "layer origin", c -> {
            LayerRef ref = resolve(c, d);
            record Row(String imageId, long imageKey, String createdBy, String comment, Instant created, boolean paired) {
            }
            List<Row> rows = Sql.list(c, STEPS, rs -> new Row(rs.getString("image_id"), rs.getLong("image_key"),
                    rs.getString("created_by"), rs.getString("comment"), Sql.instant(rs, "created"),
                    rs.getBoolean("paired")), ref.layerKeys());
            if (rows.isEmpty()) {
                return new Origin(List.of(), null, List.of(), null, List.of());
            }
            // A step without a command still says where the layer came from: `docker import` writes only a comment
            // ("Imported from -"), as `docker history` shows.
            List<Step> steps = rows.stream().filter(r -> r.paired() && (r.createdBy() != null || r.comment() != null))
                    .limit(1).map(r -> new Step(r.createdBy(), r.comment(), r.created(), r.imageId())).toList();
            List<Map.Entry<String, List<String>>> chain = Sql.list(c, ROOT,
                    rs -> Map.entry(rs.getString("image_id"), Sql.strings(rs, "tags")), rows.get(0).imageKey());
            var introduced = chain.get(0);
            var root = chain.get(chain.size() - 1);
            return new Origin(steps, introduced.getKey(), introduced.getValue(), root.getKey(),
                    root.getValue());
        });
    }
}
