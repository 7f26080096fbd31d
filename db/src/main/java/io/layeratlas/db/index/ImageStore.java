package io.layeratlas.db.index;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code images} aggregate: images by image ID, their layer stack ({@code image_layers}), history and
 * config. An image row is created by whichever arrives first, a host's inventory naming it or its config
 * event, and completed by the other: the stack is written once (it is fixed by the image ID), the config
 * event's config, created, os/arch and history win over what an inventory said. Every method is one or two
 * set-based statements for any number of images.
 */
final class ImageStore {

    /**
     * An image's surrogate key, how many layers its stored stack has (null: not known yet), whether its config is,
     * which of the facts an inventory may fill ({@link #fillFacts}) the row holds, and its {@code first_seen}.
     */
    record ImageRow(long key, Integer layerCount, boolean hasConfig, boolean createdKnown, boolean osKnown,
                    boolean architectureKnown, boolean sizeKnown, Instant firstSeen) {
        /** Whether {@link #fillFacts} with {@code f} would leave this row as it is (the rule of {@code FILL_FACTS}). */
        boolean covers(Facts f) {
            return (f.created() == null || createdKnown) && (f.os() == null || osKnown)
                    && (f.architecture() == null || architectureKnown) && (f.size() == null || sizeKnown)
                    && (f.seen() == null || (firstSeen != null && !firstSeen.isAfter(f.seen())));
        }
    }

    /** What an inventory says of an image, for {@link #fillFacts}; null fields are unknown. */
    record Facts(long key, Instant created, String os, String architecture, Long size, Instant seen) {
    }

    /** What an image config event says, for {@link #setConfigs}. */
    record Config(long key, String json, Instant created, String os, String architecture) {
    }

    /** A history to write: authoritative (a config's) replaces any; an inventory's is written only where none is. */
    record History(long key, List<HistoryEntry> entries, boolean authoritative) {
    }

    private static final String INSERT_IMAGES = """
            WITH added AS (
                INSERT INTO images (image_id, first_seen)
                SELECT t.id, COALESCE(t.seen::timestamptz, now()) FROM unnest(?::text[], ?::text[]) AS t(id, seen) ORDER BY t.id
                ON CONFLICT (image_id) DO NOTHING
                RETURNING image_key)
            INSERT INTO image_usage (image_key) SELECT image_key FROM added ORDER BY image_key
            ON CONFLICT (image_key) DO NOTHING
            """;

    private static final String KEYS = """
            SELECT image_id, image_key, layer_count, config IS NOT NULL, created IS NOT NULL, os IS NOT NULL,
                   architecture IS NOT NULL, size IS NOT NULL, first_seen
              FROM images WHERE image_id = ANY(?::text[])
            """;

    private static final String FILL_FACTS = """
            UPDATE images i SET
                created      = COALESCE(i.created, t.created::timestamptz),
                os           = COALESCE(i.os, t.os),
                architecture = COALESCE(i.architecture, t.arch),
                size         = COALESCE(i.size, t.size),
                first_seen   = LEAST(i.first_seen, COALESCE(t.seen::timestamptz, i.first_seen))
              FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[])
                   AS t(image_key, created, os, arch, size, seen)
             WHERE i.image_key = t.image_key
               AND ((i.created IS NULL AND t.created IS NOT NULL)
                 OR (i.os IS NULL AND t.os IS NOT NULL)
                 OR (i.architecture IS NULL AND t.arch IS NOT NULL)
                 OR (i.size IS NULL AND t.size IS NOT NULL)
                 OR i.first_seen > t.seen::timestamptz)
            """;

    private static final String SET_CONFIGS = """
            UPDATE images i SET config       = t.config::jsonb,
                                created      = COALESCE(t.created::timestamptz, i.created),
                                os           = COALESCE(t.os, i.os),
                                architecture = COALESCE(t.arch, i.architecture)
              FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[]) AS t(image_key, config, created, os, arch)
             WHERE i.image_key = t.image_key
            """;

