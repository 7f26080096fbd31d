package io.layeratlas.db.index;

import io.layeratlas.events.ImageRecord;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one host holds: {@code host_images}, {@code host_layers}, and the {@code host_changes} history of both.
 * {@link #replace} makes the host's rows equal a complete snapshot, records what arrived and left, and
 * moves the usage counters by exactly that difference, and tells which images got or lost a repo tag on the
 * host (for {@link LineageStore}). The caller holds the host row's lock.
 */
final class HostContentsStore {

    private static final String CURRENT_IMAGES = """
            SELECT hi.image_key, i.image_id, hi.repo_tags <> '{}' FROM host_images hi JOIN images i ON i.image_key = hi.image_key
             WHERE hi.host_key = ?
            """;

    private static final String CURRENT_LAYERS = """
            SELECT hl.layer_key, l.chain_id FROM host_layers hl JOIN layers l ON l.layer_key = hl.layer_key
             WHERE hl.host_key = ?
            """;

    private static final String DELETE_IMAGES = "DELETE FROM host_images WHERE host_key = ? AND image_key = ANY(?::bigint[])";

    private static final String DELETE_LAYERS = "DELETE FROM host_layers WHERE host_key = ? AND layer_key = ANY(?::bigint[])";

    private static final String UPSERT_IMAGE = """
            INSERT INTO host_images (host_key, image_key, repo_tags, repo_digests, parent_id, containers, size,
                                     shared_size, unique_size, first_seen, last_seen)
            VALUES (?, ?, ?::text[], ?::text[], ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (host_key, image_key) DO UPDATE SET
                repo_tags = EXCLUDED.repo_tags, repo_digests = EXCLUDED.repo_digests, parent_id = EXCLUDED.parent_id,
                containers = EXCLUDED.containers, size = EXCLUDED.size, shared_size = EXCLUDED.shared_size,
                unique_size = EXCLUDED.unique_size, last_seen = EXCLUDED.last_seen
            """;

    private static final String INSERT_LAYERS = """
            INSERT INTO host_layers (host_key, layer_key, first_seen)
            SELECT ?, t.k, ? FROM unnest(?::bigint[]) AS t(k) ORDER BY t.k
            ON CONFLICT (host_key, layer_key) DO NOTHING
            """;

    private static final String INSERT_CHANGES = """
            INSERT INTO host_changes (host_key, generation, at, change, subject, digest)
            SELECT ?, ?, ?, t.change, t.subject, t.digest FROM unnest(?::text[], ?::text[], ?::text[]) AS t(change, subject, digest)
            """;

    private HostContentsStore() {
    }

    /**
     * Replaces what the host holds.
     *
     * @param images        image key → the host's record of it (tags, digests, parent, containers, sizes)
     * @param imageIds      image key → image ID, for every key in {@code images}
     * @param layers        layer key → chain ID of every layer the host holds
     * @param recordChanges false when retiring a host: its contents go without 'removed' rows
     * @return the images that were tagged on this host before and are not now, or the other way round
     *         (arrived tagged, left tagged, tags added or all removed), in key order
     */
    static TreeSet<Long> replace(Connection c, int hostKey, long generation, Instant at, Map<Long, ImageRecord> images,
                        Map<Long, String> imageIds, Map<Long, String> layers, boolean recordChanges) throws SQLException {
        Map<Long, String> oldImages = new HashMap<>();
        Set<Long> oldTagged = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(CURRENT_IMAGES)) {
            ps.setInt(1, hostKey);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    oldImages.put(rs.getLong(1), rs.getString(2));
                    if (rs.getBoolean(3)) {
                        oldTagged.add(rs.getLong(1));
                    }
                }
            }
        }
        TreeSet<Long> tagFlips = new TreeSet<>(oldTagged);
        images.forEach((key, record) -> {
            if (!record.repoTags().isEmpty() && !tagFlips.remove(key)) {
                tagFlips.add(key);
            }
        });
        Map<Long, String> oldLayers = current(c, CURRENT_LAYERS, hostKey);

        Map<Long, Integer> imageDeltas = new TreeMap<>();
        Map<Long, Integer> layerDeltas = new TreeMap<>();
        List<String> changes = new ArrayList<>();
        List<String> subjects = new ArrayList<>();
        List<String> digests = new ArrayList<>();

        List<Long> removedImages = new ArrayList<>();
        for (var e : new TreeMap<>(oldImages).entrySet()) {
            if (!images.containsKey(e.getKey())) {
                removedImages.add(e.getKey());
                imageDeltas.put(e.getKey(), -1);
                changes.add("removed");
                subjects.add("image");
                digests.add(e.getValue());
            }
        }
        for (long key : new TreeMap<>(images).keySet()) {
            if (!oldImages.containsKey(key)) {
                imageDeltas.put(key, 1);
                changes.add("added");
                subjects.add("image");
                digests.add(imageIds.get(key));
            }
        }
        List<Long> removedLayers = new ArrayList<>();
        for (var e : new TreeMap<>(oldLayers).entrySet()) {
            if (!layers.containsKey(e.getKey())) {
                removedLayers.add(e.getKey());
                layerDeltas.put(e.getKey(), -1);
                changes.add("removed");
                subjects.add("layer");
                digests.add(e.getValue());
            }
        }
        List<Long> addedLayers = new ArrayList<>();
        for (var e : new TreeMap<>(layers).entrySet()) {
            if (!oldLayers.containsKey(e.getKey())) {
                addedLayers.add(e.getKey());
                layerDeltas.put(e.getKey(), 1);
                changes.add("added");
                subjects.add("layer");
                digests.add(e.getValue());
            }
        }

        if (!removedImages.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(DELETE_IMAGES)) {
                ps.setInt(1, hostKey);
                ps.setArray(2, Sql.longs(c, removedImages));
                ps.executeUpdate();
            }
        }
        if (!removedLayers.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(DELETE_LAYERS)) {
                ps.setInt(1, hostKey);
                ps.setArray(2, Sql.longs(c, removedLayers));
                ps.executeUpdate();
            }
        }
        if (!images.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(UPSERT_IMAGE)) {
                for (var e : new TreeMap<>(images).entrySet()) {
                    ImageRecord r = e.getValue();
                    ps.setInt(1, hostKey);
                    ps.setLong(2, e.getKey());
                    ps.setArray(3, Sql.texts(c, r.repoTags()));
                    ps.setArray(4, Sql.texts(c, r.repoDigests()));
                    ps.setString(5, r.parent() == null ? null : r.parent().toString());
                    ps.setInt(6, r.containers() < 0 ? -1 : r.containers());
                    ps.setLong(7, r.size() < 0 ? -1 : r.size());
                    ps.setLong(8, r.sharedSize() < 0 ? -1 : r.sharedSize());
                    ps.setLong(9, r.uniqueSize() < 0 ? -1 : r.uniqueSize());
                    Sql.setInstant(ps, 10, at);
                    Sql.setInstant(ps, 11, at);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        if (!addedLayers.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(INSERT_LAYERS)) {
                ps.setInt(1, hostKey);
                Sql.setInstant(ps, 2, at);
                ps.setArray(3, Sql.longs(c, addedLayers));
                ps.executeUpdate();
            }
        }
        if (recordChanges && !changes.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(INSERT_CHANGES)) {
                ps.setInt(1, hostKey);
                ps.setLong(2, generation);
                Sql.setInstant(ps, 3, at);
                ps.setArray(4, Sql.texts(c, changes));
                ps.setArray(5, Sql.texts(c, subjects));
                ps.setArray(6, Sql.texts(c, digests));
                ps.executeUpdate();
            }
        }
        UsageStore.apply(c, imageDeltas, layerDeltas);
        return tagFlips;
    }

    private static Map<Long, String> current(Connection c, String sql, int hostKey) throws SQLException {
        Map<Long, String> keys = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, hostKey);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.put(rs.getLong(1), rs.getString(2));
                }
            }
        }
        return keys;
    }
}
