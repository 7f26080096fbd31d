package io.layeratlas.db.index;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.ImageRecord;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The {@code images} aggregate: images by image ID, their layer stack ({@code image_layers}), history and
 * config. An image row is created by whichever arrives first, a host's inventory naming it or its config
 * event, and completed by the other: the stack is written once (it is fixed by the image ID), the config
 * event's config, created, os/arch and history win over what an inventory said.
 */
final class ImageStore {

    /** An image's surrogate key and how many layers its stored stack has (null: stack not known yet). */
    record ImageRow(long key, Integer layerCount) {
    }

    private static final String INSERT_IMAGES = """
            INSERT INTO images (image_id, first_seen)
            SELECT t.id, COALESCE(?::timestamptz, now()) FROM unnest(?::text[]) AS t(id) ORDER BY t.id
            ON CONFLICT (image_id) DO NOTHING
            """;

    private static final String ENSURE_USAGE = """
            INSERT INTO image_usage (image_key)
            SELECT image_key FROM images WHERE image_id = ANY(?::text[]) ORDER BY image_key
            ON CONFLICT (image_key) DO NOTHING
            """;

    // Lock in key order, so that two indexers touching the same images cannot deadlock on them.
    private static final String LOCK_IMAGES = """
            SELECT image_id, image_key, layer_count FROM images
             WHERE image_id = ANY(?::text[]) ORDER BY image_key FOR UPDATE
            """;

    private static final String FILL_FACTS = """
            UPDATE images i SET
                created      = COALESCE(i.created, t.created::timestamptz),
                os           = COALESCE(i.os, t.os),
                architecture = COALESCE(i.architecture, t.arch),
                size         = COALESCE(i.size, t.size),
                first_seen   = LEAST(i.first_seen, ?::timestamptz)
              FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::bigint[]) AS t(image_key, created, os, arch, size)
             WHERE i.image_key = t.image_key
               AND ((i.created IS NULL AND t.created IS NOT NULL)
                 OR (i.os IS NULL AND t.os IS NOT NULL)
                 OR (i.architecture IS NULL AND t.arch IS NOT NULL)
                 OR (i.size IS NULL AND t.size IS NOT NULL)
                 OR i.first_seen > ?::timestamptz)
            """;

    private static final String SET_CONFIG = """
            UPDATE images SET config = ?::jsonb,
                              created = COALESCE(?, created),
                              os = COALESCE(?, os),
                              architecture = COALESCE(?, architecture)
             WHERE image_key = ?
            """;

    private static final String INSERT_STACK = """
            INSERT INTO image_layers (image_key, position, layer_key)
            SELECT ?, (t.pos - 1)::integer, t.layer_key FROM unnest(?::bigint[]) WITH ORDINALITY AS t(layer_key, pos)
            ON CONFLICT (image_key, position) DO NOTHING
            """;

    private static final String SET_LAYER_COUNT = "UPDATE images SET layer_count = ? WHERE image_key = ? AND layer_count IS NULL";

    private static final String DELETE_HISTORY = "DELETE FROM image_history WHERE image_key = ?";

    private static final String INSERT_HISTORY = """
            INSERT INTO image_history (image_key, position, created, created_by, comment, empty_layer, size)
            SELECT ?, (t.pos - 1)::integer, t.created::timestamptz, t.created_by, t.comment, t.empty_layer, t.size
              FROM unnest(?::text[], ?::text[], ?::text[], ?::boolean[], ?::bigint[])
                   WITH ORDINALITY AS t(created, created_by, comment, empty_layer, size, pos)
             WHERE NOT EXISTS (SELECT 1 FROM image_history h WHERE h.image_key = ?)
            """;

    private static final String DOCKER_PARENTS = """
            INSERT INTO image_parents (child_key, parent_key, source)
            SELECT t.child, t.parent, 'docker-parent' FROM unnest(?::bigint[], ?::bigint[]) AS t(child, parent)
             WHERE t.child <> t.parent ORDER BY t.child
            ON CONFLICT (child_key, source) DO NOTHING
            """;

    private ImageStore() {
    }