    // The transaction that sets layer_count (under the row lock the UPDATE takes) is the one that writes the stack,
    // so two indexers naming the same new image write it once; la_new_stack remembers which for the counters and
    // the lineage.
    private static final String CLAIM_STACKS = """
            WITH won AS (
                UPDATE images i SET layer_count = t.n, top_layer_key = t.top
                  FROM unnest(?::bigint[], ?::integer[], ?::bigint[]) AS t(image_key, n, top)
                 WHERE i.image_key = t.image_key AND i.layer_count IS NULL
                RETURNING i.image_key),
            kept AS (INSERT INTO la_new_stack SELECT image_key FROM won)
            SELECT image_key FROM won
            """;

    private static final String INSERT_STACKS = """
            INSERT INTO image_layers (image_key, position, layer_key)
            SELECT t.image_key, t.position, t.layer_key
              FROM unnest(?::bigint[], ?::integer[], ?::bigint[]) AS t(image_key, position, layer_key)
             WHERE t.image_key = ANY(?::bigint[])
             ORDER BY t.image_key, t.position
            ON CONFLICT (image_key, position) DO NOTHING
            """;

    private static final String DELETE_HISTORY = "DELETE FROM image_history WHERE image_key = ANY(?::bigint[])";

    private static final String INSERT_HISTORY = """
            INSERT INTO image_history (image_key, position, created, created_by, comment, empty_layer, size)
            SELECT t.image_key, t.position, t.created::timestamptz, t.created_by, t.comment, t.empty_layer, t.size
              FROM unnest(?::bigint[], ?::integer[], ?::text[], ?::text[], ?::text[], ?::boolean[], ?::bigint[], ?::boolean[])
                   AS t(image_key, position, created, created_by, comment, empty_layer, size, authoritative)
             WHERE t.authoritative OR NOT EXISTS (SELECT 1 FROM image_history h WHERE h.image_key = t.image_key)
             ORDER BY t.image_key, t.position
            """;

    private static final String DOCKER_PARENTS = """
            INSERT INTO image_parents (child_key, parent_key, source)
            SELECT t.child, t.parent, 'docker-parent' FROM unnest(?::bigint[], ?::bigint[]) AS t(child, parent)
             WHERE t.child <> t.parent ORDER BY t.child
            ON CONFLICT (child_key, source) DO NOTHING
            """;

    private ImageStore() {
    }

    /**
     * Creates the images that are not there yet (with a zero {@code image_usage} row) and returns every one's row.
     * The rows are read first and only the IDs not found are inserted (and read): at fleet scale nearly every image
     * of a batch is known, and offering all of them to {@code INSERT … ON CONFLICT} probed each one again (17.5 of the
     * 328 s of statements of a 10,000-host rescan, pg_stat_statements, for no row inserted).
     *
     * @param seenById image ID → when it was first seen in this batch (a scan time), or null for "now"
     */
    static Map<Digest, ImageRow> ensure(Statements s, Map<Digest, Instant> seenById) throws SQLException {
        if (seenById.isEmpty()) {
            return Map.of();
        }
        Map<Digest, ImageRow> rows = read(s, seenById.keySet());
        List<Digest> missing = seenById.keySet().stream().filter(id -> !rows.containsKey(id)).sorted().toList();
        if (!missing.isEmpty()) {
            Connection c = s.connection();
            try (PreparedStatement ps = s.prepare(INSERT_IMAGES)) {
                ps.setArray(1, Sql.texts(c, missing.stream().map(Digest::toString).toList()));
                ps.setArray(2, Sql.texts(c, missing.stream().map(id -> Sql.iso(seenById.get(id))).toList()));
                ps.executeUpdate();
            }
            rows.putAll(read(s, missing));
        }
        return rows;
    }

