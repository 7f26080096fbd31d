package io.layeratlas.db.index;

import io.layeratlas.db.query.FleetQuery;
import io.layeratlas.events.Digest;
import io.layeratlas.events.Heartbeat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code hosts} aggregate: one row per host ID, created by its first snapshot chunk or heartbeat.
 * Its {@code generation} is the last complete snapshot applied and {@code holdings} that snapshot's
 * {@link io.layeratlas.events.Holdings} digest; the rows of the hosts a transaction applies snapshots of are locked
 * (in key order) for the transaction, so one host's snapshots are applied one at a time even with several indexers.
 * The row also keeps the host's totals (V12: {@code image_count}, {@code shown_image_count}, {@code layer_count},
 * {@code stored_bytes}): the image totals recounted once per batch for the hosts whose images the batch changed
 * ({@link #recountImageTotals}), the layer totals moved by the layers that moved, sized as the writer knows them
 * ({@link #moveLayerTotals}, {@link #sizesFilled}).
 */
final class HostStore {

    /** A locked host row. */
    record HostRow(int key, String hostId, long generation, boolean retired, Digest holdings) {
    }

    /** A complete snapshot to record on the host row; {@code full} false for a resend recognised as unchanged. */
    record Applied(int key, long generation, Instant scannedAt, boolean full, String source, String sourceKind,
                   String agentVersion, String problemsJson, Digest holdings) {
    }

    private static final String INSERT = """
            INSERT INTO hosts (host_id, first_seen)
            SELECT t.id, t.seen::timestamptz FROM unnest(?::text[], ?::text[]) AS t(id, seen) ORDER BY t.id
            ON CONFLICT (host_id) DO NOTHING
            """;

    private static final String LOCK = """
            SELECT host_key, host_id, generation, retired_at IS NOT NULL, holdings FROM hosts
             WHERE host_id = ANY(?::text[]) ORDER BY host_key FOR UPDATE
            """;

    private static final String APPLIED = """
            UPDATE hosts h SET generation = t.generation, scanned_at = t.at::timestamptz, snapshot_applied_at = now(),
                               source        = CASE WHEN t.is_full THEN t.source ELSE h.source END,
                               source_kind   = CASE WHEN t.is_full THEN t.kind ELSE h.source_kind END,
                               agent_version = CASE WHEN t.is_full THEN t.version ELSE h.agent_version END,
                               problems      = CASE WHEN t.is_full THEN t.problems::jsonb ELSE h.problems END,
                               retired_at    = CASE WHEN t.is_full THEN NULL ELSE h.retired_at END,
                               holdings      = t.holdings,
                               first_seen    = LEAST(h.first_seen, t.at::timestamptz)
              FROM unnest(?::integer[], ?::bigint[], ?::text[], ?::boolean[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
                   AS t(host_key, generation, at, is_full, source, kind, version, problems, holdings)
             WHERE h.host_key = t.host_key
            """;

    private static final String HEARTBEATS = """
            UPDATE hosts h SET last_heartbeat_at = t.at::timestamptz, heartbeat_interval_seconds = t.iv,
                               agent_version = COALESCE(t.version, h.agent_version),
                               first_seen = LEAST(h.first_seen, t.at::timestamptz)
              FROM unnest(?::text[], ?::text[], ?::bigint[], ?::text[]) AS t(id, at, iv, version)
             WHERE h.host_id = t.id AND (h.last_heartbeat_at IS NULL OR h.last_heartbeat_at < t.at::timestamptz)
            """;

    // A host's totals from what it holds: images (docker image ls -a), the images docker image ls shows
    // (FleetQuery.SHOWN, the one rule), distinct layers and their bytes (a layer of unknown size counts 0). {keys} is
    // the array of hosts to recount; a row is written only when a total moved. Aggregated for all the hosts at once,
    // so the planner can hash the layers they hold against `layers` once a statement (a batch of 20 hosts at
    // `bench --scale small`: 4,695 buffers); counted host by host (LATERAL) it probed `layers` once a link
    // (27,706 buffers, EXPLAIN ANALYZE).
    private static final String IMAGE_COUNTS = """
            img AS (
                SELECT hi.host_key, count(*)::integer AS images, (count(*) FILTER (WHERE %s))::integer AS shown
                  FROM host_images hi JOIN images i ON i.image_key = hi.image_key
                 WHERE hi.host_key = ANY ({keys}) GROUP BY hi.host_key)""".formatted(FleetQuery.SHOWN);

    private static final String RECOUNT_TOTALS = """
            WITH %s,
            lay AS (
                SELECT hl.host_key, count(*)::integer AS layers, coalesce(sum(ly.size), 0)::bigint AS bytes
                  FROM host_layers hl JOIN layers ly ON ly.layer_key = hl.layer_key
                 WHERE hl.host_key = ANY ({keys}) GROUP BY hl.host_key),
            t AS (
                SELECT k.host_key, coalesce(img.images, 0) AS images, coalesce(img.shown, 0) AS shown,
                       coalesce(lay.layers, 0) AS layers, coalesce(lay.bytes, 0) AS bytes
                  FROM unnest({keys}) AS k(host_key) LEFT JOIN img USING (host_key) LEFT JOIN lay USING (host_key))
            UPDATE hosts h SET image_count = t.images, shown_image_count = t.shown, layer_count = t.layers,
                               stored_bytes = t.bytes
              FROM t
             WHERE h.host_key = t.host_key
               AND (h.image_count, h.shown_image_count, h.layer_count, h.stored_bytes)
                   IS DISTINCT FROM (t.images, t.shown, t.layers, t.bytes)
            """.formatted(IMAGE_COUNTS);

    // The image totals alone, for the hosts bound as an array (twice): the shown count depends on which other images
    // of the host name an image as parent, so it is counted from what the host holds (some 200 rows), by the one rule.
    private static final String RECOUNT_IMAGE_TOTALS = """
            WITH %s,
            t AS (
                SELECT k.host_key, coalesce(img.images, 0) AS images, coalesce(img.shown, 0) AS shown
                  FROM unnest({keys}) AS k(host_key) LEFT JOIN img USING (host_key))
            UPDATE hosts h SET image_count = t.images, shown_image_count = t.shown
              FROM t
             WHERE h.host_key = t.host_key AND (h.image_count, h.shown_image_count) IS DISTINCT FROM (t.images, t.shown)
            """.formatted(IMAGE_COUNTS).replace("{keys}", "?::integer[]");

    // The layer totals moved by the layers that arrived on or left each host. Per host (k arrays): the count moved
    // and the bytes of the layers whose stored size the writer knows (KnownFacts: a stored size never changes), and
    // whether the host was empty (fresh: its totals start from 0 whatever the row says). The moves of layers of
    // unknown size, as (host_key, layer_key, d) arrays (g), are sized from `layers` (a layer of unknown size counts
    // 0; LayerStore adds a size reported later to its holders, {@link #sizesFilled}). Joining every moved link to
    // `layers` instead was 4.7 of the 81 s of statements of a 10,000-host rescan, and recounting a fresh host's links
    // 18.8 of the 457 s of its fresh load (pg_stat_statements).
    private static final String MOVE_LAYER_TOTALS = """
            UPDATE hosts h SET layer_count = CASE WHEN m.fresh THEN 0 ELSE h.layer_count END + m.n,
                               stored_bytes = CASE WHEN m.fresh THEN 0 ELSE h.stored_bytes END + m.bytes
              FROM (SELECT t.host_key, bool_or(t.fresh) AS fresh, sum(t.n)::integer AS n, sum(t.bytes)::bigint AS bytes
                      FROM (SELECT k.host_key, k.fresh, k.n, k.bytes
                              FROM unnest(?::integer[], ?::boolean[], ?::integer[], ?::bigint[]) AS k(host_key, fresh, n, bytes)
                            UNION ALL
                            SELECT g.host_key, false, 0, coalesce(sum(g.d * l.size), 0)
                              FROM unnest(?::integer[], ?::bigint[], ?::integer[]) AS g(host_key, layer_key, d)
                              JOIN layers l ON l.layer_key = g.layer_key
                             GROUP BY g.host_key) t
                     GROUP BY t.host_key) m
             WHERE h.host_key = m.host_key
            """;

    // Layers whose size became known (they had none), as (layer_key, size) arrays: every host holding one stores its
    // bytes too. Driven from the layers bound (an index probe of host_layers_layer each), so `layers` is not read: with
    // it joined, a generic plan hashed all of `layers` once a call (10,000-host fresh load: 95 calls, 112 ms each, no
    // holder found, since a layer is mostly sized by the batch that first links it).
    private static final String SIZES_FILLED = """
            UPDATE hosts h SET stored_bytes = h.stored_bytes + x.bytes
              FROM (SELECT hl.host_key, sum(d.size)::bigint AS bytes
                      FROM unnest(?::bigint[], ?::bigint[]) AS d(layer_key, size)
                      JOIN host_layers hl ON hl.layer_key = d.layer_key
                     GROUP BY hl.host_key) x
             WHERE h.host_key = x.host_key
            """;

    /** {@link #RECOUNT_TOTALS} for every host (repair, {@link IndexWriter#recount}). */
    private static final String RECOUNT_ALL = RECOUNT_TOTALS.replace("{keys}", "ARRAY(SELECT host_key FROM hosts)");

    private static final String RETIRE = "UPDATE hosts SET retired_at = now(), holdings = NULL WHERE host_key = ?";

    private HostStore() {
    }

    /**
     * Creates the hosts that are new and locks the rows of {@code lock} (in key order) until the transaction ends.
     *
     * @param firstSeen host ID → the earliest time this batch saw it (every host to create)
     * @param lock      the hosts whose rows to lock and return
     */
    static Map<String, HostRow> ensureAndLock(Statements s, Map<String, Instant> firstSeen, Collection<String> lock)
            throws SQLException {
        Connection c = s.connection();
        if (!firstSeen.isEmpty()) {
            List<String> ids = new ArrayList<>();
            List<String> seen = new ArrayList<>();
            new TreeMap<>(firstSeen).forEach((id, at) -> {
                ids.add(id);
                seen.add(Sql.iso(at));
            });
            try (PreparedStatement ps = s.prepare(INSERT)) {
                ps.setArray(1, Sql.texts(c, ids));
                ps.setArray(2, Sql.texts(c, seen));
                ps.executeUpdate();
            }
        }
        return lock(s, lock);
    }

    static Map<String, HostRow> lock(Statements s, Collection<String> hostIds) throws SQLException {
        Map<String, HostRow> rows = new HashMap<>();
        if (hostIds.isEmpty()) {
            return rows;
        }
        try (PreparedStatement ps = s.prepare(LOCK)) {
            ps.setArray(1, Sql.texts(s.connection(), hostIds));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String holdings = rs.getString(5);
                    rows.put(rs.getString(2), new HostRow(rs.getInt(1), rs.getString(2), rs.getLong(3), rs.getBoolean(4),
                            holdings == null ? null : Digest.parse(holdings)));
                }
            }
        }
        return rows;
    }

    /** Records complete snapshots on their hosts' rows (each host at most once). */
    static void applied(Statements s, List<Applied> applied) throws SQLException {
        if (applied.isEmpty()) {
            return;
        }
        Connection c = s.connection();
        List<Integer> keys = new ArrayList<>();
        List<Long> gens = new ArrayList<>();
        List<String> ats = new ArrayList<>();
        List<Boolean> full = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        List<String> kinds = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> holdings = new ArrayList<>();
        for (Applied a : applied) {
            keys.add(a.key());
            gens.add(a.generation());
            ats.add(Sql.iso(a.scannedAt()));
            full.add(a.full());
            sources.add(a.source());
            kinds.add(a.sourceKind());
            versions.add(a.agentVersion());
            problems.add(a.problemsJson());
            holdings.add(a.holdings() == null ? null : a.holdings().toString());
        }
        try (PreparedStatement ps = s.prepare(APPLIED)) {
            ps.setArray(1, Sql.ints(c, keys));
            ps.setArray(2, Sql.longs(c, gens));
            ps.setArray(3, Sql.texts(c, ats));
            ps.setArray(4, Sql.booleans(c, full));
            ps.setArray(5, Sql.texts(c, sources));
            ps.setArray(6, Sql.texts(c, kinds));
            ps.setArray(7, Sql.texts(c, versions));
            ps.setArray(8, Sql.texts(c, problems));
            ps.setArray(9, Sql.texts(c, holdings));
            ps.executeUpdate();
        }
    }

    /** Records heartbeats (the newest per host); one older than the one stored changes nothing. */
    static void heartbeats(Statements s, Collection<Heartbeat> heartbeats) throws SQLException {
        Map<String, Heartbeat> newest = new TreeMap<>();
        for (Heartbeat h : heartbeats) {
            newest.merge(h.hostId(), h, (a, b) -> b.at().isAfter(a.at()) ? b : a);
        }
        if (newest.isEmpty()) {
            return;
        }
        Connection c = s.connection();
        List<String> ids = new ArrayList<>();
        List<String> ats = new ArrayList<>();
        List<Long> intervals = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        for (Heartbeat h : newest.values()) {
            ids.add(h.hostId());
            ats.add(Sql.iso(h.at()));
            intervals.add(h.intervalSeconds());
            versions.add(h.agentVersion());
        }
        try (PreparedStatement ps = s.prepare(HEARTBEATS)) {
            ps.setArray(1, Sql.texts(c, ids));
            ps.setArray(2, Sql.texts(c, ats));
            ps.setArray(3, Sql.longs(c, intervals));
            ps.setArray(4, Sql.texts(c, versions));
            ps.executeUpdate();
        }
    }

    /**
     * Recounts the image totals of the hosts whose images changed ({@link HostContentsStore#replace}'s answer, over
     * every round of a batch) from what they hold now: one statement whatever the number of hosts, none for no host.
     */
    static void recountImageTotals(Statements s, Set<Integer> hostKeys) throws SQLException {
        recount(s, RECOUNT_IMAGE_TOTALS, 2, hostKeys);
    }

    /** Runs a recount whose {@code parameters} parameters are all the hosts' key array; nothing for no host. */
    private static void recount(Statements s, String sql, int parameters, Collection<Integer> hostKeys) throws SQLException {
        if (hostKeys.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = s.prepare(sql)) {
            java.sql.Array keys = Sql.ints(s.connection(), hostKeys);
            for (int i = 1; i <= parameters; i++) {
                ps.setArray(i, keys);
            }
            ps.executeUpdate();
        }
    }

    /**
     * The layer totals' moves of one replacement: per host, the layers that arrived on ({@code +1}) or left ({@code -1})
     * it, each with its stored size when the writer knows it. Not thread-safe.
     */
    static final class LayerMoves {
        /** Host key -> {fresh (0 or 1), layers moved, bytes of the layers of known size moved}. */
        private final Map<Integer, long[]> byHost = new TreeMap<>();
        private final HostKeyMoves unsized = new HostKeyMoves();

        /** A host that held nothing: its totals are set to its moves, not moved (called before its moves, if any). */
        void fresh(int host) {
            byHost.computeIfAbsent(host, k -> new long[3])[0] = 1;
        }

        /** The layer {@code layer} arrived on ({@code d = 1}) or left ({@code d = -1}) {@code host}; size null: unknown. */
        void move(int host, long layer, int d, Long size) {
            long[] t = byHost.computeIfAbsent(host, k -> new long[3]);
            t[1] += d;
            if (size != null) {
                t[2] += d * size;
            } else {
                unsized.add(host, layer, d);
            }
        }
    }

    /**
     * Moves (or, for a host that held nothing, sets) the layer totals of hosts by the layers that arrived on or left
     * them. One statement, none when nothing moved.
     */
    static void moveLayerTotals(Statements s, LayerMoves moves) throws SQLException {
        if (moves.byHost.isEmpty()) {
            return;
        }
        List<Integer> hosts = new ArrayList<>();
        List<Boolean> fresh = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        List<Long> bytes = new ArrayList<>();
        moves.byHost.forEach((host, t) -> {
            hosts.add(host);
            fresh.add(t[0] == 1);
            counts.add(Math.toIntExact(t[1]));
            bytes.add(t[2]);
        });
        Connection c = s.connection();
        try (PreparedStatement ps = s.prepare(MOVE_LAYER_TOTALS)) {
            ps.setArray(1, Sql.ints(c, hosts));
            ps.setArray(2, Sql.booleans(c, fresh));
            ps.setArray(3, Sql.ints(c, counts));
            ps.setArray(4, Sql.longs(c, bytes));
            moves.unsized.bind(ps, 5);
            ps.executeUpdate();
        }
    }

    /**
     * Adds the size of each layer whose size just became known to the stored bytes of every host holding it.
     *
     * @param sizes layer key to its size in bytes, for the layers whose size the batch filled
     */
    static void sizesFilled(Statements s, java.util.Map<Long, Long> sizes) throws SQLException {
        if (sizes.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = s.prepare(SIZES_FILLED)) {
            ps.setArray(1, Sql.longs(s.connection(), sizes.keySet()));
            ps.setArray(2, Sql.longs(s.connection(), sizes.values()));
            ps.executeUpdate();
        }
    }

    /** Recounts every host's totals; returns how many host rows were wrong (0 when exact). */
    static int recountAllTotals(Connection c) throws SQLException {
        try (java.sql.Statement st = c.createStatement()) {
            return st.executeUpdate(RECOUNT_ALL);
        }
    }

    /** Marks a host retired and forgets its holdings, so that its next snapshot is applied in full. */
    static void markRetired(Statements s, int hostKey) throws SQLException {
        try (PreparedStatement ps = s.prepare(RETIRE)) {
            ps.setInt(1, hostKey);
            ps.executeUpdate();
        }
    }
}
