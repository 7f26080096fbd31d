package io.layeratlas.db.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

/**
 * The usage counters, kept exact in the same transaction as the facts they count:
 * {@code image_usage.host_count} = hosts with a {@code host_images} row for the image;
 * {@code layer_usage.host_count} = hosts with a {@code host_layers} row for the layer;
 * {@code layer_usage.image_count} = images held by at least one host whose stack contains the layer;
 * {@code image_usage.tagged_host_count} = hosts that are not retired whose {@code host_images} row for the image has a
 * repo tag (V9; moved by {@link HostContentsStore} as it replaces a host's images);
 * {@code image_tags.host_count} = hosts that are not retired whose {@code host_images} row for the image carries the tag
 * (V13: rows with a count above 0 only; the fleet's tags of an image, which the queries read).
 * They move by deltas, set-based ({@link #applyDeltas}, {@link #stacksAdded}, {@link #moveTags}); {@link #recount(Connection)}
 * recomputes them all from the facts.
 */
final class UsageStore {

    // (layer_key, n) arrays, keys ascending.
    private static final String LAYER_HOSTS = """
            UPDATE layer_usage u SET host_count = u.host_count + d.n
              FROM unnest(?::bigint[], ?::integer[]) AS d(layer_key, n)
             WHERE u.layer_key = d.layer_key
            """;

    // (image_key, n) arrays, keys ascending. Images whose host count went from 0 to more (or back) add (or remove) one
    // image to every layer of their stack.
    private static final String IMAGE_HOSTS = """
            WITH moved AS (
                UPDATE image_usage u SET host_count = u.host_count + d.n
                  FROM unnest(?::bigint[], ?::integer[]) AS d(image_key, n)
                 WHERE u.image_key = d.image_key
                RETURNING u.image_key, u.host_count AS now, d.n),
            flipped AS (SELECT image_key, CASE WHEN now > 0 THEN 1 ELSE -1 END AS d FROM moved
                         WHERE (now > 0) <> (now - n > 0)),
            per_layer AS (SELECT il.layer_key, sum(f.d)::integer AS n FROM flipped f JOIN image_layers il USING (image_key)
                           GROUP BY il.layer_key)
            UPDATE layer_usage u SET image_count = u.image_count + p.n FROM per_layer p
             WHERE u.layer_key = p.layer_key AND p.n <> 0
            """;

    // Stacks written in this transaction (la_new_stack) of images some host holds: each of their layers gains one.
    private static final String STACKS_ADDED = """
            UPDATE layer_usage u SET image_count = u.image_count + d.n
              FROM (SELECT il.layer_key, count(*)::integer AS n
                      FROM la_new_stack s
                      JOIN image_usage iu ON iu.image_key = s.image_key AND iu.host_count > 0
                      JOIN image_layers il ON il.image_key = s.image_key
                     GROUP BY il.layer_key) d
             WHERE u.layer_key = d.layer_key
            """;

    // (image_key, tag, n) arrays, each (image, tag) once, n never 0 (ImageTagMoves): rows there move, the others are
    // inserted (a concurrent writer may insert the same one first: the conflict adds to it). A move below 0, or a
    // negative move of a row that is not there, breaks the table's CHECK and fails the batch: the comparison and the
    // rows disagree. Not a plain upsert: PostgreSQL checks the row an INSERT proposes (n < 0) before the conflict.
    private static final String TAG_HOSTS = """
            WITH d AS (SELECT * FROM unnest(?::bigint[], ?::text[], ?::integer[]) AS d(image_key, tag, n)),
            moved AS (
                UPDATE image_tags t SET host_count = t.host_count + d.n FROM d
                 WHERE t.image_key = d.image_key AND t.tag = d.tag
                RETURNING t.image_key, t.tag)
            INSERT INTO image_tags AS t (image_key, tag, host_count)
            SELECT d.image_key, d.tag, d.n FROM d
             WHERE NOT EXISTS (SELECT 1 FROM moved m WHERE m.image_key = d.image_key AND m.tag = d.tag)
             ORDER BY d.image_key, d.tag
            ON CONFLICT (image_key, tag) DO UPDATE SET host_count = t.host_count + excluded.host_count
            """;

    // The rows the moves took to 0, after TAG_HOSTS (a statement of its own: a statement does not see its own CTEs'
    // updates), only when some move was negative; so no row at 0 outlives the transaction.
    private static final String TAGS_GONE = """
            DELETE FROM image_tags t USING unnest(?::bigint[], ?::text[], ?::integer[]) AS d(image_key, tag, n)
             WHERE d.n < 0 AND t.image_key = d.image_key AND t.tag = d.tag AND t.host_count = 0
            """;