    private static Map<Digest, ImageRow> read(Statements s, java.util.Collection<Digest> ids) throws SQLException {
        Map<Digest, ImageRow> rows = new HashMap<>();
        try (PreparedStatement ps = s.prepare(KEYS)) {
            ps.setArray(1, Sql.texts(s.connection(), ids.stream().map(Digest::toString).sorted().toList()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int count = rs.getInt(3);
                    Integer layerCount = rs.wasNull() ? null : count;
                    rows.put(Digest.parse(rs.getString(1)), new ImageRow(rs.getLong(2), layerCount, rs.getBoolean(4),
                            rs.getBoolean(5), rs.getBoolean(6), rs.getBoolean(7), rs.getBoolean(8),
                            Sql.getInstant(rs, "first_seen")));
                }
            }
        }
        return rows;
    }

    /**
     * Fills created, os/arch and size where the image row does not know them yet (inventories never overwrite), and
     * moves {@code first_seen} back. Callers leave out the facts their rows already cover ({@link ImageRow#covers}): at
     * fleet scale that is nearly all of them, and offering them probed every image of every batch for no row changed
     * (8.8 of the 328 s of statements of a 10,000-host rescan, pg_stat_statements).
     */
    static void fillFacts(Statements s, List<Facts> facts) throws SQLException {
        if (facts.isEmpty()) {
            return;
        }
        Connection c = s.connection();
        List<Long> keys = new ArrayList<>();
        List<String> created = new ArrayList<>();
        List<String> os = new ArrayList<>();
        List<String> arch = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (Facts f : facts) {
            keys.add(f.key());
            created.add(Sql.iso(f.created()));
            os.add(f.os());
            arch.add(f.architecture());
            sizes.add(f.size());
            seen.add(Sql.iso(f.seen()));
        }
        try (PreparedStatement ps = s.prepare(FILL_FACTS)) {
            ps.setArray(1, Sql.longs(c, keys));
            ps.setArray(2, Sql.texts(c, created));
            ps.setArray(3, Sql.texts(c, os));
            ps.setArray(4, Sql.texts(c, arch));
            ps.setArray(5, Sql.longs(c, sizes));
            ps.setArray(6, Sql.texts(c, seen));
            ps.executeUpdate();
        }
    }

    /** Stores configs verbatim (as jsonb) with what was derived from them; a config that is not JSON is refused (22P02). */
    static void setConfigs(Statements s, List<Config> configs) throws SQLException {
        if (configs.isEmpty()) {
            return;
        }
        Connection c = s.connection();
        List<Long> keys = new ArrayList<>();
        List<String> json = new ArrayList<>();
        List<String> created = new ArrayList<>();
        List<String> os = new ArrayList<>();
        List<String> arch = new ArrayList<>();
        for (Config cfg : configs) {
            keys.add(cfg.key());
            json.add(cfg.json());
            created.add(Sql.iso(cfg.created()));
            os.add(cfg.os());
            arch.add(cfg.architecture());
        }
        try (PreparedStatement ps = s.prepare(SET_CONFIGS)) {
            ps.setArray(1, Sql.longs(c, keys));
            ps.setArray(2, Sql.texts(c, json));
            ps.setArray(3, Sql.texts(c, created));
            ps.setArray(4, Sql.texts(c, os));
            ps.setArray(5, Sql.texts(c, arch));
            ps.executeUpdate();
        }
    }

