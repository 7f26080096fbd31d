package io.layeratlas.db.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The usage counters, kept exact in the same transaction as the facts they count:
 * {@code image_usage.host_count} = hosts with a {@code host_images} row for the image;
 * {@code layer_usage.host_count} = hosts with a {@code host_layers} row for the layer;
 * {@code layer_usage.image_count} = images held by at least one host whose stack contains the layer.
 * {@link #recount(Connection)} recomputes all three from the facts.
 */
final class UsageStore {

    private static final String IMAGE_HOSTS = """
            UPDATE image_usage u SET host_count = u.host_count + t.d
              FROM unnest(?::bigint[], ?::integer[]) AS t(k, d)
             WHERE u.image_key = t.k
            RETURNING u.image_key, u.host_count
            """;

    private static final String LAYER_HOSTS = """
            UPDATE layer_usage u SET host_count = u.host_count + t.d
              FROM unnest(?::bigint[], ?::integer[]) AS t(k, d)
             WHERE u.layer_key = t.k
            """;

    private static final String LAYER_IMAGES = """
            UPDATE layer_usage u SET image_count = u.image_count + d.delta
              FROM (SELECT il.layer_key, sum(t.d)::integer AS delta
                      FROM unnest(?::bigint[], ?::integer[]) AS t(k, d)
                      JOIN image_layers il ON il.image_key = t.k
                     GROUP BY il.layer_key) AS d
             WHERE u.layer_key = d.layer_key AND d.delta <> 0
            """;

    private static final String STACK_OF_HELD_IMAGE = """
            UPDATE layer_usage u SET image_count = u.image_count + 1
              FROM image_layers il
             WHERE il.image_key = ? AND u.layer_key = il.layer_key
               AND EXISTS (SELECT 1 FROM image_usage iu WHERE iu.image_key = ? AND iu.host_count > 0)
            """;

    private static final String RECOUNT_ENSURE_ROWS = """
            INSERT INTO image_usage (image_key) SELECT image_key FROM images ON CONFLICT (image_key) DO NOTHING;
            INSERT INTO layer_usage (layer_key) SELECT layer_key FROM layers ON CONFLICT (layer_key) DO NOTHING
            """;

    private static final String RECOUNT_IMAGES = """
            UPDATE image_usage u SET host_count = c.hosts
              FROM (SELECT i.image_key, COALESCE(h.n, 0)::integer AS hosts
                      FROM images i
                      LEFT JOIN (SELECT image_key, count(*) AS n FROM host_images GROUP BY image_key) h
                             ON h.image_key = i.image_key) AS c
             WHERE u.image_key = c.image_key AND u.host_count <> c.hosts
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
     * Applies one host's changes: +1/-1 per image and layer it gained/lost. Images whose host count went
     * from 0 to 1 (or 1 to 0) add (or remove) one to the image count of every layer in their stack.
     */
    static void apply(Connection c, Map<Long, Integer> imageDeltas, Map<Long, Integer> layerDeltas) throws SQLException {
        if (!imageDeltas.isEmpty()) {
            Map<Long, Integer> sorted = new TreeMap<>(imageDeltas);
            Map<Long, Integer> transitions = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement(IMAGE_HOSTS)) {
                ps.setArray(1, Sql.longs(c, sorted.keySet()));
                ps.setArray(2, Sql.ints(c, sorted.values()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long key = rs.getLong(1);
                        int now = rs.getInt(2);
                        int delta = sorted.get(key);
                        if (delta > 0 && now == delta) {
                            transitions.put(key, 1);
                        } else if (delta < 0 && now == 0) {
                            transitions.put(key, -1);
                        }
                    }
                }
            }
            if (!transitions.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement(LAYER_IMAGES)) {
                    ps.setArray(1, Sql.longs(c, transitions.keySet()));
                    ps.setArray(2, Sql.ints(c, transitions.values()));
                    ps.executeUpdate();
                }
            }
        }
        if (!layerDeltas.isEmpty()) {
            Map<Long, Integer> sorted = new TreeMap<>(layerDeltas);
            try (PreparedStatement ps = c.prepareStatement(LAYER_HOSTS)) {
                ps.setArray(1, Sql.longs(c, sorted.keySet()));
                ps.setArray(2, Sql.ints(c, sorted.values()));
                ps.executeUpdate();
            }
        }
    }

    /** An image's stack just became known: if a host holds the image, each of its layers gains one image. */
    static void stackAdded(Connection c, long imageKey) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(STACK_OF_HELD_IMAGE)) {
            ps.setLong(1, imageKey);
            ps.setLong(2, imageKey);
            ps.executeUpdate();
        }
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