    /**
     * The fleet's tags of each image from scratch (V13's definition, as V13 fills the table: a host counts once per
     * tag of its row), written where they differ; answers how many rows were wrong.
     */
    private static final String RECOUNT_TAGS = """
            WITH truth AS (
                SELECT hi.image_key, t.tag, count(*)::integer AS host_count
                  FROM host_images hi JOIN hosts h ON h.host_key = hi.host_key
                 CROSS JOIN LATERAL (SELECT DISTINCT tag FROM unnest(hi.repo_tags) AS u(tag)) t
                 WHERE h.retired_at IS NULL
                 GROUP BY hi.image_key, t.tag),
            gone AS (
                DELETE FROM image_tags it
                 WHERE NOT EXISTS (SELECT 1 FROM truth WHERE truth.image_key = it.image_key AND truth.tag = it.tag)
                RETURNING 1),
            fixed AS (
                INSERT INTO image_tags AS it (image_key, tag, host_count)
                SELECT image_key, tag, host_count FROM truth ORDER BY image_key, tag
                ON CONFLICT (image_key, tag) DO UPDATE SET host_count = excluded.host_count
                 WHERE it.host_count <> excluded.host_count
                RETURNING 1)
            SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM fixed)
            """;

    private static final String RECOUNT_ENSURE_ROWS = """
            INSERT INTO image_usage (image_key) SELECT image_key FROM images ON CONFLICT (image_key) DO NOTHING;
            INSERT INTO layer_usage (layer_key) SELECT layer_key FROM layers ON CONFLICT (layer_key) DO NOTHING
            """;

    private static final String RECOUNT_IMAGES = """
            UPDATE image_usage u SET host_count = c.hosts, tagged_host_count = c.tagged
              FROM (SELECT i.image_key, COALESCE(h.n, 0)::integer AS hosts, COALESCE(h.t, 0)::integer AS tagged
                      FROM images i
                      LEFT JOIN (SELECT hi.image_key, count(*) AS n,
                                        count(*) FILTER (WHERE hi.repo_tags <> '{}' AND hs.retired_at IS NULL) AS t
                                   FROM host_images hi JOIN hosts hs ON hs.host_key = hi.host_key
                                  GROUP BY hi.image_key) h
                             ON h.image_key = i.image_key) AS c
             WHERE u.image_key = c.image_key AND (u.host_count <> c.hosts OR u.tagged_host_count <> c.tagged)
            """;

    private static final String RECOUNT_LAYERS = """
            UPDATE layer_usage u SET host_count = c.hosts, image_count = c.images
              FROM (SELECT l.layer_key, COALESCE(h.n, 0)::integer AS hosts, COALESCE(m.n, 0)::integer AS images
                      FROM layers l
                      LEFT JOIN (SELECT layer_key, count(*) AS n FROM host_layers GROUP BY layer_key) h
                             ON h.layer_key = l.layer_key
                      LEFT JOIN (SELECT il.layer_key, count(*) AS n
                                   FROM image_layers il
                                   JOIN image_usage iu ON iu.image_key = il.image_key AND iu.host_count > 0
                                  GROUP BY il.layer_key) m
                             ON m.layer_key = l.layer_key) AS c
             WHERE u.layer_key = c.layer_key AND (u.host_count <> c.hosts OR u.image_count <> c.images)
            """;

    private UsageStore() {
    }

    /**
     * Moves the host counts by the host contents' moves: layer key (or image key) -> hosts gained minus hosts lost, keys
     * ascending (so concurrent writers lock counter rows in the same order), no zero moves. At most two statements.
     */
    static void applyDeltas(Statements s, Map<Long, Integer> layerHosts, Map<Long, Integer> imageHosts) throws SQLException {
        for (var sqlAndMoves : List.of(Map.entry(LAYER_HOSTS, layerHosts), Map.entry(IMAGE_HOSTS, imageHosts))) {
            if (sqlAndMoves.getValue().isEmpty()) {
                continue;
            }
            try (PreparedStatement ps = s.prepare(sqlAndMoves.getKey())) {
                ps.setArray(1, Sql.longs(s.connection(), sqlAndMoves.getValue().keySet()));
                ps.setArray(2, Sql.ints(s.connection(), sqlAndMoves.getValue().values()));
                ps.executeUpdate();
            }
        }
    }

    /**
     * Moves the fleet's tags of images ({@code image_tags}) by a replacement's moves and deletes the rows they took to 0.
     * Two statements, one when no move is negative, none when nothing moved.
     */
    static void moveTags(Statements s, ImageTagMoves moves) throws SQLException {
        moves.execute(s, TAG_HOSTS, TAGS_GONE);
    }

    /** Stacks just written ({@code la_new_stack}): if a host holds the image, each of its layers gains one image. */
    static void stacksAdded(Statements s) throws SQLException {
        s.execute(STACKS_ADDED);
    }

    /** Recomputes every counter from the facts; returns how many counter rows were wrong (0 when exact). */
    static int recount(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(RECOUNT_ENSURE_ROWS);
        }
        int fixed = 0;
        for (String sql : List.of(RECOUNT_IMAGES, RECOUNT_LAYERS)) {
            try (Statement s = c.createStatement()) {
                fixed += s.executeUpdate(sql);
            }
        }
        return fixed + recountTags(c);
    }

    /** Recomputes {@code image_tags} from {@code host_images}; returns how many rows were wrong (0 when exact). */
    static int recountTags(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(RECOUNT_TAGS)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
