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
import java.util.Map;

/**
 * {@code pending_snapshot_chunks}: chunks of a snapshot generation whose other chunks have not all arrived.
 * A chunk is stored as its event JSON; redelivered chunks are ignored. One statement per call, for any number
 * of chunks.
 */
final class PendingChunkStore {

    /** A chunk to keep, with its encoded value. */
    record Pending(HostSnapshot chunk, byte[] value) {
    }

    /** Where a host's pending chunks stop counting: generations up to this one are applied or superseded. */
    record Cut(String hostId, long upToGeneration) {
    }

    private static final String INSERT = """
            INSERT INTO pending_snapshot_chunks (host_id, generation, chunk, chunk_count, payload)
            SELECT t.h, t.g, t.c, t.n, t.p::jsonb FROM unnest(?::text[], ?::bigint[], ?::integer[], ?::integer[], ?::text[])
                   AS t(h, g, c, n, p)
             ORDER BY t.h, t.g, t.c
            ON CONFLICT (host_id, generation, chunk) DO NOTHING
            """;

    private static final String LOAD = """
            SELECT p.payload::text FROM pending_snapshot_chunks p
              JOIN unnest(?::text[], ?::bigint[]) AS t(h, g) ON p.host_id = t.h AND p.generation = t.g
             ORDER BY p.host_id, p.generation, p.chunk
            """;

    private static final String DELETE_UP_TO = """
            DELETE FROM pending_snapshot_chunks p USING unnest(?::text[], ?::bigint[]) AS t(h, g)
             WHERE p.host_id = t.h AND p.generation <= t.g
            """;

    private PendingChunkStore() {
    }

    /** The stored chunks of these (host ID, generation) pairs. */
    static List<HostSnapshot> load(Statements s, List<String> hostIds, List<Long> generations) throws SQLException {
        List<HostSnapshot> chunks = new ArrayList<>();
        if (hostIds.isEmpty()) {
            return chunks;
        }
        Connection c = s.connection();
        try (PreparedStatement ps = s.prepare(LOAD)) {
            ps.setArray(1, Sql.texts(c, hostIds));
            ps.setArray(2, Sql.longs(c, generations));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    chunks.add((HostSnapshot) EventCodec.decode(rs.getString(1).getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
        return chunks;
    }

    /** Stores chunks; a chunk already stored is left as it is. */
    static void add(Statements s, List<Pending> pending) throws SQLException {
        if (pending.isEmpty()) {
            return;
        }
        Connection c = s.connection();
        List<String> hosts = new ArrayList<>();
        List<Long> gens = new ArrayList<>();
        List<Integer> chunks = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        List<String> payloads = new ArrayList<>();
        for (Pending p : pending) {
            hosts.add(p.chunk().hostId());
            gens.add(p.chunk().generation());
            chunks.add(p.chunk().chunk());
            counts.add(p.chunk().chunkCount());
            payloads.add(new String(p.value() != null ? p.value() : EventCodec.encode(p.chunk()), StandardCharsets.UTF_8));
        }
        try (PreparedStatement ps = s.prepare(INSERT)) {
            ps.setArray(1, Sql.texts(c, hosts));
            ps.setArray(2, Sql.longs(c, gens));
            ps.setArray(3, Sql.ints(c, chunks));
            ps.setArray(4, Sql.ints(c, counts));
            ps.setArray(5, Sql.texts(c, payloads));
            ps.executeUpdate();
        }
    }

    /** Drops each host's chunks of the given generation and older: applied, or superseded by it. */
    static void deleteUpTo(Statements s, Map<String, Long> upTo) throws SQLException {
        if (upTo.isEmpty()) {
            return;
        }
        Connection c = s.connection();
        try (PreparedStatement ps = s.prepare(DELETE_UP_TO)) {
            ps.setArray(1, Sql.texts(c, new ArrayList<>(upTo.keySet())));
            ps.setArray(2, Sql.longs(c, new ArrayList<>(upTo.values())));
            ps.executeUpdate();
        }
    }
}
