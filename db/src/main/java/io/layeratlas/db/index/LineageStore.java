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
 * whose chain IDs are a proper prefix of its own. Many images can share that stack (a classic builder's
 * untagged intermediates, a legacy host's pre-1.10 copies of a tagged image), so among equally long candidates
 * the base is one that carries a repo tag on some host that is not retired, and then the smallest image ID.
 * The answer is a function of the current state only (which stacks are known, which images are tagged where),
 * never of arrival order; it is kept current in the transaction that changes either:
 * <ul>
 *   <li>a stack written: that image, and every image whose stack extends it ({@link #stacksAdded});</li>
 *   <li>an image's "tagged on some host" may have changed (tagged or untagged on a host, arrived on or left a
 *       host tagged, its host retired or back): every image whose stack extends it ({@link #update}).</li>
 * </ul>
 * Since a chain ID fixes every layer below it, "B's stack is a prefix of X's" is "X's layer at position |B|-1
 * is B's top layer". Docker's own parent ({@code 'docker-parent'}) is written by
 * {@link ImageStore#linkDockerParents}; both are kept.
 */
final class LineageStore {

    private static final String BEST_BASE = """
            SELECT b.image_key
              FROM image_layers xl
              JOIN images x ON x.image_key = xl.image_key
              JOIN image_layers bl ON bl.layer_key = xl.layer_key AND bl.position = xl.position
              JOIN images b ON b.image_key = bl.image_key AND b.layer_count = xl.position + 1
             WHERE xl.image_key = ? AND xl.position < x.layer_count - 1
             ORDER BY xl.position DESC,
                      EXISTS (SELECT 1 FROM host_images hi JOIN hosts h ON h.host_key = hi.host_key
                               WHERE hi.image_key = b.image_key AND hi.repo_tags <> '{}' AND h.retired_at IS NULL) DESC,
                      b.image_id
             LIMIT 1
            """;

    private static final String SET_BASE = """
            INSERT INTO image_parents (child_key, parent_key, source) VALUES (?, ?, 'inferred-base')
            ON CONFLICT (child_key, source) DO UPDATE SET parent_key = EXCLUDED.parent_key
             WHERE image_parents.parent_key <> EXCLUDED.parent_key
            """;

    private static final String CLEAR_BASE = "DELETE FROM image_parents WHERE child_key = ? AND source = 'inferred-base'";

    // Images whose stack extends one of these images' stacks: they may now have it as their base, or lose it.
    private static final String EXTENDING = """
            SELECT DISTINCT xl.image_key
              FROM images y
              JOIN image_layers yt ON yt.image_key = y.image_key AND yt.position = y.layer_count - 1
              JOIN image_layers xl ON xl.layer_key = yt.layer_key AND xl.position = yt.position
              JOIN images x ON x.image_key = xl.image_key AND x.layer_count > y.layer_count
             WHERE y.image_key = ANY(?::bigint[])
            """;

    // Of these images, those that carry no repo tag on any host but this one (that is not retired): their
    // "tagged somewhere" is what this host says, so it changed when their tags on this host did.
    private static final String TAGGED_ONLY_HERE = """
            SELECT t.k FROM unnest(?::bigint[]) AS t(k)
             WHERE NOT EXISTS (SELECT 1 FROM host_images hi JOIN hosts h ON h.host_key = hi.host_key
                                WHERE hi.image_key = t.k AND hi.host_key <> ? AND hi.repo_tags <> '{}'
                                  AND h.retired_at IS NULL)
            """;

    private LineageStore() {
    }

    /** Recomputes the inferred base of images whose stack was just written, and of every image that extends them. */
    static void stacksAdded(Connection c, Collection<Long> imageKeys) throws SQLException {
        TreeSet<Long> affected = new TreeSet<>(imageKeys);
        affected.addAll(keys(c, EXTENDING, imageKeys, null));
        for (long key : affected) {
            recompute(c, key);
        }
    }

    /**
     * Keeps the inferred bases current after a host's contents were replaced (a snapshot applied, or the host
     * retired). Call it once the host's {@code host_images} and {@code retired_at} are final for the transaction.
     *
     * @param newStacks images whose stack was just written
     * @param hostKey   the host whose contents changed
     * @param tagFlips  images that got or lost a repo tag on that host ({@link HostContentsStore#replace}); only
     *                  those tagged on no other host changed their "tagged somewhere", and only images extending
     *                  those are recomputed
     */
    static void update(Connection c, Collection<Long> newStacks, int hostKey, Collection<Long> tagFlips) throws SQLException {
        TreeSet<Long> changedBases = new TreeSet<>(newStacks);
        changedBases.addAll(keys(c, TAGGED_ONLY_HERE, tagFlips, hostKey));
        TreeSet<Long> affected = new TreeSet<>(newStacks);
        affected.addAll(keys(c, EXTENDING, changedBases, null));
        for (long key : affected) {
            recompute(c, key);
        }
    }

    private static List<Long> keys(Connection c, String sql, Collection<Long> imageKeys, Integer hostKey) throws SQLException {
        List<Long> keys = new ArrayList<>();
        if (imageKeys.isEmpty()) {
            return keys;
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, Sql.longs(c, imageKeys));
            if (hostKey != null) {
                ps.setInt(2, hostKey);
            }
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
