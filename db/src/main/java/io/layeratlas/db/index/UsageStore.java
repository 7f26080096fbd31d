package io.layeratlas.db.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
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
 * repo tag (V9; moved by {@link HostContentsStore} as it replaces a host's images).
 * They move by deltas, set-based ({@link #applyDeltas}, {@link #stacksAdded}); {@link #recount(Connection)}
 * recomputes all three from the facts.
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
        return fixed;
    }
}
