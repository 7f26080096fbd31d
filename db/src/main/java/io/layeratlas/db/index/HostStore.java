package io.layeratlas.db.index;

import io.layeratlas.events.Heartbeat;
import io.layeratlas.events.HostSnapshot;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/**
 * The {@code hosts} aggregate: one row per host ID, created by its first snapshot chunk or heartbeat.
 * Its {@code generation} is the last complete snapshot applied; the row is locked while a snapshot of the host
 * is applied, so one host's snapshots are applied one at a time even with several indexers.
 */
final class HostStore {

    /** A locked host row. */
    record HostRow(int key, long generation, boolean retired) {
    }

    private static final String INSERT = """
            INSERT INTO hosts (host_id, first_seen) VALUES (?, ?::timestamptz)
            ON CONFLICT (host_id) DO NOTHING
            """;

    private static final String LOCK = "SELECT host_key, generation, retired_at IS NOT NULL FROM hosts WHERE host_id = ? FOR UPDATE";

    private static final String SNAPSHOT_APPLIED = """
            UPDATE hosts SET generation = ?, scanned_at = ?, snapshot_applied_at = now(), source = ?, source_kind = ?,
                             agent_version = ?, problems = ?::jsonb, retired_at = NULL,
                             first_seen = LEAST(first_seen, ?)
             WHERE host_key = ?
            """;

    private static final String HEARTBEAT = """
            INSERT INTO hosts (host_id, first_seen, last_heartbeat_at, heartbeat_interval_seconds, agent_version)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (host_id) DO UPDATE SET
                last_heartbeat_at = EXCLUDED.last_heartbeat_at,
                heartbeat_interval_seconds = EXCLUDED.heartbeat_interval_seconds,
                agent_version = COALESCE(EXCLUDED.agent_version, hosts.agent_version),
                first_seen = LEAST(hosts.first_seen, EXCLUDED.first_seen)
             WHERE hosts.last_heartbeat_at IS NULL OR hosts.last_heartbeat_at < EXCLUDED.last_heartbeat_at
            """;

    private static final String RETIRE = "UPDATE hosts SET retired_at = now() WHERE host_key = ?";


    private HostStore() {
    }

    /** Creates the host if new and locks its row until the transaction ends. */
    static HostRow ensureAndLock(Connection c, String hostId, Instant seen) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setString(1, hostId);
            ps.setString(2, Sql.iso(seen));
            ps.executeUpdate();
        }
        return lock(c, hostId).orElseThrow(() -> new IllegalStateException("host row vanished: " + hostId));
    }

    static Optional<HostRow> lock(Connection c, String hostId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(LOCK)) {
            ps.setString(1, hostId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new HostRow(rs.getInt(1), rs.getLong(2), rs.getBoolean(3))) : Optional.empty();
            }
        }
    }

    static void snapshotApplied(Connection c, int hostKey, HostSnapshot snapshot, String problemsJson) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SNAPSHOT_APPLIED)) {
            ps.setLong(1, snapshot.generation());
            Sql.setInstant(ps, 2, snapshot.scannedAt());
            ps.setString(3, snapshot.source());
            ps.setString(4, snapshot.sourceKind());
            ps.setString(5, snapshot.agentVersion());
            ps.setString(6, problemsJson);
            Sql.setInstant(ps, 7, snapshot.scannedAt());
            ps.setInt(8, hostKey);
            ps.executeUpdate();
        }
    }

    /** Records a heartbeat; an older heartbeat than the one stored changes nothing. */
    static void heartbeat(Connection c, Heartbeat heartbeat) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(HEARTBEAT)) {
            ps.setString(1, heartbeat.hostId());
            Sql.setInstant(ps, 2, heartbeat.at());
            Sql.setInstant(ps, 3, heartbeat.at());
            ps.setLong(4, heartbeat.intervalSeconds());
            ps.setString(5, heartbeat.agentVersion());
            ps.executeUpdate();
        }
    }

    static void markRetired(Connection c, int hostKey) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(RETIRE)) {
            ps.setInt(1, hostKey);
            ps.executeUpdate();
        }
    }
}
