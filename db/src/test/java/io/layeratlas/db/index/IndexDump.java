package io.layeratlas.db.index;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The index's answers as sorted lines of text, without surrogate keys or indexing-time clocks, so that two
 * databases built from the same events compare equal with a readable difference when they do not.
 */
public final class IndexDump {
    private static final Map<String, String> SECTIONS = new LinkedHashMap<>();

    static {
        SECTIONS.put("hosts", """
                SELECT host_id || ' gen=' || generation || ' retired=' || (retired_at IS NOT NULL)
                       || ' scanned=' || COALESCE(scanned_at::text, '-') || ' hb=' || COALESCE(last_heartbeat_at::text, '-')
                       || ' first=' || first_seen || ' problems=' || problems::text FROM hosts""");
        SECTIONS.put("host_images", """
                SELECT h.host_id || ' ' || i.image_id || ' tags=' || array_to_string(hi.repo_tags, ',')
                       || ' digests=' || array_to_string(hi.repo_digests, ',') || ' parent=' || COALESCE(hi.parent_id, '-')
                       || ' containers=' || hi.containers || ' size=' || hi.size || ' first=' || hi.first_seen
                  FROM host_images hi JOIN hosts h USING (host_key) JOIN images i USING (image_key)""");
        SECTIONS.put("host_image_ids", """
                SELECT h.host_id || ' ' || i.image_id FROM host_images hi JOIN hosts h USING (host_key) JOIN images i USING (image_key)""");
        SECTIONS.put("host_layers", """
                SELECT h.host_id || ' ' || l.chain_id FROM host_layers hl JOIN hosts h USING (host_key) JOIN layers l USING (layer_key)""");
        SECTIONS.put("layer_usage", """
                SELECT l.chain_id || ' hosts=' || u.host_count || ' images=' || u.image_count
                  FROM layer_usage u JOIN layers l USING (layer_key) WHERE u.host_count > 0 OR u.image_count > 0""");
        SECTIONS.put("image_usage", """
                SELECT i.image_id || ' hosts=' || u.host_count FROM image_usage u JOIN images i USING (image_key) WHERE u.host_count > 0""");
        SECTIONS.put("image_tags", """
                SELECT i.image_id || ' ' || t.tag || ' hosts=' || t.host_count FROM image_tags t JOIN images i USING (image_key)""");
        SECTIONS.put("images", """
                SELECT image_id || ' config=' || (config IS NOT NULL) || ' created=' || COALESCE(created::text, '-') || ' os=' || COALESCE(os, '-')
                       || ' arch=' || COALESCE(architecture, '-') || ' layers=' || COALESCE(layer_count::text, '-') || ' size=' || COALESCE(size::text, '-')
                  FROM images""");
        SECTIONS.put("image_layers", """
                SELECT i.image_id || ' ' || il.position || ' ' || l.chain_id FROM image_layers il JOIN images i USING (image_key) JOIN layers l USING (layer_key)""");
        SECTIONS.put("layers", """
                SELECT chain_id || ' diff=' || diff_id || ' parent=' || COALESCE(parent_chain_id, '-') || ' size=' || COALESCE(size::text, '-')
                       || ' v1=' || COALESCE(v1_id, '-')
                       -- A scan time (the synthetic fleets scan in 2024), or the time of applying: differs between runs.
                       || ' seen=' || CASE WHEN first_seen < '2025-01-01' THEN first_seen::text ELSE 'when applied' END
                  FROM layers""");
        SECTIONS.put("layer_blobs", "SELECT diff_id || ' ' || compressed_digest || ' ' || COALESCE(media_type, '-') || ' '"
                + " || COALESCE(source_repository, '-') FROM layer_blobs");
        SECTIONS.put("image_history", """
                SELECT i.image_id || ' ' || h.position || ' ' || COALESCE(h.created_by, '-') || ' empty=' || h.empty_layer || ' size=' || h.size
                  FROM image_history h JOIN images i USING (image_key)""");
        SECTIONS.put("image_parents", """
                SELECT c.image_id || ' ' || p.source || ' ' || pi.image_id
                  FROM image_parents p JOIN images c ON c.image_key = p.child_key JOIN images pi ON pi.image_key = p.parent_key""");
        // One line per image or layer that arrived or left, and per tag a kept image gained or lost (the table keeps them
        // as arrays per host and generation).
        SECTIONS.put("host_changes", """
                SELECT h.host_id || ' gen=' || c.generation || ' at=' || c.at || ' ' || c.change || ' ' || c.subject || ' '
                       || COALESCE(i.image_id, l.chain_id) || COALESCE(' ' || k.tag, '')
                  FROM host_changes c JOIN hosts h USING (host_key) CROSS JOIN LATERAL unnest(c.keys, c.tags) AS k(key, tag)
                  LEFT JOIN images i ON c.subject IN ('image', 'tag') AND i.image_key = k.key
                  LEFT JOIN layers l ON c.subject = 'layer' AND l.layer_key = k.key""");
        SECTIONS.put("package_layers", """
                SELECT diff_id || ' agent=' || agent_version || ' read=' || read_at || ' problems=' || problems::text FROM package_layers""");
        SECTIONS.put("package_databases", """
                SELECT pl.diff_id || ' ' || d.ecosystem || ' ' || d.path || ' ' || d.state || ' n=' || d.package_count || ' ['
                       || COALESCE((SELECT string_agg(p.name || '=' || p.version || '/' || COALESCE(p.architecture, '-') || '/'
                                                      || COALESCE(p.source_name, '-') || '=' || COALESCE(p.source_version, '-'), ' '
                                                      ORDER BY p.name, p.version, p.architecture)
                                      FROM database_packages dp JOIN packages p USING (package_key) WHERE dp.db_key = d.db_key), '') || ']'
                  FROM package_databases d JOIN package_layers pl USING (pkg_layer_key)""");
        SECTIONS.put("image_packages", """
                SELECT i.image_id || ' ' || ip.ecosystem || ' ' || ip.name || '=' || ip.version || ' ' || ip.path || ' @' || ip.position
                       || ' ' || ip.diff_id
                  FROM image_packages ip JOIN images i USING (image_key)""");
        SECTIONS.put("host_package_databases", """
                SELECT h.host_id || ' ' || pl.diff_id || ' ' || d.path || ' images=' || x.image_count
                  FROM host_package_databases x JOIN hosts h USING (host_key)
                  JOIN package_databases d USING (db_key) JOIN package_layers pl USING (pkg_layer_key)""");
        // V15's host sets, decoded (bit b of row chunk is host chunk * 1024 + b): the same pairs as
        // host_package_databases, without counts.
        SECTIONS.put("package_database_hosts", """
                SELECT h.host_id || ' ' || pl.diff_id || ' ' || d.path
                  FROM package_database_hosts s CROSS JOIN generate_series(0, 1023) b
                  JOIN hosts h ON h.host_key = s.chunk * 1024 + b
                  JOIN package_databases d ON d.db_key = s.db_key JOIN package_layers pl USING (pkg_layer_key)
                 WHERE get_bit(s.hosts, b) = 1""");
        SECTIONS.put("pending_snapshot_chunks", "SELECT host_id || ' gen=' || generation || ' chunk=' || chunk || '/' || chunk_count FROM pending_snapshot_chunks");
    }

    private IndexDump() {
    }

    /** Every section. */
    public static Map<String, List<String>> of(DataSource dataSource) {
        return of(dataSource, SECTIONS.keySet().toArray(new String[0]));
    }

    /** The named sections, each a sorted list of lines. */
    public static Map<String, List<String>> of(DataSource dataSource, String... sections) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("SET TIME ZONE 'UTC'");
            for (String name : sections) {
                List<String> lines = new ArrayList<>();
                try (ResultSet rs = s.executeQuery("SELECT line FROM (" + SECTIONS.get(name) + ") AS t(line) ORDER BY line COLLATE \"C\"")) {
                    while (rs.next()) {
                        lines.add(rs.getString(1));
                    }
                }
                out.put(name, lines);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }
}
