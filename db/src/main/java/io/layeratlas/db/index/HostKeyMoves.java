package io.layeratlas.db.index;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Keys that arrived on ({@code +1}) or left ({@code -1}) hosts: {@code (host_key, key, d)} triples, bound as three
 * arrays to a statement's {@code unnest(?::integer[], ?::bigint[], ?::integer[])} (the layers of unknown size behind a
 * host's layer totals, {@link HostStore#moveLayerTotals}; the images behind its package databases, {@link PackageStore#hostsMoved}).
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
            bind(ps, 1);
            ps.executeUpdate();
        }
    }

    /** Binds the triples (maybe none) as the three array parameters from {@code first} on. */
    void bind(PreparedStatement ps, int first) throws SQLException {
        Connection c = ps.getConnection();
        ps.setArray(first, Sql.ints(c, hosts));
        ps.setArray(first + 1, Sql.longs(c, keys));
        ps.setArray(first + 2, Sql.ints(c, moves));
    }
}
