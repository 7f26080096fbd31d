package io.layeratlas.db.index;

import io.layeratlas.events.InstalledPackage;
import io.layeratlas.events.LayerPackages;
import io.layeratlas.events.PackageDatabase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The package aggregate (V4): what each layer's package databases list ({@code package_layers},
 * {@code package_databases}, {@code packages}, {@code database_packages}) and each image's effective databases
 * ({@code image_package_databases}), and which hosts hold an image having each database ({@code host_package_databases},
 * V10: moved by delta, {@link #hostsMoved} and the recompute; as a set of host keys per database,
 * {@code package_database_hosts}, V15, by the same statements). A layer is written once: a diff ID already read is
 * skipped, so redelivery and replay change nothing. Every call is a fixed number of set-based statements whatever the
 * number of layers, packages, images and hosts: at most nine.
 *
 * <p>The effective rule (events/README.md, {@code layer-packages}): for each database path, the topmost layer (highest
 * position in the image's stack) with an entry for that path, or with a removed directory ({@code …/}) above it,
 * decides: present → its packages, removed → none. The image's packages are the union over paths.
 */
final class PackageStore {

    static final String TEMP_TABLES = """
            CREATE TEMP TABLE IF NOT EXISTS la_pkg_db (pkg_layer_key bigint NOT NULL, ecosystem text NOT NULL,
                path text NOT NULL, state text NOT NULL, package_count integer NOT NULL) ON COMMIT DELETE ROWS;
            CREATE TEMP TABLE IF NOT EXISTS la_pkg (pkg_layer_key bigint NOT NULL, ecosystem text NOT NULL,
                path text NOT NULL, name text NOT NULL, version text NOT NULL, architecture text, source_name text,
                source_version text) ON COMMIT DELETE ROWS
            """;

    private static final String INSERT_LAYERS = """
            INSERT INTO package_layers (diff_id, agent_version, read_at, problems)
            SELECT t.diff_id, t.agent_version, t.read_at::timestamptz, t.problems::jsonb
              FROM unnest(?::text[], ?::text[], ?::text[], ?::text[]) AS t(diff_id, agent_version, read_at, problems)
             ORDER BY t.diff_id
            ON CONFLICT (diff_id) DO NOTHING
            RETURNING diff_id, pkg_layer_key
            """;

    private static final String INSERT_DATABASES = """
            INSERT INTO package_databases (pkg_layer_key, ecosystem, path, state, package_count)
            SELECT pkg_layer_key, ecosystem, path, state, package_count FROM la_pkg_db
             ORDER BY pkg_layer_key, ecosystem, path
            ON CONFLICT (pkg_layer_key, ecosystem, path) DO NOTHING
            """;

    private static final String INSERT_PACKAGES = """
            INSERT INTO packages (ecosystem, name, version, architecture, source_name, source_version)
            SELECT DISTINCT t.ecosystem, t.name, t.version, t.architecture, t.source_name, t.source_version
              FROM la_pkg t
             WHERE NOT EXISTS (SELECT 1 FROM packages p
                                WHERE p.name = t.name AND p.ecosystem = t.ecosystem AND p.version = t.version
                                  AND p.architecture IS NOT DISTINCT FROM t.architecture
                                  AND p.source_name IS NOT DISTINCT FROM t.source_name
                                  AND p.source_version IS NOT DISTINCT FROM t.source_version)
             ORDER BY t.name, t.ecosystem, t.version
            ON CONFLICT (name, ecosystem, version, architecture, source_name, source_version) DO NOTHING
            """;

    private static final String LINK_PACKAGES = """
            INSERT INTO database_packages (db_key, package_key)
            SELECT DISTINCT d.db_key, p.package_key
              FROM la_pkg t
              JOIN package_databases d ON d.pkg_layer_key = t.pkg_layer_key AND d.ecosystem = t.ecosystem AND d.path = t.path
              JOIN packages p ON p.name = t.name AND p.ecosystem = t.ecosystem AND p.version = t.version
                             AND p.architecture IS NOT DISTINCT FROM t.architecture
                             AND p.source_name IS NOT DISTINCT FROM t.source_name
                             AND p.source_version IS NOT DISTINCT FROM t.source_version
             ORDER BY d.db_key, p.package_key
            ON CONFLICT (db_key, package_key) DO NOTHING
            """;

    // A host's bit in package_database_hosts (V15): chunk host_key >> 10, bit host_key & 1023 from the left.
    private static final String HOST_BIT = "B'1'::bit(1024) >> (%s & 1023)";

    // Applies the deltas of host_package_databases in the CTE "delta" (host_key, db_key, n): added to the stored
    // count, new pairs inserted; the pairs a delta brought to 0 are deleted after (HOSTS_EMPTY), as one statement
    // cannot touch a row twice. Not one INSERT … ON CONFLICT DO UPDATE: PostgreSQL checks the proposed row (a negative
    // delta) against the table's CHECK before it looks for the conflict. A new pair with a negative delta still fails
    // the CHECK: it would be a count gone wrong. The pairs inserted (or, racing another indexer, found) set their
    // host's bit in package_database_hosts (V15): one row per database and 1,024 hosts, OR-ed, so setting a bit twice
    // is harmless.
    private static final String APPLY_HOST_DELTAS = """
            up AS (
                UPDATE host_package_databases t SET image_count = t.image_count + d.n FROM delta d
                 WHERE t.host_key = d.host_key AND t.db_key = d.db_key
                RETURNING t.host_key, t.db_key),
            held AS (
                INSERT INTO host_package_databases AS t (host_key, db_key, image_count)
                SELECT d.host_key, d.db_key, d.n FROM delta d
                 WHERE NOT EXISTS (SELECT 1 FROM up WHERE up.host_key = d.host_key AND up.db_key = d.db_key)
                 ORDER BY d.host_key, d.db_key
                ON CONFLICT (host_key, db_key) DO UPDATE SET image_count = t.image_count + excluded.image_count
                RETURNING t.host_key, t.db_key)
            INSERT INTO package_database_hosts AS s (db_key, chunk, hosts)
            SELECT h.db_key, h.host_key >> 10, bit_or(%s) FROM held h
             GROUP BY h.db_key, h.host_key >> 10
             ORDER BY 1, 2
            ON CONFLICT (db_key, chunk) DO UPDATE SET hosts = s.hosts | excluded.hosts"""
            .formatted(HOST_BIT.formatted("h.host_key"));

    // The effective databases of the affected images, merged with what is stored: rows that no longer hold are
    // deleted, new ones inserted, unchanged ones not touched. Stacks never change, so neither does a row's position.
    // The moved images' hosts are probed by image key (fenced, OFFSET 0): joined, the planner (estimating 10x the
    // rows) merge-joined all of held_images_image (11,918 rows, 11,730 buffers) with 33 moved rows of a rescan batch
    // at small scale (auto_explain); probed, the rows read are the moved images' holders, at most the same. The
    // affected images' layers are joined: a batch of new package layers can affect most images, where probing each
    // image's layers cost more than hashing the tables (fresh load, measured).
    private static final String RECOMPUTE = """
            WITH affected AS (
                SELECT a.image_key FROM unnest(?::bigint[]) AS a(image_key)
                UNION
                SELECT il.image_key FROM layers l JOIN image_layers il ON il.layer_key = l.layer_key
                 WHERE l.diff_id = ANY(?::text[])
            ),
            entries AS (
                SELECT il.image_key, il.position, d.db_key, d.path, d.state
                  FROM affected a
                  JOIN image_layers il ON il.image_key = a.image_key
                  JOIN layers l ON l.layer_key = il.layer_key
                  JOIN package_layers pl ON pl.diff_id = l.diff_id
                  JOIN package_databases d ON d.pkg_layer_key = pl.pkg_layer_key
            ),
            want AS (
                SELECT DISTINCT ON (e.image_key, e.db_key) e.image_key, e.db_key, e.position
                  FROM entries e
                 WHERE e.state = 'present'
                   AND NOT EXISTS (SELECT 1 FROM entries o
                                    WHERE o.image_key = e.image_key AND o.position > e.position
                                      AND (o.path = e.path OR (right(o.path, 1) = '/' AND starts_with(e.path, o.path))))
                 ORDER BY e.image_key, e.db_key, e.position DESC
            ),
            gone AS (
                DELETE FROM image_package_databases x USING affected a
                 WHERE x.image_key = a.image_key
                   AND NOT EXISTS (SELECT 1 FROM want w WHERE w.image_key = x.image_key AND w.db_key = x.db_key)
                RETURNING x.image_key, x.db_key
            ),
            came AS (
                INSERT INTO image_package_databases (image_key, db_key, position)
                SELECT w.image_key, w.db_key, w.position FROM want w
                 WHERE NOT EXISTS (SELECT 1 FROM image_package_databases x
                                    WHERE x.image_key = w.image_key AND x.db_key = w.db_key)
                 ORDER BY w.image_key, w.db_key
                ON CONFLICT (image_key, db_key) DO NOTHING
                RETURNING image_key, db_key
            ),
            moved AS (
                SELECT image_key, db_key, -1 AS d FROM gone
                UNION ALL
                SELECT image_key, db_key, 1 FROM came
            ),
            delta AS (
                SELECT hi.host_key, m.db_key, sum(m.d)::integer AS n
                  FROM moved m
                  CROSS JOIN LATERAL (SELECT x.host_key FROM held_images x WHERE x.image_key = m.image_key OFFSET 0) hi
                 GROUP BY hi.host_key, m.db_key HAVING sum(m.d) <> 0
            ),
            %s
            """.formatted(APPLY_HOST_DELTAS);

    // Every database an image has, once per host holding it: the hosts' images that came (d = 1) and went (d = -1),
    // as (host_key, image_key, d) arrays, over the effective databases as they stand.
    private static final String HOSTS_MOVED = """
            WITH delta AS (
                SELECT x.host_key, ipd.db_key, sum(x.d)::integer AS n
                  FROM unnest(?::integer[], ?::bigint[], ?::integer[]) AS x(host_key, image_key, d)
                  JOIN image_package_databases ipd ON ipd.image_key = x.image_key
                 GROUP BY x.host_key, ipd.db_key HAVING sum(x.d) <> 0
            ),
            %s
            """.formatted(APPLY_HOST_DELTAS);

    // The pairs a delta brought to 0 go, and clear their host's bit (a row may be left with no bit set: V15).
    private static final String HOSTS_EMPTY = """
            WITH gone AS (
                DELETE FROM host_package_databases WHERE image_count = 0 RETURNING host_key, db_key),
            bits AS (
                SELECT g.db_key, g.host_key >> 10 AS chunk, bit_or(%s) AS hosts FROM gone g
                 GROUP BY g.db_key, g.host_key >> 10)
            UPDATE package_database_hosts s SET hosts = s.hosts & ~b.hosts FROM bits b
             WHERE s.db_key = b.db_key AND s.chunk = b.chunk""".formatted(HOST_BIT.formatted("g.host_key"));

    private static final String HOSTS_WANTED = """
            SELECT hi.host_key, ipd.db_key, count(*)::integer AS n
              FROM host_images hi JOIN image_package_databases ipd ON ipd.image_key = hi.image_key
             GROUP BY hi.host_key, ipd.db_key""";

    // Rows missing or with a wrong count, then rows that should not be there.
    private static final List<String> RECOUNT_HOSTS = List.of("""
            INSERT INTO host_package_databases AS t (host_key, db_key, image_count)
            SELECT w.host_key, w.db_key, w.n FROM (%s) w
             WHERE NOT EXISTS (SELECT 1 FROM host_package_databases x
                                WHERE x.host_key = w.host_key AND x.db_key = w.db_key AND x.image_count = w.n)
            ON CONFLICT (host_key, db_key) DO UPDATE SET image_count = excluded.image_count
            """.formatted(HOSTS_WANTED), """
            DELETE FROM host_package_databases t
             WHERE NOT EXISTS (SELECT 1 FROM (%s) w WHERE w.host_key = t.host_key AND w.db_key = t.db_key)
            """.formatted(HOSTS_WANTED));

    // package_database_hosts from host_package_databases (after RECOUNT_HOSTS): rows whose bits differ, then rows
    // with a bit set where no pair is left (a row with no bit set is no error: V15).
    private static final String HOST_SETS_WANTED = """
            SELECT x.db_key, x.host_key >> 10 AS chunk, bit_or(%s) AS hosts FROM host_package_databases x
             GROUP BY x.db_key, x.host_key >> 10""".formatted(HOST_BIT.formatted("x.host_key"));

    private static final List<String> RECOUNT_HOST_SETS = List.of("""
            INSERT INTO package_database_hosts AS s (db_key, chunk, hosts)
            SELECT w.db_key, w.chunk, w.hosts FROM (%s) w
             WHERE NOT EXISTS (SELECT 1 FROM package_database_hosts x
                                WHERE x.db_key = w.db_key AND x.chunk = w.chunk AND x.hosts = w.hosts)
            ON CONFLICT (db_key, chunk) DO UPDATE SET hosts = excluded.hosts
            """.formatted(HOST_SETS_WANTED), """
            UPDATE package_database_hosts s SET hosts = B'0'::bit(1024)
             WHERE bit_count(s.hosts) > 0
               AND NOT EXISTS (SELECT 1 FROM host_package_databases x
                                WHERE x.db_key = s.db_key
                                  AND x.host_key >= s.chunk * 1024 AND x.host_key < (s.chunk + 1) * 1024)
            """);

    private PackageStore() {
    }

    /**
     * Writes the layers not read before and recomputes the effective databases of every image they, or a new stack,
     * can change.
     *
     * @param events    the batch's layer-packages events, in stream order (the first of a diff ID wins: the
     *                  contents of a layer are the same whoever reads them)
     * @param newStacks image keys whose stack this transaction wrote
     */
    static void apply(Statements s, List<LayerPackages> events, List<Long> newStacks) throws SQLException {
        if (events.isEmpty() && newStacks.isEmpty()) {
            return;
        }
        Connection c = s.connection();
        Map<String, LayerPackages> byDiffId = new LinkedHashMap<>();
        for (LayerPackages e : events) {
            byDiffId.putIfAbsent(e.diffId().toString(), e);
        }
        Map<String, Long> added = new HashMap<>();
        if (!byDiffId.isEmpty()) {
            List<String> ids = new ArrayList<>();
            List<String> versions = new ArrayList<>();
            List<String> readAt = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            for (LayerPackages e : byDiffId.values()) {
                ids.add(e.diffId().toString());
                versions.add(e.agentVersion());
                readAt.add(Sql.iso(e.readAt()));
                problems.add(BatchApplier.problemsJson(e.problems()));
            }
            try (PreparedStatement ps = s.prepare(INSERT_LAYERS)) {
                ps.setArray(1, Sql.texts(c, ids));
                ps.setArray(2, Sql.texts(c, versions));
                ps.setArray(3, Sql.texts(c, readAt));
                ps.setArray(4, Sql.texts(c, problems));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        added.put(rs.getString(1), rs.getLong(2));
                    }
                }
            }
        }
        boolean anyDatabase = added.keySet().stream().anyMatch(id -> !byDiffId.get(id).databases().isEmpty());
        if (anyDatabase) {
            s.execute(TEMP_TABLES);
            s.copy("COPY la_pkg_db (pkg_layer_key, ecosystem, path, state, package_count) FROM STDIN", row -> {
                for (Map.Entry<String, Long> a : added.entrySet()) {
                    for (PackageDatabase db : byDiffId.get(a.getKey()).databases()) {
                        row.value(a.getValue()).value(db.ecosystem().id()).value(db.path()).value(db.state())
                                .value(db.packages().size()).end();
                    }
                }
            });
            s.copy("COPY la_pkg (pkg_layer_key, ecosystem, path, name, version, architecture, source_name, source_version)"
                    + " FROM STDIN", row -> {
                for (Map.Entry<String, Long> a : added.entrySet()) {
                    for (PackageDatabase db : byDiffId.get(a.getKey()).databases()) {
                        for (InstalledPackage p : db.packages()) {
                            row.value(a.getValue()).value(db.ecosystem().id()).value(db.path()).value(p.name())
                                    .value(p.version()).value(p.architecture()).value(p.sourceName())
                                    .value(p.sourceVersion()).end();
                        }
                    }
                }
            });
            s.execute(INSERT_DATABASES);
            s.execute(INSERT_PACKAGES);
            s.execute(LINK_PACKAGES);
        }
        List<String> changedLayers = added.keySet().stream()
                .filter(id -> !byDiffId.get(id).databases().isEmpty()).sorted().toList();
        if (changedLayers.isEmpty() && newStacks.isEmpty()) {
            return;
        }
        // Planned for each batch's keys: its generic plan (kept once PgJDBC has prepared it on the server) read
        // 12,400-13,300 buffers a call where the custom plans read 280-325 (46-54 against 2.8-4.2 ms; pg_stat_statements
        // of the churn phase of bench --scale small --only indexer, where every run since V22 kept the generic plan).
        try (PreparedStatement ps = s.prepareForItsParameters(RECOMPUTE)) {
            ps.setArray(1, Sql.longs(c, newStacks));
            ps.setArray(2, Sql.texts(c, changedLayers));
            ps.executeUpdate();
        }
        s.execute(HOSTS_EMPTY);
    }

    /**
     * Moves {@code host_package_databases} by the images that arrived on or left hosts. Two statements whatever the
     * number of hosts, none when nothing moved.
     */
    static void hostsMoved(Statements s, HostKeyMoves images) throws SQLException {
        if (images.isEmpty()) {
            return;
        }
        images.execute(s, HOSTS_MOVED);
        s.execute(HOSTS_EMPTY);
    }

    /**
     * Recomputes {@code host_package_databases} from {@code host_images} and {@code image_package_databases}, then
     * {@code package_database_hosts} from it.
     *
     * @return how many rows were wrong, missing or extra (each corrected), 0 when the deltas kept it exact
     */
    static int recount(Connection c) throws SQLException {
        int fixed = 0;
        for (String sql : java.util.stream.Stream.concat(RECOUNT_HOSTS.stream(), RECOUNT_HOST_SETS.stream()).toList()) {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                fixed += ps.executeUpdate();
            }
        }
        return fixed;
    }
}
