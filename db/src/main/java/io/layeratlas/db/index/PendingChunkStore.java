package io.layeratlas.db.index;

import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostSnapshot;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code pending_snapshot_chunks}: chunks of a snapshot generation whose other chunks have not all arrived.
 * A chunk is stored as its event JSON; redelivered chunks are ignored.
 */
final class PendingChunkStore {

    private static final String INSERT = """
            INSERT INTO pending_snapshot_chunks (host_id, generation, chunk, chunk_count, payload)
            VALUES (?, ?, ?, ?, ?::jsonb)
            ON CONFLICT (host_id, generation, chunk) DO NOTHING
            """;

    private static final String COUNT = """
            SELECT count(*) FROM pending_snapshot_chunks WHERE host_id = ? AND generation = ? AND chunk_count = ?
            """;

    private static final String LOAD = """
            SELECT payload::text FROM pending_snapshot_chunks
             WHERE host_id = ? AND generation = ? AND chunk_count = ? ORDER BY chunk
            """;

    private static final String DELETE_UP_TO = "DELETE FROM pending_snapshot_chunks WHERE host_id = ? AND generation <= ?";

    private PendingChunkStore() {
    }

    /** Stores the chunk; returns all chunks of its generation, in order, when they are now all there, else an empty list. */
    static List<HostSnapshot> addAndCollect(Connection c, HostSnapshot chunk) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setString(1, chunk.hostId());
            ps.setLong(2, chunk.generation());
            ps.setInt(3, chunk.chunk());
            ps.setInt(4, chunk.chunkCount());
            ps.setString(5, new String(EventCodec.encode(chunk), StandardCharsets.UTF_8));
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(COUNT)) {
            ps.setString(1, chunk.hostId());
            ps.setLong(2, chunk.generation());
            ps.setInt(3, chunk.chunkCount());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) < chunk.chunkCount()) {
                    return List.of();
                }
            }
        }
        List<HostSnapshot> chunks = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(LOAD)) {
            ps.setString(1, chunk.hostId());
            ps.setLong(2, chunk.generation());
            ps.setInt(3, chunk.chunkCount());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    chunks.add((HostSnapshot) EventCodec.decode(rs.getString(1).getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
        return chunks;
    }

    /** Drops the host's chunks of this generation and older: applied, or superseded by it. */
    static void deleteUpTo(Connection c, String hostId, long generation) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(DELETE_UP_TO)) {
            ps.setString(1, hostId);
            ps.setLong(2, generation);
            ps.executeUpdate();
        }
    }
}