    /**
     * Creates the images that are not there yet (with a zero {@code image_usage} row) and locks all of them
     * for the rest of the transaction.
     *
     * @param seen when they were seen (a scan time), or null for "now"
     */
    static Map<Digest, ImageRow> ensureAndLock(Connection c, Collection<Digest> imageIds, Instant seen) throws SQLException {
        if (imageIds.isEmpty()) {
            return Map.of();
        }
        List<String> ids = new TreeSet<>(imageIds).stream().map(Digest::toString).toList();
        try (PreparedStatement ps = c.prepareStatement(INSERT_IMAGES)) {
            ps.setString(1, Sql.iso(seen));
            ps.setArray(2, Sql.texts(c, ids));
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(ENSURE_USAGE)) {
            ps.setArray(1, Sql.texts(c, ids));
            ps.executeUpdate();
        }
        Map<Digest, ImageRow> rows = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(LOCK_IMAGES)) {
            ps.setArray(1, Sql.texts(c, ids));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long key = rs.getLong(2);
                    int count = rs.getInt(3);
                    Integer layerCount = rs.wasNull() ? null : count;
                    rows.put(Digest.parse(rs.getString(1)), new ImageRow(key, layerCount));
                }
            }
        }
        return rows;
    }

    /** Fills created, os/arch and size where the image row does not know them yet (inventories never overwrite). */
    static void fillFacts(Connection c, Map<Long, ImageRecord> byKey, Instant seen) throws SQLException {
        if (byKey.isEmpty()) {
            return;
        }
        List<Long> keys = new ArrayList<>();
        List<String> created = new ArrayList<>();
        List<String> os = new ArrayList<>();
        List<String> arch = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        byKey.forEach((key, image) -> {
            keys.add(key);
            created.add(Sql.iso(image.created()));
            os.add(image.os());
            arch.add(image.architecture());
            sizes.add(Sql.knownOrNull(image.size()));
        });
        try (PreparedStatement ps = c.prepareStatement(FILL_FACTS)) {
            ps.setString(1, Sql.iso(seen));
            ps.setArray(2, Sql.longs(c, keys));
            ps.setArray(3, Sql.texts(c, created));
            ps.setArray(4, Sql.texts(c, os));
            ps.setArray(5, Sql.texts(c, arch));
            ps.setArray(6, Sql.longs(c, sizes));
            ps.setString(7, Sql.iso(seen));
            ps.executeUpdate();
        }
    }

    /** Stores the config JSON verbatim (as jsonb) with what was derived from it; a config that is not JSON is refused (22P02). */
    static void setConfig(Connection c, long imageKey, String config, ImageRecord derived) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SET_CONFIG)) {
            ps.setString(1, config);
            Sql.setInstant(ps, 2, derived.created());
            ps.setString(3, derived.os());
            ps.setString(4, derived.architecture());
            ps.setLong(5, imageKey);
            ps.executeUpdate();
        }
    }

    /** Writes the layer stack of an image whose stack is not known yet ({@code layer_count IS NULL}). */
    static void writeStack(Connection c, long imageKey, List<Long> layerKeysBottomFirst) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT_STACK)) {
            ps.setLong(1, imageKey);
            ps.setArray(2, Sql.longs(c, layerKeysBottomFirst));
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(SET_LAYER_COUNT)) {
            ps.setInt(1, layerKeysBottomFirst.size());
            ps.setLong(2, imageKey);
            ps.executeUpdate();
        }
    }

    /**
     * Writes an image's history, oldest first.
     *
     * @param replace true for the config event (authoritative: replaces any history an inventory wrote);
     *                false for an inventory (writes only when the image has no history yet)
     */
    static void writeHistory(Connection c, long imageKey, List<HistoryEntry> history, boolean replace) throws SQLException {
        if (replace) {
            try (PreparedStatement ps = c.prepareStatement(DELETE_HISTORY)) {
                ps.setLong(1, imageKey);
                ps.executeUpdate();
            }
        }
        if (history.isEmpty()) {
            return;
        }
        List<String> created = new ArrayList<>();
        List<String> createdBy = new ArrayList<>();
        List<String> comments = new ArrayList<>();
        List<Boolean> empty = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (HistoryEntry h : history) {
            created.add(Sql.iso(h.created()));
            createdBy.add(h.createdBy());
            comments.add(h.comment());
            empty.add(h.emptyLayer());
            sizes.add(h.size());
        }
        try (PreparedStatement ps = c.prepareStatement(INSERT_HISTORY)) {
            ps.setLong(1, imageKey);
            ps.setArray(2, Sql.texts(c, created));
            ps.setArray(3, Sql.texts(c, createdBy));
            ps.setArray(4, Sql.texts(c, comments));
            ps.setArray(5, Sql.booleans(c, empty));
            ps.setArray(6, Sql.longs(c, sizes));
            ps.setLong(7, imageKey);
            ps.executeUpdate();
        }
    }

    /** Records Docker's local parent as hosts reported it (child key → parent key); the first report is kept. */
    static void linkDockerParents(Connection c, Map<Long, Long> parentByChild) throws SQLException {
        if (parentByChild.isEmpty()) {
            return;
        }
        Map<Long, Long> sorted = new java.util.TreeMap<>(parentByChild);
        try (PreparedStatement ps = c.prepareStatement(DOCKER_PARENTS)) {
            ps.setArray(1, Sql.longs(c, sorted.keySet()));
            ps.setArray(2, Sql.longs(c, sorted.values()));
            ps.executeUpdate();
        }
    }
}
