package io.layeratlas.db.query;

import javax.sql.DataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * The little JDBC the query classes share: static SQL text, bound parameters, try-with-resources.
 * {@link SQLException}s become {@link QueryException}s naming the query.
 */
final class Sql {
    private Sql() {
    }

    @FunctionalInterface
    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs work on one connection in one read-only REPEATABLE READ transaction, so the queries of one answer see one
     * consistent snapshot. The isolation level is set by the transaction's first statement, not on the connection:
     * {@code setTransactionIsolation} costs a round trip to set and another to reset per answer.
     */
    static <T> T inSnapshot(DataSource ds, String what, Work<T> work) {
        try (Connection c = ds.getConnection()) {
            return inSnapshot(c, snapshotPool(ds), work);
        } catch (SQLException e) {
            throw new QueryException("database query failed (" + what + "): " + e.getMessage(), e);
        }
    }

    /**
     * Runs work on {@code c} in one read-only REPEATABLE READ transaction, committed when it returns and rolled back
     * when it throws; {@code c}'s autocommit is as it was afterwards.
     *
     * @param snapshots whether {@code c}'s transactions are read-only REPEATABLE READ already (a read-only pool's,
     *                  {@code Database.open}), so that no SET TRANSACTION is sent
     * @throws SQLException what the work or the transaction's statements throw
     */
    static <T> T inSnapshot(Connection c, boolean snapshots, Work<T> work) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            if (!snapshots) {
                try (Statement s = c.createStatement()) {
                    s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                }
            }
            T result = work.run(c);
            c.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /**
     * Runs work whose answer needs no shared snapshot beyond one statement's (a layer's keys never change, so resolving
     * them and then reading the answer in one statement is as consistent as one transaction): in autocommit, so the
     * answer costs its statements' round trips only (no BEGIN, no COMMIT).
     */
    static <T> T oneStatement(DataSource ds, String what, Work<T> work) {
        try (Connection c = ds.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new QueryException("database query failed (" + what + "): " + e.getMessage(), e);
        }
    }

    /** Whether the pool's connections are already REPEATABLE READ and read-only (Database.open's read-only pools). */
    private static boolean snapshotPool(DataSource ds) {
        return ds instanceof com.zaxxer.hikari.HikariDataSource h && h.isReadOnly()
                && "TRANSACTION_REPEATABLE_READ".equals(h.getTransactionIsolation());
    }

    /**
     * A statement of a {@link Pipeline} before the statements whose plans do not depend on their parameters (one host
     * by its ID: a unique index probe, then that host's rows): generic plans for the rest of the transaction
     * ({@code set_config(…, true)} is {@code SET LOCAL}), so that once PgJDBC prepares a statement on the server (its
     * fifth run on a connection) PostgreSQL plans it once per connection instead of once per run. The reader's
     * sessions plan every run ({@code Database.READER_SESSION}) because a layer's statements do depend on theirs,
     * except a layer's page of hosts (gathered, sifted, or walked over every host), whose text Java picks by the
     * layer's counts (LayerQuery.addPlannedOnce, the last statement of its pipeline), the layer page's chains and
     * images, whose texts fix their plans' shapes, and lookups by unique or small index ranges: a layer's resolve by
     * digest ({@link #listPlannedOnce}), the package search's versions of a name, holders' sets, matched databases and
     * page images' databases, and the fleet's freshness (0.08-0.59 ms of planning each at 10,000 hosts, as much as
     * running them, saved). Each of a host page's four statements cost about as much to plan as to run (EXPLAIN
     * ANALYZE, small scale: the header's 2.2 ms planning, 2.1 ms execution). One row, one column; needs a transaction
     * ({@link #inSnapshot}): in autocommit, where PostgreSQL runs a pipeline as one implicit transaction, the
     * statements after it were planned for their parameters on every run ({@code pg_prepared_statements}), so a
     * pipeline that saves its COMMIT round trip ends with it instead ({@link Pipeline#Pipeline(boolean)}). Keeps the
     * session's mode in a setting of its own, which {@link #SESSION_PLANS} restores; added by
     * {@link Pipeline#generic()}.
     */
    static final String STABLE_PLANS = """
            SELECT set_config('plan_cache_mode', 'force_generic_plan', true)
              FROM (SELECT set_config('layeratlas.session_plans', current_setting('plan_cache_mode'), true) OFFSET 0) s""";