    /**
     * Writes the stacks of images whose stack is not known yet ({@code layer_count IS NULL}).
     *
     * @param stacks image key → layer keys, bottom first
     * @return the images whose stack this transaction wrote (also in the temporary table {@code la_new_stack})
     */
    static List<Long> writeStacks(Statements s, Map<Long, List<Long>> stacks) throws SQLException {
        if (stacks.isEmpty()) {
            return List.of();
        }
        Connection c = s.connection();
        Map<Long, List<Long>> sorted = new TreeMap<>(stacks);
        List<Long> keys = new ArrayList<>(sorted.keySet());
        List<Integer> counts = new ArrayList<>();
        List<Long> tops = new ArrayList<>();
        List<Long> rowImage = new ArrayList<>();
        List<Integer> rowPosition = new ArrayList<>();
        List<Long> rowLayer = new ArrayList<>();
        sorted.forEach((image, layers) -> {
            counts.add(layers.size());
            tops.add(layers.isEmpty() ? null : layers.get(layers.size() - 1));
            for (int p = 0; p < layers.size(); p++) {
                rowImage.add(image);
                rowPosition.add(p);
                rowLayer.add(layers.get(p));
            }
        });
        List<Long> won = new ArrayList<>();
        try (PreparedStatement ps = s.prepare(CLAIM_STACKS)) {
            ps.setArray(1, Sql.longs(c, keys));
            ps.setArray(2, Sql.ints(c, counts));
            ps.setArray(3, Sql.longs(c, tops));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    won.add(rs.getLong(1));
                }
            }
        }
        if (!won.isEmpty() && !rowImage.isEmpty()) {
            try (PreparedStatement ps = s.prepare(INSERT_STACKS)) {
                ps.setArray(1, Sql.longs(c, rowImage));
                ps.setArray(2, Sql.ints(c, rowPosition));
                ps.setArray(3, Sql.longs(c, rowLayer));
                ps.setArray(4, Sql.longs(c, won));
                ps.executeUpdate();
            }
        }
        return won;
    }

    /** Writes histories, oldest entry first: authoritative ones replace, the others only fill images without one. */
    static void writeHistories(Statements s, List<History> histories) throws SQLException {
        if (histories.isEmpty()) {
            return;
        }
        Connection c = s.connection();
        List<Long> replaced = new ArrayList<>();
        List<Long> keys = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        List<String> created = new ArrayList<>();
        List<String> createdBy = new ArrayList<>();
        List<String> comments = new ArrayList<>();
        List<Boolean> empty = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        List<Boolean> authoritative = new ArrayList<>();
        for (History h : histories) {
            if (h.authoritative()) {
                replaced.add(h.key());
            }
            for (int p = 0; p < h.entries().size(); p++) {
                HistoryEntry e = h.entries().get(p);
                keys.add(h.key());
                positions.add(p);
                created.add(Sql.iso(e.created()));
                createdBy.add(e.createdBy());
                comments.add(e.comment());
                empty.add(e.emptyLayer());
                sizes.add(e.size());
                authoritative.add(h.authoritative());
            }
        }
        if (!replaced.isEmpty()) {
            try (PreparedStatement ps = s.prepare(DELETE_HISTORY)) {
                ps.setArray(1, Sql.longs(c, replaced));
                ps.executeUpdate();
            }
        }
        if (!keys.isEmpty()) {
            try (PreparedStatement ps = s.prepare(INSERT_HISTORY)) {
                ps.setArray(1, Sql.longs(c, keys));
                ps.setArray(2, Sql.ints(c, positions));
                ps.setArray(3, Sql.texts(c, created));
                ps.setArray(4, Sql.texts(c, createdBy));
                ps.setArray(5, Sql.texts(c, comments));
                ps.setArray(6, Sql.booleans(c, empty));
                ps.setArray(7, Sql.longs(c, sizes));
                ps.setArray(8, Sql.booleans(c, authoritative));
                ps.executeUpdate();
            }
        }
    }

    /** Records Docker's local parent as hosts reported it (child key → parent key); the first report is kept. */
    static void linkDockerParents(Statements s, Map<Long, Long> parentByChild) throws SQLException {
        KnownFacts.Session known = s.known();
        Map<Long, Long> sorted = new TreeMap<>(parentByChild);
        sorted.keySet().removeIf(known::dockerParentLinked);
        if (sorted.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = s.prepare(DOCKER_PARENTS)) {
            ps.setArray(1, Sql.longs(s.connection(), sorted.keySet()));
            ps.setArray(2, Sql.longs(s.connection(), sorted.values()));
            ps.executeUpdate();
        }
        sorted.keySet().forEach(known::learnDockerParentLinked);
    }
}
