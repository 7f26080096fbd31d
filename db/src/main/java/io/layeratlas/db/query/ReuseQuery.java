package io.layeratlas.db.query;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fleet-wide reuse, read from the counter tables the indexer keeps exact ({@code layer_usage}, {@code image_usage})
 * and the dimension tables ({@code layers}, {@code images}); it never aggregates the per-host fact tables
 * ({@code host_layers}, {@code host_images}), so its cost grows with distinct layers and images, not with hosts.
 *
 * <p>Bytes are uncompressed layer sizes as Docker reports them. "Stored" counts each layer once per host that
 * holds it (hosts share nothing with each other); "without sharing" counts it once per image per host, as if no
 * two images on a host shared a layer. The difference is what layer sharing saves. Thread-safe.
 */
public final class ReuseQuery {
    private final DataSource dataSource;
    private final Freshness.Policy policy;
    private final Duration maxAge;
    private final Map<Integer, Cached> cache = new ConcurrentHashMap<>();
    private final ExecutorService refresher;

    /** Computes every answer afresh. */
    public ReuseQuery(DataSource dataSource, Freshness.Policy policy) {
        this(dataSource, policy, Duration.ZERO);
    }

    /**
     * Answers from a copy computed at most {@code maxAge} ago. The page sums the whole index (its cost grows with
     * distinct layers and images, about 0.3 s under load at 200 hosts), so views share one computation: an answer
     * older than {@code maxAge} is still served while one background thread computes the next, and the answer's
     * {@link Freshness#asOf()} says when it was computed. Only the first request of each limit waits.
     *
     * @param maxAge zero: no copy, every call computes
     */
    public ReuseQuery(DataSource dataSource, Freshness.Policy policy, Duration maxAge) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
        this.refresher = maxAge.isZero() ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "reuse-refresh");
            t.setDaemon(true);
            return t;
        });
    }

    private record Cached(Reuse value, long computedAtNanos, AtomicBoolean refreshing) {
    }

    /**
     * Fleet totals. Bytes as described on the class.
     *
     * @param distinctBytes bytes if every distinct layer were stored once for the whole fleet
     */
    public record Totals(int hosts, int liveHosts, int staleHosts, long images, long distinctLayers,
                         long storedBytes, long unsharedBytes, long savedBytes, long distinctBytes) {
    }

    /**
     * A layer ranked by what sharing it saves.
     *
     * @param savedBytes size × (image copies on hosts − host copies)
     */
    public record TopLayer(String chainId, String diffId, long size, int hostCount, int imageCount, long imageCopies,
                           long savedBytes, List<String> exampleTags) {
    }

    /** How many layers are held by exactly {@code hostCount} hosts, and their bytes (each counted once). */
    public record ShareBucket(int hostCount, long layers, long bytes) {
    }

    /**
     * A base-image family: a root image (no base of its own) and the images built on it, transitively.
     *
     * @param members   images in the family, the root included
     * @param hostCount hosts holding the root's whole layer stack (its top chain ID), so every host with the root or
     *                  any image built on it
     */
    public record Family(String rootImageId, List<String> rootTags, int layerCount, Long size, int members,
                         int hostCount) {
    }

    /** Everything on the reuse page. */
    public record Reuse(Totals totals, List<TopLayer> topLayers, List<ShareBucket> distribution, List<Family> families,
                        Freshness freshness) {
    }

    private static final String LAYER_TOTALS = """
            SELECT count(*) AS layers,
                   coalesce(sum(coalesce(l.size, 0) * u.host_count), 0) AS stored,
                   coalesce(sum(coalesce(l.size, 0)), 0) AS distinct_bytes
              FROM layer_usage u JOIN layers l ON l.layer_key = u.layer_key
             WHERE u.host_count > 0""";

    private static final String IMAGE_TOTALS = """
            SELECT count(*) AS images, coalesce(sum(coalesce(i.size, 0) * u.host_count), 0) AS unshared
              FROM image_usage u JOIN images i ON i.image_key = u.image_key
             WHERE u.host_count > 0""";

    // Image copies of a layer: over the images containing it, how many hosts hold each (image_usage).
    // Example tags come from the 20 most widely held images containing the layer, from the fleet's tags of each image
    // (image_tags: a few rows an image). Reading every host's tags of every image holding a base layer grew with the
    // fleet (2.9 s at 300 hosts; bench/results); one host row an image (LIMIT 1) named an arbitrary host's tags, which
    // could change between two views of the page.
    private static final String TOP_LAYERS = """
            WITH copies AS (
                SELECT il.layer_key, sum(iu.host_count) AS image_copies
                  FROM image_layers il JOIN image_usage iu ON iu.image_key = il.image_key
                 WHERE iu.host_count > 0
                 GROUP BY il.layer_key)
            SELECT l.chain_id, l.diff_id, coalesce(l.size, 0) AS size, u.host_count, u.image_count, c.image_copies,
                   coalesce(l.size, 0) * (c.image_copies - u.host_count) AS saved,
                   ARRAY(SELECT DISTINCT ft.tag
                           FROM (SELECT il2.image_key FROM image_layers il2
                                   JOIN image_usage iu2 ON iu2.image_key = il2.image_key AND iu2.host_count > 0
                                  WHERE il2.layer_key = l.layer_key
                                  ORDER BY iu2.host_count DESC, il2.image_key LIMIT 20) im
                           JOIN image_tags ft ON ft.image_key = im.image_key
                          ORDER BY ft.tag LIMIT 3) AS tags
              FROM copies c JOIN layer_usage u ON u.layer_key = c.layer_key JOIN layers l ON l.layer_key = c.layer_key
             WHERE u.host_count > 0
             ORDER BY saved DESC, u.host_count DESC, l.chain_id
             LIMIT ?""";

    private static final String DISTRIBUTION = """
            SELECT u.host_count, count(*) AS layers, coalesce(sum(l.size), 0) AS bytes
              FROM layer_usage u JOIN layers l ON l.layer_key = u.layer_key
             WHERE u.host_count > 0
             GROUP BY u.host_count ORDER BY u.host_count""";

    // Roots: images no inferred base points above; members: the root and its descendants through inferred bases.
    private static final String FAMILIES = """
            WITH RECURSIVE tree AS (
                SELECT i.image_key AS root_key, i.image_key FROM images i
                 WHERE NOT EXISTS (SELECT 1 FROM image_parents p WHERE p.child_key = i.image_key AND p.source = 'inferred-base')
                   AND EXISTS (SELECT 1 FROM image_parents p WHERE p.parent_key = i.image_key AND p.source = 'inferred-base')
                UNION ALL
                SELECT t.root_key, p.child_key FROM tree t
                  JOIN image_parents p ON p.parent_key = t.image_key AND p.source = 'inferred-base')
            SELECT r.image_id, r.layer_count, r.size, count(DISTINCT t.image_key) AS members,
                   coalesce((SELECT lu.host_count FROM image_layers il JOIN layer_usage lu ON lu.layer_key = il.layer_key
                              WHERE il.image_key = r.image_key ORDER BY il.position DESC LIMIT 1), 0) AS host_count,
                   %s AS tags
              FROM tree t JOIN images r ON r.image_key = t.root_key
             GROUP BY r.image_key
             ORDER BY members DESC, r.image_id
             LIMIT 50""".formatted(Sql.fleetTags("r.image_key"));

    /**
     * The reuse page's data.
     *
     * @param topLimit how many top layers, 1–500
     * @throws QueryException.InvalidParameter for a limit out of range
     */
    public Reuse reuse(int topLimit) {
        if (topLimit < 1 || topLimit > 500) {
            throw new QueryException.InvalidParameter("limit must be 1-500: " + topLimit);
        }
        if (refresher == null) {
            return compute(topLimit);
        }
        Cached cached = cache.get(topLimit);
        if (cached == null) {
            synchronized (cache) {
                cached = cache.get(topLimit);
                if (cached == null) {
                    cached = new Cached(compute(topLimit), System.nanoTime(), new AtomicBoolean());
                    cache.put(topLimit, cached);
                }
            }
        } else if (System.nanoTime() - cached.computedAtNanos() > maxAge.toNanos()
                && cached.refreshing().compareAndSet(false, true)) {
            Cached old = cached;
            refresher.execute(() -> {
                try {
                    cache.put(topLimit, new Cached(compute(topLimit), System.nanoTime(), new AtomicBoolean()));
                } catch (RuntimeException e) {
                    old.refreshing().set(false); // the next view tries again; this one keeps the older answer
                }
            });
        }
        return cached.value();
    }

    private Reuse compute(int topLimit) {
        return Sql.inSnapshot(dataSource, "reuse", c -> {
            Freshness freshness = Sql.freshness(c, policy, "TRUE");
            long[] layers = Sql.list(c, LAYER_TOTALS, rs -> new long[]{rs.getLong("layers"), rs.getLong("stored"),
                    rs.getLong("distinct_bytes")}).get(0);
            long[] images = Sql.list(c, IMAGE_TOTALS, rs -> new long[]{rs.getLong("images"), rs.getLong("unshared")}).get(0);
            int stale = freshness.staleHostCount();
            Totals totals = new Totals(freshness.hostCount(), freshness.hostCount() - stale, stale, images[0], layers[0], layers[1],
                    images[1], images[1] - layers[1], layers[2]);
            List<TopLayer> top = Sql.list(c, TOP_LAYERS, rs -> new TopLayer(rs.getString("chain_id"), rs.getString("diff_id"),
                    rs.getLong("size"), rs.getInt("host_count"), rs.getInt("image_count"), rs.getLong("image_copies"),
                    rs.getLong("saved"), Sql.strings(rs, "tags")), topLimit);
            List<ShareBucket> distribution = Sql.list(c, DISTRIBUTION,
                    rs -> new ShareBucket(rs.getInt("host_count"), rs.getLong("layers"), rs.getLong("bytes")));
            List<Family> families = Sql.list(c, FAMILIES, rs -> new Family(rs.getString("image_id"), Sql.strings(rs, "tags"),
                    rs.getInt("layer_count"), Sql.nullableLong(rs, "size"), rs.getInt("members"), rs.getInt("host_count")));
            return new Reuse(totals, top, distribution, families, freshness);
        });
    }
}