    /**
     * After {@link #STABLE_PLANS}, the session's way of planning again for the rest of the transaction (the readers':
     * for each run's parameters); added by {@link Pipeline#custom()}.
     */
    static final String SESSION_PLANS =
            "SELECT set_config('plan_cache_mode', coalesce(nullif(current_setting('layeratlas.session_plans', true), ''), "
                    + "current_setting('plan_cache_mode')), true)";

    /**
     * As {@link #list}, for a statement whose plan does not depend on its parameters: planned once per connection
     * ({@link Pipeline#generic()}), the session's way of planning restored after it, in the same round trip.
     */
    static <T> List<T> listPlannedOnce(Connection c, String sql, RowMapper<T> mapper, Object... params)
            throws SQLException {
        Pipeline pipeline = new Pipeline();
        pipeline.generic();
        Pipeline.Part<T> part = pipeline.add(sql, mapper, params);
        pipeline.run(c);
        return part.rows();
    }

    /** Runs a query with positional parameters; {@code Collection<Long>} parameters bind as {@code bigint[]}. */
    static <T> List<T> list(Connection c, String sql, RowMapper<T> mapper, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(c, ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(mapper.map(rs));
                }
                return out;
            }
        }
    }

    /**
     * Independent statements of one answer sent in one round trip: PgJDBC sends the statements of a multi-statement
     * text together, with one Sync, and reads their results in order. {@link #add} each statement, then {@link #run}
     * once; each {@link Part} then holds its rows. Parameters bind as {@link #list}'s do. Not thread-safe; one use.
     */
    static final class Pipeline {
        private final List<Part<?>> parts = new ArrayList<>();
        private final boolean commits;
        private boolean generic;

        /** A pipeline that leaves its transaction open. */
        Pipeline() {
            this(false);
        }

        /**
         * @param commits whether the pipeline ends with {@code COMMIT}: the answer of an {@link #inSnapshot} transaction
         *                read in one round trip (PgJDBC sends BEGIN with the first statement, and its
         *                {@code commit()} then has no transaction to end: no second round trip). On an error the
         *                transaction is left failed, and {@link #inSnapshot} rolls it back.
         */
        Pipeline(boolean commits) {
            this.commits = commits;
        }

        /** One statement of a pipeline and, once the pipeline ran, its rows. */
        static final class Part<T> {
            private final String sql;
            private final Object[] params;
            private final RowMapper<T> mapper;
            private List<T> rows;

            private Part(String sql, RowMapper<T> mapper, Object[] params) {
                this.sql = sql;
                this.mapper = mapper;
                this.params = params;
            }

            /** A part that sends nothing and has no rows (a page of 0 rows). */
            static <T> Part<T> none() {
                Part<T> p = new Part<>(null, null, new Object[0]);
                p.rows = List.of();
                return p;
            }

            /** The statement's rows, in its order. @throws IllegalStateException before the pipeline ran */
            List<T> rows() {
                if (rows == null) {
                    throw new IllegalStateException("the pipeline has not run");
                }
                return rows;
            }

            private void read(ResultSet rs) throws SQLException {
                List<T> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(mapper.map(rs));
                }
                rows = out;
            }
        }

        /** Adds a statement (no {@code ;} of its own) with its positional parameters. */
        <T> Part<T> add(String sql, RowMapper<T> mapper, Object... params) {
            Part<T> part = new Part<>(sql, mapper, params);
            parts.add(part);
            return part;
        }

        /**
         * Plans the statements added after it generically ({@link #STABLE_PLANS}) until {@link #custom()}: for those
         * whose plans do not depend on their parameters. A pipeline that does not commit ends with {@link #custom()},
         * so that the statements after it in the transaction are planned as the session plans them.
         */
        void generic() {
            if (!generic) {
                add(STABLE_PLANS, rs -> null);
                generic = true;
            }
        }

        /** Plans the statements added after it as the session does ({@link #SESSION_PLANS}), after {@link #generic()}. */
        void custom() {
            if (generic) {
                add(SESSION_PLANS, rs -> null);
                generic = false;
            }
        }

        /** Sends every statement added, in one round trip, and reads each one's rows into its part. */
        void run(Connection c) throws SQLException {
            if (!commits) {
                custom();
            }
            List<Object> all = new ArrayList<>();
            parts.forEach(p -> all.addAll(Arrays.asList(p.params)));
            String sql = String.join(";\n", parts.stream().map(p -> p.sql).toList()) + (commits ? ";\nCOMMIT" : "");
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(c, ps, all.toArray());
                boolean result = ps.execute();
                for (Part<?> part : parts) {
                    if (!result) {
                        throw new SQLException("a statement of the pipeline returned no rows: " + part.sql);
                    }
                    try (ResultSet rs = ps.getResultSet()) {
                        part.read(rs);
                    }
                    result = ps.getMoreResults();
                }
            }
        }
    }

    static void bind(Connection c, PreparedStatement ps, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            if (p instanceof Collection<?> col) {
                ps.setArray(i + 1, c.createArrayOf("bigint", col.toArray()));
            } else {
                ps.setObject(i + 1, p);
            }
        }
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    static List<String> strings(ResultSet rs, String column) throws SQLException {
        return strings(rs.getArray(column));
    }

    /** The elements of a {@code text[]} value, nulls left out; empty for SQL NULL. */
    static List<String> strings(Array a) throws SQLException {
        if (a == null) {
            return List.of();
        }
        Object[] values = (Object[]) a.getArray();
        // A loop, not a stream: the layer export reads two of these per host and image.
        List<String> out = new ArrayList<>(values.length);
        for (Object v : values) {
            if (v != null) {
                out.add(v.toString());
            }
        }
        return java.util.Collections.unmodifiableList(out);
    }

    /** A {@code bigint[]} column as a list; null is empty. */
    static List<Long> longs(ResultSet rs, String column) throws SQLException {
        Array a = rs.getArray(column);
        return a == null ? List.of() : Arrays.stream((Long[]) a.getArray()).toList();
    }

    /**
     * The fleet's repo tags of the image whose key is the SQL expression {@code imageKey}, as a {@code text[]} in the
     * database's collation order: every tag a host that is not retired gives the image on its {@code host_images} row
     * (a retired host holds no rows). Read from {@code image_tags} (V13), which the indexer keeps by delta: one range of
     * its primary key per image however many hosts hold it, where the {@code DISTINCT} over the image's
     * {@code host_images} rows it replaces read one row per holder (10,000 for an image every host of a 10,000-host
     * fleet holds). Every answer that names an image by the fleet's tags reads it here.
     */
    static String fleetTags(String imageKey) {
        return "ARRAY(SELECT ft.tag FROM image_tags ft WHERE ft.image_key = " + imageKey + " ORDER BY ft.tag)";
    }

    /** The host columns every query that reports freshness selects ({@link #host} reads them), one a list element. */
    static final List<String> HOST_COLUMN_LIST = List.of("h.host_key", "h.host_id", "h.source", "h.source_kind",
            "h.agent_version", "h.generation", "h.scanned_at", "h.snapshot_applied_at", "h.last_heartbeat_at",
            "h.heartbeat_interval_seconds", "h.first_seen", "h.docker_version", "h.storage_driver", "h.data_root",
            "h.operating_system", "h.labels::text AS labels");

    /** {@link #HOST_COLUMN_LIST} as a select list, aliased {@code h}. */
    static final String HOST_COLUMNS = String.join(", ", HOST_COLUMN_LIST);

    /**
     * The freshness of the hosts that pass {@code filter} (a condition on {@code hosts h}, parameters {@code params}),
     * aggregated in SQL so that an answer about 10,000 hosts does not read 10,000 rows into Java. Retired hosts are
     * left out; {@code hostCount} of the result is the number of hosts involved.
     */
    static Freshness freshness(Connection c, Freshness.Policy policy, String filter, Object... params) throws SQLException {
        Object[] all = new Object[params.length + 1];
        all[0] = staleBefore(policy);
        System.arraycopy(params, 0, all, 1, params.length);
        return list(c, freshnessSql(filter), rs -> freshness(rs, policy), all).get(0);
    }

    /**
     * The freshness aggregate of the hosts that pass {@code filter}, as one row (columns {@code standby, replayed_at,
     * caught_up, lag, hosts, oldest_report, oldest_inventory, stale, stale_count}), for a statement that reads it beside other
     * things; its first parameter is {@link #staleBefore}, then the filter's. With the filter {@code TRUE} (the whole
     * fleet) it is {@link #FLEET_FRESHNESS}.
     */
    static String freshnessSql(String filter) {
        return filter.equals("TRUE") ? FLEET_FRESHNESS : FRESHNESS.replace("{filter}", filter);
    }

    /** The parameter of {@link #freshnessSql}: reports before it are stale. */
    static Timestamp staleBefore(Freshness.Policy policy) {
        return Timestamp.from(policy.staleBefore());
    }

    /** Reads the columns of {@link #freshnessSql} from the current row. */
    static Freshness freshness(ResultSet rs, Freshness.Policy policy) throws SQLException {
        // Sorted by Policy.of: sorting in the aggregate made PostgreSQL 17 sort every host of the answer by host ID.
        return policy.of(rs.getInt("hosts"), instant(rs, "oldest_report"), instant(rs, "oldest_inventory"),
                strings(rs, "stale"), rs.getInt("stale_count"), rs.getBoolean("standby")
                        ? new Freshness.Replica(instant(rs, "replayed_at"), rs.getBoolean("caught_up"), rs.getDouble("lag"))
                        : null);
    }

    // On a hot standby these columns say how far replay trails; on a primary pg_is_in_recovery() is false.
    private static final String REPLICA_COLUMNS = """
            pg_is_in_recovery() AS standby, pg_last_xact_replay_timestamp() AS replayed_at,
                   coalesce(pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), false) AS caught_up,
                   CASE WHEN coalesce(pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), false) THEN 0
                        ELSE coalesce(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)
                   END::float8 AS lag""";

    /**
     * A host's last report ({@code hosts h}): the later of its last heartbeat and its last applied snapshot
     * ({@link HostStatus#lastReportAt()}), null if it has neither. V17's hosts_live_report indexes this expression, so
     * the statements that read that index name it as written here.
     */
    static final String LAST_REPORT = "greatest(h.last_heartbeat_at, h.snapshot_applied_at)";

    private static final String FRESHNESS = """
            SELECT %s,
                   count(*) AS hosts,
                   min({report}) AS oldest_report,
                   min(h.scanned_at) AS oldest_inventory,
                   coalesce(array_agg(h.host_id) FILTER (WHERE h.stale), '{}') AS stale,
                   count(*) FILTER (WHERE h.stale) AS stale_count
              FROM (SELECT h.host_id, h.last_heartbeat_at, h.snapshot_applied_at, h.scanned_at,
                           coalesce({report}, '-infinity') < ? AS stale
                      FROM hosts h WHERE h.retired_at IS NULL AND {filter} OFFSET 0) h"""
            .formatted(REPLICA_COLUMNS).replace("{report}", LAST_REPORT);

    /**
     * {@link #freshnessSql} of every live host, read from the indexes of V17 (the oldest report and inventory are the
     * first entry of each, the stale hosts a range) and V24: 0.7 ms at 10,000 hosts none of which is stale, where the
     * aggregate over the table took 2-6 ms. The count is V25's sum of a few deltas (counting V19's live_hosts read all
     * of its rows, 0.5-1.2 ms at 10,000 hosts; counting hosts, every host's heap tuple once heartbeats had cleared the
     * visibility map). Its one parameter is {@link #staleBefore}, bound once ({@code b}): the counts inside the fence
     * ({@code c}) compare with it, so a custom plan knows its value there; the lists read it from {@code c}.
     * <p>The stale hosts are counted first (V17's range, and the hosts that never reported), then listed by one of
     * two reads, as the count says. While fewer than half the fleet is stale, the range is gathered in report order,
     * stopping after the count, and sorted by host ID. The range is written with both its bounds (the lower one,
     * {@code -infinity}, holds for every report): a generic plan, or the list's, which reads {@code before} from
     * {@code c}, does not know {@code before}, and PostgreSQL then estimates a third of the hosts for a one-sided range
     * ({@code DEFAULT_INEQ_SEL}) but a two-sided one as narrow ({@code DEFAULT_RANGE_INEQ_SEL}, selfuncs.h). With one
     * side, the gather was a sequential scan of every host whether none or 389 were stale; with both, it is the index
     * range, and with none stale nothing is read ({@code LIMIT 0}). The statement took 3.4-3.9 ms and now 1.2 with
     * none of 10,000 hosts stale, 6.2-6.4 and now 1.9-2.2 with 389 stale, and about the same with 3,089 (6.3-11
     * against 8.1-10.6; EXPLAIN ANALYZE of the prepared text, custom and generic plans, a 10,000-host fleet of
     * {@code simulate}, box busy with a bench). (Before, an unfenced gather let the planner walk V24's index over
     * every host to spare the sort, 5.5 ms with none stale; the gather's limit in report order now keeps it on V17's.)
     * Otherwise V24's index is walked in host ID order, keeping each stale host, and stops after
     * {@value Freshness#STALE_LISTED}: it reads at most the fresh hosts and the listed ones, no
     * more than the stale range and the list, however the stale hosts lie in host ID order (a data center's hosts
     * share a prefix). Gathering and sorting all of them, an answer's freshness took 3.8 ms (COPY-loaded) and 6.6 ms
     * (indexer-written) when every host of a 10,000-host fleet was stale, where the walk takes 1.8 and 2.3 ms; with
     * 3,517 stale (the gather, now a second read of the range; before it was fenced, without V24) 2.4 against 3.0 ms,
     * and with none 0.66 against 0.78 ms (best of 50 runs, psql, idle box, on bench --scale full's databases, paused:
     * its simulated hosts then heartbeat in simulated time, so each went stale five minutes after its last snapshot).
     */
    private static final String FLEET_FRESHNESS = """
            SELECT %s,
                   c.hosts,
                   (SELECT min({report}) FROM hosts h
                     WHERE h.retired_at IS NULL) AS oldest_report,
                   (SELECT min(h.scanned_at) FROM hosts h WHERE h.retired_at IS NULL) AS oldest_inventory,
                   CASE WHEN 2 * c.stale_count < c.hosts
                        THEN ARRAY(SELECT s.host_id
                                     FROM ((SELECT h.host_id FROM hosts h
                                             WHERE h.retired_at IS NULL
                                               AND {report} >= '-infinity'::timestamptz AND {report} < c.before
                                             ORDER BY {report} LIMIT c.stale_count)
                                           UNION ALL
                                           (SELECT h.host_id FROM hosts h
                                             WHERE h.retired_at IS NULL AND {report} IS NULL)) s
                                    ORDER BY s.host_id COLLATE "C" LIMIT %2$d)
                        ELSE ARRAY(SELECT h.host_id FROM hosts h
                                    WHERE h.retired_at IS NULL
                                      AND coalesce({report}, '-infinity') < c.before
                                    ORDER BY h.host_id COLLATE "C" LIMIT %2$d)
                   END AS stale,
                   c.stale_count
              FROM (SELECT b.before,
                           (SELECT coalesce(sum(n.n), 0)::bigint FROM live_host_counts n) AS hosts,
                           (SELECT count(*) FROM hosts h
                             WHERE h.retired_at IS NULL
                               AND {report} >= '-infinity'::timestamptz AND {report} < b.before)
                         + (SELECT count(*) FROM hosts h
                             WHERE h.retired_at IS NULL
                               AND {report} IS NULL) AS stale_count
                      FROM (SELECT ?::timestamptz AS before) b OFFSET 0) c"""
            .formatted(REPLICA_COLUMNS, Freshness.STALE_LISTED).replace("{report}", LAST_REPORT);

    static HostStatus host(ResultSet rs, Freshness.Policy policy) throws SQLException {
        Instant heartbeat = instant(rs, "last_heartbeat_at");
        Instant applied = instant(rs, "snapshot_applied_at");
        Instant lastReport = heartbeat == null ? applied
                : applied == null ? heartbeat
                : heartbeat.isAfter(applied) ? heartbeat : applied;
        return new HostStatus(rs.getString("host_id"), rs.getString("source"), rs.getString("source_kind"),
                rs.getString("agent_version"), rs.getLong("generation"), instant(rs, "scanned_at"), applied, heartbeat,
                nullableLong(rs, "heartbeat_interval_seconds"), instant(rs, "first_seen"), lastReport,
                policy.isStale(lastReport), rs.getString("docker_version"), rs.getString("storage_driver"),
                rs.getString("data_root"), rs.getString("operating_system"), Labels.parse(rs.getString("labels")));
    }
}
