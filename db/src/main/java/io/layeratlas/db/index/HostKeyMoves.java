package io.layeratlas.db.index;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Keys that arrived on ({@code +1}) or left ({@code -1}) hosts: {@code (host_key, key, d)} triples, bound as three
 * arrays to a statement's {@code unnest(?::integer[], ?::bigint[], ?::integer[])} (the layers behind a host's layer
 * totals, {@link HostStore#moveLayerTotals}; the images behind its package databases, {@link PackageStore#hostsMoved}).
 * Not thread-safe.
 */
final class HostKeyMoves {
    private final List<Integer> hosts = new ArrayList<>();
    private final List<Long> keys = new ArrayList<>();
    private final List<Integer> moves = new ArrayList<>();

    void add(int host, long key, int d) {
        hosts.add(host);
        keys.add(key);
        moves.add(d);
    }

    boolean isEmpty() {
        return hosts.isEmpty();
    }

    /** Runs {@code sql} with the triples as its first three parameters; nothing when there is none. */
    void execute(Statements s, String sql) throws SQLException {
        if (hosts.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = s.prepare(sql)) {
            ps.setArray(1, Sql.ints(s.connection(), hosts));
            ps.setArray(2, Sql.longs(s.connection(), keys));
            ps.setArray(3, Sql.ints(s.connection(), moves));
            ps.executeUpdate();
        }
    }
}
