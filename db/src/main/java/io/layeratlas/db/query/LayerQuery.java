package io.layeratlas.db.query;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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

    public LayerQuery(DataSource dataSource, Freshness.Policy policy) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** How a layer question was understood. */
    public enum MatchedBy { DIFF_ID, CHAIN_ID }

    /**
     * A layer as identified by the question.
     *
     * @param digest    the full diff or chain ID
     * @param matchedBy which of the two it is
     * @param layerKeys the chain-ID rows it covers (internal keys; not for display)
     */
    public record LayerRef(String digest, MatchedBy matchedBy, List<Long> layerKeys) {
        public LayerRef {
            layerKeys = List.copyOf(layerKeys);
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
            images = List.copyOf(images);
            containers = containers == null ? List.of() : List.copyOf(containers);
        }

        /** A holding without containers. */
        public HostHolding(HostStatus host, Instant firstSeen, List<ImageOnHost> images) {
            this(host, firstSeen, images, List.of());
        }

        /** The image IDs, for the short API answer. */
        public List<String> imageIds() {
            return images.stream().map(ImageOnHost::imageId).distinct().toList();
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
     */
    public record LayerDetail(String digest, MatchedBy matchedBy, String diffId, List<Chain> chains, List<Blob> blobs,
                              Long size, int hostCount, List<HostHolding> hosts, PageInfo hostsPage, long imageCount,
                              List<ImageContaining> images, PageInfo imagesPage, Freshness freshness) {
    }

    /**
     * One page of the remediation list: hosts holding the layer, by host ID.
     *
     * @param hostCount every page's hosts
     * @param freshness of every host holding the layer, not only this page's
     */
    public record LayerHosts(String digest, MatchedBy matchedBy, int hostCount, List<HostHolding> hosts, PageInfo page,
                             Freshness freshness) {
    }

    /** Receives the hosts of {@link #exportHosts}, one at a time, in host ID order. */
    @FunctionalInterface
    public interface HostSink {
        void accept(HostHolding host) throws Exception;
    }

    private static final String EXACT = """
            SELECT layer_key, chain_id, diff_id FROM layers WHERE diff_id = ? OR chain_id = ?""";

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
        return Sql.inSnapshot(dataSource, "resolve layer", c -> resolve(c, d));
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
        record Row(long key, String chainId, String diffId) {
        }
        String q = digest;
        List<Row> rows = Sql.list(c, EXACT, rs -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3)), q, q);
        List<Long> byDiff = rows.stream().filter(r -> r.diffId().equals(q)).map(Row::key).toList();
        if (!byDiff.isEmpty()) {
            return new LayerRef(q, MatchedBy.DIFF_ID, byDiff);
        }
        List<Long> byChain = rows.stream().filter(r -> r.chainId().equals(q)).map(Row::key).toList();
        if (!byChain.isEmpty()) {
            return new LayerRef(q, MatchedBy.CHAIN_ID, byChain);
        }
        throw new QueryException.NotFound("no layer has diff or chain ID " + q);
    }

    private static final String CHAINS = """
            SELECT l.chain_id, l.diff_id, l.parent_chain_id, l.size, l.v1_id, l.first_seen,
                   coalesce(u.host_count, 0) AS host_count, coalesce(u.image_count, 0) AS image_count
              FROM layers l LEFT JOIN layer_usage u ON u.layer_key = l.layer_key
             WHERE l.layer_key = ANY (?)
             ORDER BY u.host_count DESC NULLS LAST, l.chain_id""";

    private static final String BLOBS = """
            SELECT compressed_digest, media_type, source_repository FROM layer_blobs
             WHERE diff_id = ANY (?::text[]) ORDER BY compressed_digest""";

    // A host is in the list when it holds any chain of the layer; EXISTS lets a popular layer's first page stop after
    // `limit` hosts read in host ID order instead of gathering all of them.
    private static final String HOLDS = """
            EXISTS (SELECT 1 FROM host_layers hl WHERE hl.host_key = h.host_key AND hl.layer_key = ANY (?))""";

    private static final Keyset HOSTS = new Keyset("""
            SELECT %s, {keys},
                   (SELECT min(hl.first_seen) FROM host_layers hl
                     WHERE hl.host_key = h.host_key AND hl.layer_key = ANY (?)) AS layer_first_seen
              FROM hosts h
             WHERE h.retired_at IS NULL AND %s AND %s AND {keyset}
             {order}""".formatted(Sql.HOST_COLUMNS, HOLDS, Labels.FILTER), List.of("h.host_id"), List.of("text"), false);

    private static final String IMAGES_ON_HOSTS = """
            SELECT hi.host_key, i.image_id, il.position, l.chain_id, hi.repo_tags, hi.repo_digests, %s AS containers
              FROM host_images hi
              JOIN image_layers il ON il.image_key = hi.image_key
              JOIN images i ON i.image_key = il.image_key
              JOIN layers l ON l.layer_key = il.layer_key
             WHERE hi.host_key = ANY (?) AND il.layer_key = ANY (?)
             ORDER BY i.image_id, il.position""".formatted(Containers.of("hi.host_key", "i.image_id"));

    // The export: every host with every image of it containing the layer, one row per (host, image), in host ID
    // order, gathered set-wise (one pass over the layer's image_layers rows and their host_images rows).
    private static final String EXPORT = """
            WITH holders AS (
                SELECT host_key, min(first_seen) AS first_seen FROM host_layers
                 WHERE layer_key = ANY (?) GROUP BY host_key),
            uses AS (
                SELECT hi.host_key, i.image_id, il.position, l.chain_id, hi.repo_tags, hi.repo_digests
                  FROM image_layers il
                  JOIN host_images hi ON hi.image_key = il.image_key
                  JOIN images i ON i.image_key = il.image_key
                  JOIN layers l ON l.layer_key = il.layer_key
                 WHERE il.layer_key = ANY (?))
            SELECT %s, x.first_seen AS layer_first_seen, u.image_id, u.position, u.chain_id, u.repo_tags,
                   u.repo_digests, %s AS containers
              FROM holders x JOIN hosts h ON h.host_key = x.host_key
              LEFT JOIN uses u ON u.host_key = x.host_key
             WHERE h.retired_at IS NULL AND %s
             ORDER BY h.host_id, u.image_id, u.position""".formatted(Sql.HOST_COLUMNS,
            Containers.of("x.host_key", "u.image_id"), Labels.FILTER);

    // Images held by at least one host (as layer_usage.image_count counts them), most widely held first.
    private static final Keyset IMAGES = new Keyset("""
            SELECT i.image_id, il.position, i.created, u.host_count, {keys},
                   ARRAY(SELECT DISTINCT t FROM host_images hi, unnest(hi.repo_tags) t
                          WHERE hi.image_key = i.image_key ORDER BY t) AS tags
              FROM image_layers il
              JOIN images i ON i.image_key = il.image_key
              JOIN image_usage u ON u.image_key = i.image_key
             WHERE il.layer_key = ANY (?) AND u.host_count > 0 AND {keyset}
             {order}""", List.of("u.host_count", "i.image_id", "il.position"), List.of("integer", "text", "integer"), true);

    private static final String IMAGE_COUNT = """
            SELECT count(*) FROM image_layers il JOIN image_usage u ON u.image_key = il.image_key
             WHERE il.layer_key = ANY (?) AND u.host_count > 0""";

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
        Matches.DigestPrefix d = Matches.parseDigest(digestOrPrefix);
        String labelsJson = Labels.json(labels);
        return Sql.inSnapshot(dataSource, "layer detail", c -> {
            LayerRef ref = resolve(c, d);
            List<Chain> chains = Sql.list(c, CHAINS, rs -> new Chain(rs.getString("chain_id"), rs.getString("diff_id"),
                    rs.getString("parent_chain_id"), Sql.nullableLong(rs, "size"), rs.getString("v1_id"),
                    Sql.instant(rs, "first_seen"), rs.getInt("host_count"), rs.getInt("image_count")), ref.layerKeys());
            String[] diffIds = chains.stream().map(Chain::diffId).distinct().toArray(String[]::new);
            List<Blob> blobs = Sql.list(c, BLOBS, rs -> new Blob(rs.getString(1), rs.getString(2), rs.getString(3)),
                    (Object) c.createArrayOf("text", diffIds));
            Long size = chains.stream().map(Chain::size).filter(Objects::nonNull).max(Long::compare).orElse(null);
            Freshness freshness = Sql.freshness(c, policy, HOLDS + " AND " + Labels.FILTER, ref.layerKeys(), labelsJson);
            Page<HostHolding> hosts = hosts(c, ref, hostsPage, freshness.hostCount(), labelsJson);
            long imageCount = Sql.list(c, IMAGE_COUNT, rs -> rs.getLong(1), ref.layerKeys()).get(0);
            Page<ImageContaining> images = IMAGES.page(c, imagesPage, imageCount, rs -> new ImageContaining(
                    rs.getString("image_id"), rs.getInt("position"), Sql.strings(rs, "tags"), rs.getInt("host_count"),
                    Sql.instant(rs, "created")), ref.layerKeys());
            return new LayerDetail(ref.digest(), ref.matchedBy(), diffIds.length == 1 ? diffIds[0] : null, chains, blobs,
                    size, freshness.hostCount(), hosts.items(), hosts.info(), imageCount, images.items(), images.info(),
                    freshness);
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

    /** As {@link #hosts(String, PageRequest)}, only hosts carrying every label of {@code labels} ({@link Labels}). */
    public LayerHosts hosts(String digestOrPrefix, PageRequest page, Map<String, String> labels) {
        Matches.DigestPrefix d = Matches.parseDigest(digestOrPrefix);
        String labelsJson = Labels.json(labels);
        return Sql.inSnapshot(dataSource, "layer hosts", c -> {
            LayerRef ref = resolve(c, d);
            Freshness freshness = Sql.freshness(c, policy, HOLDS + " AND " + Labels.FILTER, ref.layerKeys(), labelsJson);
            Page<HostHolding> hosts = hosts(c, ref, page, freshness.hostCount(), labelsJson);
            return new LayerHosts(ref.digest(), ref.matchedBy(), freshness.hostCount(), hosts.items(), hosts.info(),
                    freshness);
        });
    }

    /**
     * Every host holding a layer, streamed in host ID order with no cap, from one snapshot: the remediation export.
     * Rows are fetched from the server in batches, so memory does not grow with the fleet.
     *
     * @return the layer the hosts hold
     * @throws QueryException.InvalidParameter, QueryException.NotFound, QueryException.Ambiguous as {@link #resolve}
     * @throws QueryException wrapping whatever {@code sink} throws
     */
    public LayerRef exportHosts(LayerRef ref, HostSink sink) {
        return exportHosts(ref, Map.of(), sink);
    }

    /** As {@link #exportHosts(LayerRef, HostSink)}, only hosts carrying every label of {@code labels}. */
    public LayerRef exportHosts(LayerRef ref, Map<String, String> labels, HostSink sink) {
        String labelsJson = Labels.json(labels);
        return Sql.inSnapshot(dataSource, "layer hosts export", c -> {
            try (var ps = c.prepareStatement(EXPORT)) {
                ps.setFetchSize(2_000);
                ps.setArray(1, c.createArrayOf("bigint", ref.layerKeys().toArray()));
                ps.setArray(2, c.createArrayOf("bigint", ref.layerKeys().toArray()));
                ps.setString(3, labelsJson);
                try (var rs = ps.executeQuery()) {
                    HostStatus host = null;
                    Instant firstSeen = null;
                    List<ImageOnHost> images = new ArrayList<>();
                    Map<String, ContainerOnHost> containers = new java.util.TreeMap<>();
                    while (rs.next()) {
                        String hostId = rs.getString("host_id");
                        if (host != null && !host.hostId().equals(hostId)) {
                            emit(sink, new HostHolding(host, firstSeen, List.copyOf(images), sorted(containers.values())));
                            images.clear();
                            containers.clear();
                            host = null;
                        }
                        if (host == null) {
                            host = Sql.host(rs, policy);
                            firstSeen = Sql.instant(rs, "layer_first_seen");
                        }
                        String imageId = rs.getString("image_id");
                        if (imageId != null) {
                            images.add(new ImageOnHost(imageId, rs.getInt("position"), rs.getString("chain_id"),
                                    Sql.strings(rs, "repo_tags"), Sql.strings(rs, "repo_digests")));
                            Containers.parse(rs.getString("containers")).forEach(k -> containers.putIfAbsent(k.containerId(), k));
                        }
                    }
                    if (host != null) {
                        emit(sink, new HostHolding(host, firstSeen, List.copyOf(images), sorted(containers.values())));
                    }
                }
            }
            return ref;
        });
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

    private Page<HostHolding> hosts(Connection c, LayerRef ref, PageRequest request, long total, String labelsJson)
            throws SQLException {
        record HostRow(long key, HostStatus host, Instant firstSeen) {
        }
        Page<HostRow> rows = HOSTS.page(c, request, total, rs -> new HostRow(rs.getLong("host_key"), Sql.host(rs, policy),
                Sql.instant(rs, "layer_first_seen")), ref.layerKeys(), ref.layerKeys(), labelsJson);
        List<Long> hostKeys = rows.items().stream().map(HostRow::key).toList();
        Map<Long, List<ImageOnHost>> images = new LinkedHashMap<>();
        Map<Long, Map<String, ContainerOnHost>> containers = new LinkedHashMap<>();
        if (!hostKeys.isEmpty()) {
            record Use(long host, ImageOnHost image, List<ContainerOnHost> containers) {
            }
            for (Use u : Sql.list(c, IMAGES_ON_HOSTS, rs -> new Use(rs.getLong("host_key"), new ImageOnHost(
                    rs.getString("image_id"), rs.getInt("position"), rs.getString("chain_id"), Sql.strings(rs, "repo_tags"),
                    Sql.strings(rs, "repo_digests")),
                    Containers.parse(rs.getString("containers"))), hostKeys, ref.layerKeys())) {
                images.computeIfAbsent(u.host(), k -> new ArrayList<>()).add(u.image());
                u.containers().forEach(k -> containers.computeIfAbsent(u.host(), x -> new java.util.TreeMap<>())
                        .putIfAbsent(k.containerId(), k));
            }
        }
        return new Page<>(rows.items().stream().map(r -> new HostHolding(r.host(), r.firstSeen(),
                List.copyOf(images.getOrDefault(r.key(), List.of())),
                sorted(containers.getOrDefault(r.key(), Map.of()).values()))).toList(), rows.info());
    }

    /** Containers by name, then ID, as {@link Containers} orders them. */
    private static List<ContainerOnHost> sorted(java.util.Collection<ContainerOnHost> containers) {
        return containers.stream().sorted(java.util.Comparator.comparing((ContainerOnHost k) -> k.name() == null ? "" : k.name())
                .thenComparing(ContainerOnHost::containerId)).toList();
    }

    /** A {@code docker history} step that created the layer: its {@code created by} and time, in an image containing it. */
    public record Step(String createdBy, Instant created, String imageId) {
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
            SELECT i.image_id, i.image_key, s.created_by, s.created,
                   i.layer_count = (SELECT count(*) FROM image_history h WHERE h.image_key = i.image_key AND NOT h.empty_layer) AS paired
              FROM image_layers il JOIN images i ON i.image_key = il.image_key
              LEFT JOIN LATERAL (SELECT h.created_by, h.created FROM image_history h
                                  WHERE h.image_key = i.image_key AND NOT h.empty_layer
                                  ORDER BY h.position OFFSET il.position LIMIT 1) s ON TRUE
             WHERE il.layer_key = ANY (?)
             ORDER BY EXISTS (SELECT 1 FROM host_images hi JOIN hosts ho ON ho.host_key = hi.host_key
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
            SELECT i.image_id,
                   ARRAY(SELECT DISTINCT t FROM host_images hi JOIN hosts h ON h.host_key = hi.host_key, unnest(hi.repo_tags) t
                          WHERE hi.image_key = i.image_key AND h.retired_at IS NULL ORDER BY t) AS tags
              FROM up JOIN images i ON i.image_key = up.image_key
             ORDER BY up.depth""";

    /**
     * Where the layer a digest or prefix names comes from: the history step that created it and its base-image family.
     *
     * @throws QueryException.InvalidParameter, QueryException.NotFound, QueryException.Ambiguous as {@link #resolve}
     */
    public Origin origin(String digestOrPrefix) {
        Matches.DigestPrefix d = Matches.parseDigest(digestOrPrefix);
        return Sql.inSnapshot(dataSource, "layer origin", c -> {
            LayerRef ref = resolve(c, d);
            record Row(String imageId, long imageKey, String createdBy, Instant created, boolean paired) {
            }
            List<Row> rows = Sql.list(c, STEPS, rs -> new Row(rs.getString("image_id"), rs.getLong("image_key"),
                    rs.getString("created_by"), Sql.instant(rs, "created"), rs.getBoolean("paired")), ref.layerKeys());
            if (rows.isEmpty()) {
                return new Origin(List.of(), null, List.of(), null, List.of());
            }
            List<Step> steps = rows.stream().filter(r -> r.createdBy() != null && r.paired()).limit(1)
                    .map(r -> new Step(r.createdBy(), r.created(), r.imageId())).toList();
            List<Map.Entry<String, List<String>>> chain = Sql.list(c, ROOT,
                    rs -> Map.entry(rs.getString("image_id"), Sql.strings(rs, "tags")), rows.get(0).imageKey());
            var introduced = chain.get(0);
            var root = chain.get(chain.size() - 1);
            return new Origin(steps, introduced.getKey(), introduced.getValue(), root.getKey(),
                    root.getValue());
        });
    }
}
