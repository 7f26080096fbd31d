package io.layeratlas.db.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * {@code image_parents} with source {@code 'inferred-base'}: an image's base is the longest other known image
 * whose chain IDs are a proper prefix of its own (ties: the smallest image ID, so the answer depends only on
 * which images are known, never on arrival order). Since a chain ID fixes every layer below it, "B's stack is
 * a prefix of X's" is "X's layer at position |B|-1 is B's top layer".
 * Docker's own parent ({@code 'docker-parent'}) is written by {@link ImageStore#linkDockerParent}; both are kept.
 */
final class LineageStore {

    private static final String BEST_BASE = """
            SELECT b.image_key
              FROM image_layers xl
              JOIN images x ON x.image_key = xl.image_key
              JOIN image_layers bl ON bl.layer_key = xl.layer_key AND bl.position = xl.position
              JOIN images b ON b.image_key = bl.image_key AND b.layer_count = xl.position + 1
             WHERE xl.image_key = ? AND xl.position < x.layer_count - 1
             ORDER BY xl.position DESC, b.image_id
             LIMIT 1
            """;

    private static final String SET_BASE = """
            INSERT INTO image_parents (child_key, parent_key, source) VALUES (?, ?, 'inferred-base')
            ON CONFLICT (child_key, source) DO UPDATE SET parent_key = EXCLUDED.parent_key
             WHERE image_parents.parent_key <> EXCLUDED.parent_key
            """;

    private static final String CLEAR_BASE = "DELETE FROM image_parents WHERE child_key = ? AND source = 'inferred-base'";

    // Images whose stack extends this image's stack: they may now have it as their (longer or smaller-ID) base.
    private static final String EXTENDING = """
            SELECT xl.image_key
              FROM images y
              JOIN image_layers yt ON yt.image_key = y.image_key AND yt.position = y.layer_count - 1
              JOIN image_layers xl ON xl.layer_key = yt.layer_key AND xl.position = yt.position
              JOIN images x ON x.image_key = xl.image_key AND x.layer_count > y.layer_count
             WHERE y.image_key = ?
             ORDER BY xl.image_key
            """;

    private LineageStore() {
    }

    /** Recomputes the inferred base of images whose stack was just written, and of every image that extends them. */
    static void stacksAdded(Connection c, Collection<Long> imageKeys) throws SQLException {
        TreeSet<Long> affected = new TreeSet<>(imageKeys);
        for (long key : imageKeys) {
            affected.addAll(extending(c, key));
        }
        for (long key : affected) {
            recompute(c, key);
        }
    }

    private static List<Long> extending(Connection c, long imageKey) throws SQLException {
        List<Long> keys = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(EXTENDING)) {
            ps.setLong(1, imageKey);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.add(rs.getLong(1));
                }
            }
        }
        return keys;
    }

    private static void recompute(Connection c, long imageKey) throws SQLException {
        Long base = null;
        try (PreparedStatement ps = c.prepareStatement(BEST_BASE)) {
            ps.setLong(1, imageKey);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    base = rs.getLong(1);
                }
            }
        }
        if (base == null) {
            try (PreparedStatement ps = c.prepareStatement(CLEAR_BASE)) {
                ps.setLong(1, imageKey);
                ps.executeUpdate();
            }
        } else {
            try (PreparedStatement ps = c.prepareStatement(SET_BASE)) {
                ps.setLong(1, imageKey);
                ps.setLong(2, base);
                ps.executeUpdate();
            }
        }
    }
}
