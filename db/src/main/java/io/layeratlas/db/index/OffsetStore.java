package io.layeratlas.db.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@code consumer_offsets}: the next offset to consume per group and partition, written with the batch's effects. */
final class OffsetStore {

    private static final String CLAIM_INSERT = """
            INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset)
            SELECT ?, t.topic, t.part, t.next FROM unnest(?::text[], ?::integer[], ?::bigint[]) AS t(topic, part, next)
             ORDER BY t.topic, t.part
            ON CONFLICT (consumer_group, topic, partition) DO NOTHING
            """;

    // Locked in (topic, partition) order, so that two consumers claiming the same partitions cannot deadlock.
    private static final String CLAIM_LOCK = """
            SELECT o.topic, o.partition, o.next_offset FROM consumer_offsets o
              JOIN unnest(?::text[], ?::integer[]) AS t(topic, part) ON o.topic = t.topic AND o.partition = t.part
             WHERE o.consumer_group = ?
             ORDER BY o.topic, o.partition FOR UPDATE OF o
            """;

    private static final String SAVE = """
            INSERT INTO consumer_offsets (consumer_group, topic, partition, next_offset)
            SELECT ?, t.topic, t.part, t.next FROM unnest(?::text[], ?::integer[], ?::bigint[]) AS t(topic, part, next)
             ORDER BY t.topic, t.part
            ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset
             WHERE consumer_offsets.next_offset <> EXCLUDED.next_offset
            """;

    private static final String ALL = """
            SELECT topic, partition, next_offset FROM consumer_offsets WHERE consumer_group = ? ORDER BY topic, partition
            """;

    private OffsetStore() {
    }

    /**
     * Locks the partitions' offset rows (creating each at its first offset if absent) and returns the stored next
     * offsets. Two statements for any number of partitions.
     */
    static Map<StoredOffset.Partition, Long> claim(Statements s, String group, Map<StoredOffset.Partition, Long> firstOffsets)
            throws SQLException {
        Map<StoredOffset.Partition, Long> out = new HashMap<>();
        if (firstOffsets.isEmpty()) {
            return out;
        }
        Connection c = s.connection();
        List<String> topics = new ArrayList<>();
        List<Integer> parts = new ArrayList<>();
        List<Long> firsts = new ArrayList<>();
        new TreeMap<>(firstOffsets).forEach((p, first) -> {
            topics.add(p.topic());
            parts.add(p.partition());
            firsts.add(first);
        });
        try (PreparedStatement ps = s.prepare(CLAIM_INSERT)) {
            ps.setString(1, group);
            ps.setArray(2, Sql.texts(c, topics));
            ps.setArray(3, Sql.ints(c, parts));
            ps.setArray(4, Sql.longs(c, firsts));
            ps.executeUpdate();
        }
        try (PreparedStatement ps = s.prepare(CLAIM_LOCK)) {
            ps.setArray(1, Sql.texts(c, topics));
            ps.setArray(2, Sql.ints(c, parts));
            ps.setString(3, group);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(new StoredOffset.Partition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
                }
            }
        }
        return out;
    }

    /** Stores the next offsets, one statement for any number of partitions. */
    static void save(Statements s, String group, Map<StoredOffset.Partition, Long> nextOffsets) throws SQLException {
        if (nextOffsets.isEmpty()) {
            return;
        }
        Connection c = s.connection();
        List<String> topics = new ArrayList<>();
        List<Integer> parts = new ArrayList<>();
        List<Long> nexts = new ArrayList<>();
        new TreeMap<>(nextOffsets).forEach((p, next) -> {
            topics.add(p.topic());
            parts.add(p.partition());
            nexts.add(next);
        });
        try (PreparedStatement ps = s.prepare(SAVE)) {
            ps.setString(1, group);
            ps.setArray(2, Sql.texts(c, topics));
            ps.setArray(3, Sql.ints(c, parts));
            ps.setArray(4, Sql.longs(c, nexts));
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
