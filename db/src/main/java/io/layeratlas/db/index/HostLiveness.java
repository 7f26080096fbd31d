package io.layeratlas.db.index;

import io.layeratlas.db.Database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which hosts are alive: a host is <em>stale</em> when its last sign of life, the later of its last heartbeat
 * and its last applied snapshot's scan time (both agent clock), is older than {@code staleAfter}, or it never
 * sent either. Retired hosts are not listed. Thread-safe.
 */
public final class HostLiveness {

    /**
     * One host's liveness.
     *
     * @param hostId          the host ID
     * @param generation      last complete snapshot applied, -1 if none
     * @param lastHeartbeatAt last heartbeat's time, or null
     * @param scannedAt       scan time of the last snapshot applied, or null
     * @param stale           no sign of life within {@code staleAfter}
     */
    public record HostStatus(String hostId, long generation, Instant lastHeartbeatAt, Instant scannedAt, boolean stale) {
    }

    private static final String HOSTS = """
            SELECT host_id, generation, last_heartbeat_at, scanned_at,
                   COALESCE(GREATEST(last_heartbeat_at, scanned_at) < ?, true) AS stale
              FROM hosts WHERE retired_at IS NULL ORDER BY host_id
            """;

    private final Database database;

    public HostLiveness(Database database) {
        this.database = Objects.requireNonNull(database, "database");
    }

    /** Every host that is not retired, by host ID, judged at {@code now}. */
    public List<HostStatus> hosts(Duration staleAfter, Instant now) {
        try (Connection c = database.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(HOSTS)) {
            Sql.setInstant(ps, 1, now.minus(staleAfter));
            List<HostStatus> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new HostStatus(rs.getString("host_id"), rs.getLong("generation"),
                            Sql.getInstant(rs, "last_heartbeat_at"), Sql.getInstant(rs, "scanned_at"), rs.getBoolean("stale")));
                }
            }
            return out;
        } catch (SQLException e) {
            throw SqlErrors.translate("listing host liveness", e);
        }
    }

    /** Host IDs of the stale hosts, sorted. */
    public List<String> staleHostIds(Duration staleAfter, Instant now) {
        return hosts(staleAfter, now).stream().filter(HostStatus::stale).map(HostStatus::hostId).toList();
    }
}
