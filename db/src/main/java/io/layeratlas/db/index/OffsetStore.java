package io.layeratlas.db.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** {@code consumer_offsets}: the next offset to consume per group and partition, written with the batch's effects. */
final class OffsetStore {

    private static final String CLAIM_INSERT = """
            INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset) VALUES (?, ?, ?, ?)
            ON CONFLICT (consumer_group, topic, partition) DO NOTHING
            """;

    private static final String CLAIM_LOCK = """
            SELECT next_offset FROM consumer_offsets WHERE consumer_group = ? AND topic = ? AND partition = ? FOR UPDATE
            """;

    private static final String SAVE = """
            INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset) VALUES (?, ?, ?, ?)
            ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset
            """;

    private static final String ALL = """
            SELECT topic, partition, next_offset FROM consumer_offsets WHERE consumer_group = ? ORDER BY topic, partition
            """;

    private OffsetStore() {
    }

    /** Locks the partition's offset row (creating it at {@code firstOffset} if absent) and returns the stored next offset. */
    static long claim(Connection c, String group, String topic, int partition, long firstOffset) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(CLAIM_INSERT)) {
            ps.setString(1, group);
            ps.setString(2, topic);
            ps.setInt(3, partition);
            ps.setLong(4, firstOffset);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(CLAIM_LOCK)) {
            ps.setString(1, group);
            ps.setString(2, topic);
            ps.setInt(3, partition);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static void save(Connection c, String group, String topic, int partition, long nextOffset) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SAVE)) {
            ps.setString(1, group);
            ps.setString(2, topic);
            ps.setInt(3, partition);
            ps.setLong(4, nextOffset);
            ps.executeUpdate();
        }
    }

    static List<StoredOffset> all(Connection c, String group) throws SQLException {
        List<StoredOffset> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(ALL)) {
            ps.setString(1, group);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new StoredOffset(rs.getString(1), rs.getInt(2), rs.getLong(3)));
                }
            }
        }
        return out;
    }
}
