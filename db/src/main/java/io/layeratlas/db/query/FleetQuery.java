package io.layeratlas.db.query;

import javax.sql.DataSource;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The fleet overview (the dashboard's home): how many images {@code docker image ls} would show across the fleet
 * and how many {@code docker image ls -a} would, the stale agents, and the fleet-wide feed of recent changes with
 * the tags of the images that arrived or left. Fleet totals of layers and bytes are {@link ReuseQuery}'s.
 *
 * <p><b>Intermediate images</b> are hidden as Docker 20.10 hides them in {@code docker image ls} without {@code -a}
 * (moby {@code daemon/images/images.go}, {@code Images}: an image with neither repo tags nor repo digests is skipped
 * when it has children): on one host, an image with no tag and no repo digest that is the local parent
 * ({@code host_images.parent_id}) of another image on the same host. An image pulled by digest has a repo digest and
 * is never hidden. The rule is {@link #SHOWN}, used by every query that hides intermediate images. Thread-safe.
 */
public final class FleetQuery {
    /**
     * SQL condition on a {@code host_images} row aliased {@code hi} (its {@code tag_set_key} and {@code host_key})
     * joined to its {@code images} row {@code i}: true when {@code docker image ls} (without {@code -a}) on that host
     * lists the image. "Neither repo tags nor repo digests" is the row's tag set being the empty one (V20), found once
     * per statement by its fingerprint, so the condition reads no array: a recount of 10,000 hosts' totals joined
     * every row's set for its arrays (2 million probes: 12.2 million buffers in the bench's COPY baseline, 6.2 million
     * without).
     */
    public static final String SHOWN = """
            (hi.tag_set_key IS DISTINCT FROM (SELECT e.tag_set_key FROM tag_sets e
                                               WHERE e.fingerprint = tag_set_fingerprint('{}', '{}'))
             OR NOT EXISTS (SELECT 1 FROM host_images ch WHERE ch.host_key = hi.host_key AND ch.parent_id = i.image_id))""";

    /**
     * The statement every answer reads the freshness of the whole fleet with (the overview, the hosts holding a layer,
     * the package search; V17's indexes, V25's live host count), for baselines that time an answer as bare SQL (as
     * {@link PackageQuery#matchingDatabases}): one row, columns {@code standby, replayed_at, caught_up, lag} (how far a
     * hot standby's replay trails; false, null, false, 0 on a primary), {@code hosts} (live hosts), {@code
     * oldest_report, oldest_inventory} (timestamps with time zone, null without hosts), {@code stale} (the first
     * {@value Freshness#STALE_LISTED} stale host IDs in byte order) and {@code stale_count}. Its one parameter is a
     * timestamp: reports before it are stale ({@link Freshness.Policy#staleBefore}).
     */
    public static final String FLEET_FRESHNESS = Sql.freshnessSql("TRUE");

    /** Most change-log rows (one per host, generation, change and subject) in the feed. */
    public static final int FEED_LIMIT = 50;
    /** Most images named per feed row, tagged ones first; the row's {@code count} says how many there are. */
    static final int FEED_IMAGES = 8;

    private final DataSource dataSource;
    private final Freshness.Policy policy;

    public FleetQuery(DataSource dataSource, Freshness.Policy policy) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /**
     * An image named in the feed: its ID, and the tags and repo digests the row's host gives it (while it holds it;
     * else every tag and repo digest hosts give it, retired hosts excluded).
     */
    public record FeedImage(String imageId, List<String> repoTags, List<String> repoDigests) {
    }

    /**
     * One line of the fleet's change log: on {@code hostId}, at the agent's scan time {@code at}, {@code count}
     * images, layers or repo tags ({@code subject} {@code image}, {@code layer}, {@code tag}) were {@code added} or
     * {@code removed}; a tag line is about tags an image the host kept gained or lost. {@code images}: up to
     * {@value #FEED_IMAGES} of the images (empty for layer lines); {@code tags}: up to {@value #FEED_IMAGES} of the
     * tags of a tag line (empty for the others).
     */
    public record FeedEntry(String hostId, long generation, Instant at, String change, String subject, int count,
                            List<FeedImage> images, List<String> tags) {
    }

    /**
     * The overview.
     *
     * @param shownImages images {@code docker image ls} lists on at least one live (not retired) host
     * @param allImages   images {@code docker image ls -a} lists on at least one such host
     * @param since       start of the feed's window
     * @param feed        newest first, at most {@link #FEED_LIMIT} lines
     * @param freshness   of every host; its {@code hostCount} is zero on an empty index
     */
    public record Overview(long shownImages, long allImages, Instant since, List<FeedEntry> feed, Freshness freshness) {
    }

    private static final String IMAGE_COUNTS = """
            SELECT count(DISTINCT hi.image_key) FILTER (WHERE %s) AS shown, count(DISTINCT hi.image_key) AS all_images
              FROM host_images hi JOIN images i ON i.image_key = hi.image_key JOIN hosts h ON h.host_key = hi.host_key
             WHERE h.retired_at IS NULL""".formatted(SHOWN);

    private static final String FEED = """
            SELECT h.host_id, h.host_key, c.generation, c.at, c.change, c.subject, cardinality(c.keys) AS n,
                   CASE WHEN c.subject IN ('image', 'tag') THEN ARRAY(SELECT k FROM (SELECT DISTINCT k FROM unnest(c.keys) k) d
                                                             ORDER BY image_tagged_somewhere(k) DESC, k LIMIT %d) END AS sample,
                   c.tags[1:%d] AS tags
              FROM host_changes c JOIN hosts h ON h.host_key = c.host_key
             WHERE c.at >= ? AND h.retired_at IS NULL
             ORDER BY c.at DESC, c.change_id DESC
             LIMIT %d""".formatted(FEED_IMAGES, FEED_IMAGES, FEED_LIMIT);

    // An image of a feed row is named as that row's host names it while the host holds it (Docker's tags are per
    // host: the same image may be api:current on one host only); an image the host no longer holds, by the names
    // the fleet gives it.
    private static final String FEED_NAMES = """
            SELECT p.host_key, i.image_key, i.image_id,
                   CASE WHEN own.image_key IS NOT NULL THEN own.repo_tags ELSE %s END AS tags,
                   CASE WHEN own.image_key IS NOT NULL THEN own.repo_digests ELSE
                   ARRAY(SELECT DISTINCT d FROM host_images hi JOIN hosts h ON h.host_key = hi.host_key, unnest(hi.repo_digests) d
                          WHERE hi.image_key = i.image_key AND h.retired_at IS NULL ORDER BY d) END AS digests
              FROM unnest(?::integer[], ?::bigint[]) AS p(host_key, image_key)
              JOIN images i ON i.image_key = p.image_key
              LEFT JOIN host_images own ON own.host_key = p.host_key AND own.image_key = p.image_key"""
            .formatted(Sql.fleetTags("i.image_key"));

    /**
     * The overview, with the change feed of the last {@code window}.
     *
     * @throws QueryException.InvalidParameter for a window that is not positive or longer than 30 days
     */
    public Overview overview(Duration window) {
        if (window.isNegative() || window.isZero() || window.compareTo(Duration.ofDays(30)) > 0) {
            throw new QueryException.InvalidParameter("the feed's window must be between 1 hour and 30 days");
        }
        Instant since = policy.clock().instant().minus(window);
        return Sql.inSnapshot(dataSource, "overview", c -> {
            Freshness freshness = Sql.freshness(c, policy, "TRUE");
            long[] counts = Sql.list(c, IMAGE_COUNTS, rs -> new long[]{rs.getLong("shown"), rs.getLong("all_images")}).get(0);
            record Row(String hostId, int hostKey, long generation, Instant at, String change, String subject, int count,
                       List<Long> sample, List<String> tags) {
            }
            List<Row> rows = Sql.list(c, FEED, rs -> {
                java.sql.Array a = rs.getArray("sample");
                List<Long> sample = new ArrayList<>();
                if (a != null) {
                    for (Object o : (Object[]) a.getArray()) {
                        sample.add(((Number) o).longValue());
                    }
                }
                return new Row(rs.getString("host_id"), rs.getInt("host_key"), rs.getLong("generation"), Sql.instant(rs, "at"),
                        rs.getString("change"), rs.getString("subject"), rs.getInt("n"), sample,
                        Sql.strings(rs, "tags"));
            }, Timestamp.from(since));
            java.util.Set<List<Long>> pairs = new java.util.LinkedHashSet<>();
            rows.forEach(r -> r.sample().forEach(k -> pairs.add(List.of((long) r.hostKey(), k))));
            Map<List<Long>, FeedImage> names = new HashMap<>();
            if (!pairs.isEmpty()) {
                Integer[] hostKeys = pairs.stream().map(p -> (int) (long) p.get(0)).toArray(Integer[]::new);
                Long[] imageKeys = pairs.stream().map(p -> p.get(1)).toArray(Long[]::new);
                Sql.list(c, FEED_NAMES, rs -> names.put(List.of((long) rs.getInt("host_key"), rs.getLong("image_key")),
                        new FeedImage(rs.getString("image_id"), Sql.strings(rs, "tags"), Sql.strings(rs, "digests"))),
                        c.createArrayOf("integer", hostKeys), c.createArrayOf("bigint", imageKeys));
            }
            List<FeedEntry> feed = rows.stream().map(r -> new FeedEntry(r.hostId(), r.generation(), r.at(), r.change(),
                    r.subject(), r.count(), r.sample().stream().map(k -> names.get(List.of((long) r.hostKey(), k)))
                            .filter(Objects::nonNull).toList(), r.tags())).toList();
            return new Overview(counts[0], counts[1], since, feed, freshness);
        });
    }
}
