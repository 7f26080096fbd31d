package io.layeratlas.db.index;

import io.layeratlas.events.ImageRecord;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongFunction;

/**
 * What hosts hold: {@code host_images} (stored as {@code held_images} and {@code tag_sets}, V20), {@code host_layers},
 * and the {@code host_changes} log of both, replaced for a set of hosts at once ({@link #replace}) with a fixed number
 * of statements whatever the number of hosts: rows that left are deleted, rows that arrived are inserted, rows whose
 * attributes changed are updated, and nothing else is written. What the hosts hold is read (one statement per table) and compared in Java with what they sent; a host whose
 * holdings the index knows to be empty (its first snapshot, or its first since retirement) is copied straight in
 * ({@code copyFresh}). What arrived and left, as that comparison found it ({@link Deltas}), and the repo tags an
 * image the host keeps gained or lost (subject {@code tag}, V6), goes to the change log (one row per host, generation,
 * change and subject) and moves the usage counters by exactly that difference ({@link UsageStore#applyDeltas}; the
 * hosts of each package database, {@link PackageStore#hostsMoved}), and so do the hosts an image is tagged on
 * ({@code image_usage.tagged_host_count}; images whose "tagged somewhere" changed go to {@code la_tag_flip} for the
 * lineage) and the hosts carrying each tag of an image ({@code image_tags}, {@link UsageStore#moveTags}). The caller
 * holds the hosts' row locks.
 */
final class HostContentsStore {

    /** The new contents of one host: {@code layers} its layer keys, ascending and distinct. */
    record NewContents(int hostKey, long generation, Instant at, Map<Long, ImageRecord> images, long[] layers,
                       boolean recordChanges, boolean wasEmpty) {
    }

    /**
     * The host's own fields of a held image as {@code la_hi} and {@code held_images} store them, in COPY order: the
     * tags and digests as the key of their set ({@link TagSets}).
     */
    private static final String STORED_IMAGE_COLUMNS = "tag_set_key, parent_id, containers, size, shared_size, unique_size";

    /** The same fields as the {@code host_images} view shows them, the set's arrays in place of its key ({@link Held}). */
    private static final String HELD_IMAGE_COLUMNS = "repo_tags, repo_digests, parent_id, containers, size, shared_size, unique_size";

    /** The temporary tables of a replacement; created once per connection, emptied at commit. */
    static final String TEMP_TABLES = """
            CREATE TEMP TABLE IF NOT EXISTS la_round (host_key integer PRIMARY KEY, generation bigint NOT NULL,
                at timestamptz NOT NULL, record_changes boolean NOT NULL, fresh boolean NOT NULL) ON COMMIT DELETE ROWS;
            CREATE TEMP TABLE IF NOT EXISTS la_hi (host_key integer NOT NULL, image_key bigint NOT NULL,
                tag_set_key integer NOT NULL, parent_id text, containers integer NOT NULL, size bigint NOT NULL,
                shared_size bigint NOT NULL, unique_size bigint NOT NULL, added boolean NOT NULL,
                PRIMARY KEY (host_key, image_key)) ON COMMIT DELETE ROWS;
            CREATE TEMP TABLE IF NOT EXISTS la_tag_delta (host_key integer NOT NULL, image_key bigint NOT NULL, tag text NOT NULL, d integer NOT NULL) ON COMMIT DELETE ROWS;
            CREATE TEMP TABLE IF NOT EXISTS la_tag_flip (image_key bigint NOT NULL) ON COMMIT DELETE ROWS;
            CREATE TEMP TABLE IF NOT EXISTS la_new_stack (image_key bigint NOT NULL) ON COMMIT DELETE ROWS;
            """ + TagSets.TEMP_TABLE;

    private static final String CLEAR = "TRUNCATE la_round, la_hi, la_tag_delta, la_ts";

    /**
     * The round's hosts that may hold something, as an index condition on a fleet table
     * ({@code x.host_key = ROUND_HOSTS}): the primary key's leading column, so the statement reads those hosts' rows and
     * no others, at any fleet size. Joined to {@code la_round} instead, the planner read all of {@code host_images} for
     * a batch of two hosts (auto_explain, {@code bench --scale small}; 14–17 ms a batch at 1,000 hosts,
     * pg_stat_statements), and would read millions of rows at 10,000.
     */
    private static final String ROUND_HOSTS = "ANY (ARRAY(SELECT host_key FROM la_round WHERE NOT fresh))";

    private static final String ROUND = """
            INSERT INTO la_round (host_key, generation, at, record_changes, fresh)
            SELECT t.k, t.g, t.a::timestamptz, t.r, t.f
              FROM unnest(?::integer[], ?::bigint[], ?::text[], ?::boolean[], ?::boolean[]) AS t(k, g, a, r, f)
            """;

    // Hosts on which an image is tagged now and not before, or the other way round, move its tagged_host_count by
    // the moves the Java comparison found ((image_key, n) arrays, keys ascending, n never 0; a fresh host's tagged
    // images all move by one); images whose count went from 0 to more or back changed "tagged somewhere": lineage
    // follows them (la_tag_flip).
    private static final String TAGGED_HOSTS = """
            WITH moved AS (
                UPDATE image_usage u SET tagged_host_count = u.tagged_host_count + d.n
                  FROM unnest(?::bigint[], ?::integer[]) AS d(image_key, n)
                 WHERE u.image_key = d.image_key
                RETURNING u.image_key, u.tagged_host_count AS now, d.n)
            INSERT INTO la_tag_flip (image_key)
            SELECT image_key FROM moved WHERE (now > 0) <> (now - n > 0)
            """;

    /**
     * What the round's merged hosts hold now, one row per host: {@code (host_key, layer_keys)}, keys ascending (the
     * primary key's index, the hosts' rows only; a host holding nothing has no row).
     */
    private static final String HELD_LAYERS = """
            SELECT hl.host_key, array_agg(hl.layer_key ORDER BY hl.layer_key) AS layer_keys
              FROM host_layers hl WHERE hl.host_key = ANY (?::integer[]) GROUP BY hl.host_key
            """;

    // The layers that left each host, as the diff against HELD_LAYERS found them ({@link LayerDiff}). The index
    // condition on the round's hosts bounds what the statement can read to their rows whatever the planner makes of
    // the arrays.
    private static final String REMOVE_LAYERS = """
            DELETE FROM host_layers hl USING unnest(?::integer[], ?::bigint[]) AS g(host_key, layer_key)
             WHERE hl.host_key = %s AND hl.host_key = g.host_key AND hl.layer_key = g.layer_key
            """.formatted(ROUND_HOSTS);

    // The layers that arrived, as the same diff found them, in primary-key order. The hosts' rows are locked by this
    // transaction: no other writer adds or removes a row between HELD_LAYERS and these.
    private static final String ADD_LAYERS = """
            INSERT INTO host_layers (host_key, layer_key, first_seen)
            SELECT g.host_key, g.layer_key, r.at
              FROM unnest(?::integer[], ?::bigint[]) AS g(host_key, layer_key) JOIN la_round r USING (host_key)
             ORDER BY g.host_key, g.layer_key
            """;

    /**
     * What the round's merged hosts hold of images now, one row per image: {@code (host_key, image_key, the host's own
     * fields)}, the hosts' rows only.
     */
    private static final String HELD_IMAGES = """
            SELECT hi.host_key, hi.image_key, %s FROM host_images hi WHERE hi.host_key = ANY (?::integer[])
            """.formatted(HELD_IMAGE_COLUMNS);

    // The images that left each host, as the diff against HELD_IMAGES found them ({@link ImageDiff}).
    private static final String REMOVE_IMAGES = """
            DELETE FROM held_images hi USING unnest(?::integer[], ?::bigint[]) AS g(host_key, image_key)
             WHERE hi.host_key = %s AND hi.host_key = g.host_key AND hi.image_key = g.image_key
            """.formatted(ROUND_HOSTS);

    // Tags an image the host keeps gained (d = 1) or lost (d = -1), as the same diff found them; an image that
    // arrives or leaves is not among them (its change is the image's).
    private static final String TAG_DELTAS = """
            INSERT INTO la_tag_delta (host_key, image_key, tag, d)
            SELECT * FROM unnest(?::integer[], ?::bigint[], ?::text[], ?::integer[])
            """;

    // The kept images whose fields changed (la_hi's rows not added).
    private static final String UPDATE_IMAGES = """
            UPDATE held_images hi SET tag_set_key = s.tag_set_key, parent_id = s.parent_id,
                                      containers = s.containers, size = s.size, shared_size = s.shared_size,
                                      unique_size = s.unique_size
              FROM la_hi s
             WHERE NOT s.added AND hi.host_key = %s AND hi.host_key = s.host_key AND hi.image_key = s.image_key
            """.formatted(ROUND_HOSTS);

    // The images that arrived (la_hi's rows added), in primary-key order.
    private static final String ADD_IMAGES = """
            INSERT INTO held_images (host_key, image_key, tag_set_key, parent_id, containers, size, shared_size,
                                     unique_size, first_seen)
            SELECT s.host_key, s.image_key, s.tag_set_key, s.parent_id, s.containers, s.size,
                   s.shared_size, s.unique_size, r.at
              FROM la_hi s JOIN la_round r USING (host_key)
             WHERE s.added
             ORDER BY s.host_key, s.image_key
            """;

    /**
     * The change log's image and layer rows, one per host, generation, change and subject ({@code keys} ascending), as
     * {@link Deltas#writeChangeLog} copies them in: per host, removed images, added images, removed layers, added
     * layers.
     */
    private static final String COPY_CHANGE_LOG = "COPY host_changes (host_key, generation, at, change, subject, keys) FROM STDIN";

    // The change log's tag rows: per host and generation, the removed tags, then the added ones, each one row (image
    // keys and tags in the order of (image key, tag), the database's collation ordering the tags), after the host's
    // image and layer rows (COPY_CHANGE_LOG).
    private static final String TAG_CHANGE_LOG = """
            INSERT INTO host_changes (host_key, generation, at, change, subject, keys, tags)
            SELECT r.host_key, r.generation, r.at, c.change, 'tag', c.keys, c.tags
              FROM la_round r
              JOIN (SELECT host_key, CASE WHEN d > 0 THEN 'added' ELSE 'removed' END AS change,
                           array_agg(image_key ORDER BY image_key, tag) AS keys, array_agg(tag ORDER BY image_key, tag) AS tags
                      FROM la_tag_delta GROUP BY host_key, d) c USING (host_key)
             WHERE r.record_changes
             ORDER BY r.host_key, c.change DESC
            """;

    private HostContentsStore() {
    }

    /**
     * Replaces what the given hosts hold (each host at most once); images whose "tagged somewhere" it changed are
     * added to {@code la_tag_flip}.
     *
     * A host's layer totals move by the layers that moved (a fresh host's are set: {@link HostStore#moveLayerTotals}).
     *
     * @return the keys of the hosts whose images changed: every fresh host, and the merged hosts that gained or lost an
     * image or whose image row changed (for their image totals, {@link HostStore#recountImageTotals})
     */
    static Set<Integer> replace(Statements s, List<NewContents> hosts) throws SQLException {
        if (hosts.isEmpty()) {
            return Set.of();
        }
        Connection c = s.connection();
        Map<Integer, NewContents> byHost = new TreeMap<>();
        for (NewContents h : hosts) {
            if (byHost.put(h.hostKey(), h) != null) {
                throw new IllegalArgumentException("host " + h.hostKey() + " twice in one replacement");
            }
        }
        if (s.tempTablesUsed()) {
            // ON COMMIT DELETE ROWS empties them at commit; a TRUNCATE costs ~4 ms even on empty tables.
            s.execute(CLEAR);
        }
        List<Integer> keys = new ArrayList<>();
        List<Long> generations = new ArrayList<>();
        List<String> ats = new ArrayList<>();
        List<Boolean> record = new ArrayList<>();
        List<Boolean> freshFlags = new ArrayList<>();
        List<NewContents> staged = new ArrayList<>();
        List<NewContents> fresh = new ArrayList<>();
        for (NewContents h : byHost.values()) {
            keys.add(h.hostKey());
            generations.add(h.generation());
            ats.add(Sql.iso(h.at()));
            record.add(h.recordChanges());
            freshFlags.add(h.wasEmpty());
            (h.wasEmpty() ? fresh : staged).add(h);
        }
        try (PreparedStatement ps = s.prepare(ROUND)) {
            ps.setArray(1, Sql.ints(c, keys));
            ps.setArray(2, Sql.longs(c, generations));
            ps.setArray(3, Sql.texts(c, ats));
            ps.setArray(4, Sql.booleans(c, record));
            ps.setArray(5, Sql.booleans(c, freshFlags));
            ps.executeUpdate();
        }
        java.sql.Array stagedKeys = Sql.ints(c, staged.stream().map(NewContents::hostKey).toList());
        LayerDiff layers = staged.isEmpty() ? new LayerDiff() : diffLayers(s, staged, stagedKeys);
        ImageDiff images = staged.isEmpty() ? new ImageDiff() : diffImages(s, staged, stagedKeys);
        checkLayerKeys(s, fresh, layers.added);
        Map<TagSets.TagSet, Integer> sets = tagSets(s, fresh, images);
        if (!fresh.isEmpty()) {
            copyFresh(s, fresh, sets);
        }
        if (!images.changed.isEmpty() || !images.added.isEmpty()) {
            s.copy("COPY la_hi (host_key, image_key, " + STORED_IMAGE_COLUMNS + ", added) FROM STDIN", row -> {
                for (ImageDiff.Row r : images.changed) {
                    r.held().write(row.value(r.host()).value(r.image()), sets).value("f").end();
                }
                for (ImageDiff.Row r : images.added) {
                    r.held().write(row.value(r.host()).value(r.image()), sets).value("t").end();
                }
            });
        }
        // Temporary tables are never analyzed by autovacuum; the merge's plans need their sizes, also a one-host
        // batch's: without, the planner scales the last analyzed density by the tables' pages, takes one host for
        // 166 and reads all of host_images (auto_explain, bench --scale small). The plans need sizes, not fine
        // histograms: a sample of 3,000 rows instead of 30,000.
        s.execute("SET LOCAL default_statistics_target = 10; ANALYZE la_round, la_hi");
        Deltas deltas = Deltas.of(fresh, staged, layers, images, s.known()::layerSize);
        if (!deltas.taggedMoves.isEmpty()) {
            try (PreparedStatement ps = s.prepare(TAGGED_HOSTS)) {
                ps.setArray(1, Sql.longs(c, deltas.taggedMoves.keySet()));
                ps.setArray(2, Sql.ints(c, deltas.taggedMoves.values()));
                ps.executeUpdate();
            }
        }
        if (layers.removed.size() > 0) {
            layers.removed.execute(s, REMOVE_LAYERS, "host_layers");
        }
        if (images.removed.size() > 0) {
            images.removed.execute(s, REMOVE_IMAGES, "held_images");
        }
        if (!images.tagImages.isEmpty()) {
            try (PreparedStatement ps = s.prepare(TAG_DELTAS)) {
                ps.setArray(1, Sql.ints(c, images.tagHosts));
                ps.setArray(2, Sql.longs(c, images.tagImages));
                ps.setArray(3, Sql.texts(c, images.tags));
                ps.setArray(4, Sql.ints(c, images.tagDeltas));
                ps.executeUpdate();
            }
        }
        if (!images.changed.isEmpty()) {
            s.execute(UPDATE_IMAGES);
        }
        if (layers.added.size() > 0) {
            layers.added.execute(s, ADD_LAYERS, "host_layers");
        }
        if (!images.added.isEmpty()) {
            s.execute(ADD_IMAGES);
        }
        UsageStore.applyDeltas(s, deltas.layerHosts, deltas.imageHosts);
        UsageStore.moveTags(s, deltas.imageTags);
        PackageStore.hostsMoved(s, deltas.images);
        deltas.writeChangeLog(s);
        if (!images.tagImages.isEmpty()) {
            s.execute(TAG_CHANGE_LOG);
        }
        HostStore.moveLayerTotals(s, deltas.layers);
        Set<Integer> changed = new java.util.TreeSet<>();
        fresh.forEach(h -> changed.add(h.hostKey()));
        images.removed.hostsInto(changed);
        images.changed.forEach(r -> changed.add(r.host()));
        images.added.forEach(r -> changed.add(r.host()));
        return changed;
    }

    /** The keys of the tag sets of every image row the replacement writes: the fresh hosts', the changed and the added. */
    private static Map<TagSets.TagSet, Integer> tagSets(Statements s, List<NewContents> fresh, ImageDiff images)
            throws SQLException {
        List<TagSets.TagSet> sets = new ArrayList<>();
        for (NewContents h : fresh) {
            h.images().values().forEach(r -> sets.add(Held.of(r).tagSet()));
        }
        images.changed.forEach(r -> sets.add(r.held().tagSet()));
        images.added.forEach(r -> sets.add(r.held().tagSet()));
        return TagSets.keys(s, sets);
    }

    /**
     * Hosts whose holdings the index knows to be empty (never applied, or retired) add everything they hold: their
     * rows go straight into {@code host_layers} and {@code held_images}, as {@code COPY} would load them, instead of one
     * staged row and one anti-join probe per link; their change log rows and counter moves are {@link Deltas}'. The
     * merge statements leave these hosts out ({@link #ROUND_HOSTS}).
     */
    private static void copyFresh(Statements s, List<NewContents> fresh, Map<TagSets.TagSet, Integer> sets)
            throws SQLException {
        List<long[]> layers = fresh.stream().map(NewContents::layers).toList();
        if (layers.stream().anyMatch(l -> l.length > 0)) {
            s.copy("COPY host_layers (host_key, layer_key, first_seen) FROM STDIN", row -> {
                for (int i = 0; i < fresh.size(); i++) {
                    NewContents h = fresh.get(i);
                    String at = Sql.iso(h.at());
                    for (long layer : layers.get(i)) {
                        row.value(h.hostKey()).value(layer).value(at).end();
                    }
                }
            });
        }
        if (fresh.stream().anyMatch(h -> !h.images().isEmpty())) {
            s.copy("COPY held_images (host_key, image_key, " + STORED_IMAGE_COLUMNS + ", first_seen) FROM STDIN", row -> {
                for (NewContents h : fresh) {
                    String at = Sql.iso(h.at());
                    for (var e : new TreeMap<>(h.images()).entrySet()) {
                        Held.of(e.getValue()).write(row.value(h.hostKey()).value(e.getKey()), sets).value(at).end();
                    }
                }
            });
        }
    }

    // How many of the layer keys bound (distinct) are in `layers`: every key a batch links, checked once (V16).
    private static final String LAYERS_FOUND = "SELECT count(*) FROM layers WHERE layer_key = ANY (?::bigint[])";

    /**
     * Checks that every layer the replacement links (every layer of a fresh host, every layer a merged host gains) is in
     * {@code layers}: one statement for the distinct keys, none when nothing is linked. The writer takes keys it
     * remembers ({@link KnownFacts}) without reading them: in a database restored under it they may be gone. Since V16
     * no foreign key checks each row; a key not found refuses the batch as that foreign key did (SQLSTATE 23503, so
     * {@link RejectedEventException} and the writer forgets what it knew).
     */
    private static void checkLayerKeys(Statements s, List<NewContents> fresh, KeyPairs added) throws SQLException {
        long[] linked = added.keys();
        int n = linked.length;
        for (NewContents h : fresh) {
            if (n + h.layers().length > linked.length) {
                linked = Arrays.copyOf(linked, Math.max(2 * linked.length, n + h.layers().length));
            }
            System.arraycopy(h.layers(), 0, linked, n, h.layers().length);
            n += h.layers().length;
        }
        if (n == 0) {
            return;
        }
        long[] distinct = Arrays.stream(linked, 0, n).sorted().distinct().toArray();
        try (PreparedStatement ps = s.prepare(LAYERS_FOUND)) {
            ps.setArray(1, Sql.longs(s.connection(), Arrays.stream(distinct).boxed().toList()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long found = rs.getLong(1);
                if (found != distinct.length) {
                    throw new SQLException("host_layers: " + (distinct.length - found) + " of the " + distinct.length
                            + " layer keys to link are not in layers (a database restored under the writer?)", "23503");
                }
            }
        }
    }

    /**
     * What a replacement changes, as the comparison in Java found it (the hosts' rows are locked, so it is exactly what
     * the statements write): per host, the image and layer keys that left and arrived (the change log), and summed
     * over the hosts, each layer's and image's move of its host count, each (host, image) move (the hosts of each
     * package database), each image's move of its tagged-host count and each (image, tag)'s move of its host count
     * ({@code image_tags}). Every layer and image of a fresh host arrived.
     * Computing these in Java replaced writing every delta row to temporary tables ({@code RETURNING} of each delete
     * and insert, and each fresh host's keys once more) only for SQL to sum them: at 10,000 hosts the fresh hosts'
     * key arrays alone were 16 of 495 s of statements (pg_stat_statements).
     */
    private static final class Deltas {
        /** A host's change log rows: keys ascending; empty arrays write no row. */
        private record HostChanges(NewContents host, long[] removedImages, long[] addedImages, long[] removedLayers,
                                   long[] addedLayers) {
        }

        private static final long[] NONE = new long[0];

        final List<HostChanges> hosts = new ArrayList<>();
        /** Layer key -> move of its host count, keys ascending, no zero moves. */
        final Map<Long, Integer> layerHosts = new TreeMap<>();
        /** Image key -> move of its host count, keys ascending, no zero moves. */
        final Map<Long, Integer> imageHosts = new TreeMap<>();
        /** Image key -> move of its tagged-host count, keys ascending, no zero moves. */
        final Map<Long, Integer> taggedMoves = new TreeMap<>();
        /** (Image key, tag) -> move of the hosts carrying the tag on the image. */
        final ImageTagMoves imageTags = new ImageTagMoves();
        /** Every image that arrived on or left a host. */
        final HostKeyMoves images = new HostKeyMoves();
        /** Every layer that arrived on or left a host, with its stored size when the writer knows it. */
        final HostStore.LayerMoves layers = new HostStore.LayerMoves();
        /** Layer key -> its stored size in bytes, null when unknown ({@link KnownFacts.Session#layerSize}). */
        private final LongFunction<Long> layerSize;

        private Deltas(LongFunction<Long> layerSize) {
            this.layerSize = layerSize;
        }

        static Deltas of(List<NewContents> fresh, List<NewContents> staged, LayerDiff layers, ImageDiff images,
                         LongFunction<Long> layerSize) {
            Deltas d = new Deltas(layerSize);
            Map<Integer, long[]> removedLayers = layers.removed.byHost();
            Map<Integer, long[]> addedLayers = layers.added.byHost();
            Map<Integer, long[]> removedImages = images.removed.byHost();
            Map<Integer, List<Long>> addedImages = new HashMap<>();
            images.added.forEach(r -> addedImages.computeIfAbsent(r.host(), k -> new ArrayList<>()).add(r.image()));
            Map<Integer, NewContents> all = new TreeMap<>();
            fresh.forEach(h -> all.put(h.hostKey(), h));
            staged.forEach(h -> all.put(h.hostKey(), h));
            for (NewContents h : all.values()) {
                HostChanges c;
                if (h.wasEmpty()) {
                    d.layers.fresh(h.hostKey());
                    c = new HostChanges(h, NONE, h.images().keySet().stream().mapToLong(Long::longValue).sorted().toArray(),
                            NONE, h.layers());
                    for (var e : h.images().entrySet()) {
                        List<String> tags = e.getValue().repoTags();
                        if (!tags.isEmpty()) {
                            d.taggedMoves.merge(e.getKey(), 1, Integer::sum);
                            d.imageTags.add(e.getKey(), tags, 1);
                        }
                    }
                } else {
                    c = new HostChanges(h, removedImages.getOrDefault(h.hostKey(), NONE),
                            addedImages.getOrDefault(h.hostKey(), List.of()).stream().mapToLong(Long::longValue).toArray(),
                            removedLayers.getOrDefault(h.hostKey(), NONE), addedLayers.getOrDefault(h.hostKey(), NONE));
                }
                d.hosts.add(c);
                d.move(c.host().hostKey(), c.removedImages(), -1, c.removedLayers());
                d.move(c.host().hostKey(), c.addedImages(), 1, c.addedLayers());
            }
            images.taggedMoves.forEach((image, n) -> d.taggedMoves.merge(image, n, Integer::sum));
            d.imageTags.addAll(images.tagMoves);
            d.taggedMoves.values().removeIf(n -> n == 0);
            d.layerHosts.values().removeIf(n -> n == 0);
            d.imageHosts.values().removeIf(n -> n == 0);
            return d;
        }

        private void move(int host, long[] images, int by, long[] layers) {
            for (long image : images) {
                imageHosts.merge(image, by, Integer::sum);
                this.images.add(host, image, by);
            }
            for (long layer : layers) {
                layerHosts.merge(layer, by, Integer::sum);
                this.layers.move(host, layer, by, layerSize.apply(layer));
            }
        }

        /** The image and layer rows of the change log ({@link #COPY_CHANGE_LOG}) of the hosts that record changes. */
        void writeChangeLog(Statements s) throws SQLException {
            if (hosts.stream().noneMatch(c -> c.host().recordChanges() && (c.removedImages().length > 0
                    || c.addedImages().length > 0 || c.removedLayers().length > 0 || c.addedLayers().length > 0))) {
                return;
            }
            s.copy(COPY_CHANGE_LOG, row -> {
                for (HostChanges c : hosts) {
                    if (!c.host().recordChanges()) {
                        continue;
                    }
                    row(row, c.host(), "removed", "image", c.removedImages());
                    row(row, c.host(), "added", "image", c.addedImages());
                    row(row, c.host(), "removed", "layer", c.removedLayers());
                    row(row, c.host(), "added", "layer", c.addedLayers());
                }
            });
        }

        private static void row(Statements.Row row, NewContents h, String change, String subject, long[] keys)
                throws SQLException {
            if (keys.length > 0) {
                row.value(h.hostKey()).value(h.generation()).value(Sql.iso(h.at())).value(change).value(subject)
                        .longs(keys).end();
            }
        }
    }

    /** The layers the merged hosts gain and lose: {@code (host_key, layer_key)} pairs, hosts and keys ascending. */
    private static final class LayerDiff {
        final KeyPairs added = new KeyPairs();
        final KeyPairs removed = new KeyPairs();
    }

    /** {@code (host_key, layer_key)} or {@code (host_key, image_key)} pairs bound as two arrays to {@code unnest(?, ?)}. */
    private static final class KeyPairs {
        private int[] hosts = new int[64];
        private long[] keys = new long[64];
        private int size;

        void add(int host, long key) {
            if (size == hosts.length) {
                hosts = Arrays.copyOf(hosts, size * 2);
                keys = Arrays.copyOf(keys, size * 2);
            }
            hosts[size] = host;
            keys[size++] = key;
        }

        int size() {
            return size;
        }

        /** The keys, in the order added. */
        long[] keys() {
            return Arrays.copyOf(keys, size);
        }

        void hostsInto(Set<Integer> out) {
            for (int i = 0; i < size; i++) {
                out.add(hosts[i]);
            }
        }

        /** The keys of each host, in the order added (a host's pairs are added together). */
        Map<Integer, long[]> byHost() {
            Map<Integer, long[]> out = new HashMap<>();
            int i = 0;
            while (i < size) {
                int j = i;
                while (j < size && hosts[j] == hosts[i]) {
                    j++;
                }
                out.put(hosts[i], Arrays.copyOfRange(keys, i, j));
                i = j;
            }
            return out;
        }

        /**
         * Runs {@code sql} with the pairs bound as its two arrays; it must write exactly one row of {@code table} per
         * pair (the comparison read the rows under this transaction's locks).
         *
         * @throws IllegalStateException when it wrote another number of rows
         */
        void execute(Statements s, String sql, String table) throws SQLException {
            Connection c = s.connection();
            Integer[] h = new Integer[size];
            Long[] k = new Long[size];
            for (int i = 0; i < size; i++) {
                h[i] = hosts[i];
                k[i] = keys[i];
            }
            try (PreparedStatement ps = s.prepare(sql)) {
                ps.setArray(1, c.createArrayOf("integer", h));
                ps.setArray(2, c.createArrayOf("bigint", k));
                int written = ps.executeUpdate();
                if (written != size) {
                    throw new IllegalStateException(table + ": " + written + " rows written for the " + size
                            + " the comparison with the stored rows found");
                }
            }
        }
    }

    /**
     * Reads what the merged hosts hold ({@link #HELD_LAYERS}, one statement) and compares it with what they sent, both
     * ascending: only the layers that differ are written. Staging every link of the batch and anti-joining it both ways
     * was most of a 10,000-host rescan (COPY of 11.8 million links, ANALYZE, and the two anti-joins: 154 of its 328 s
     * of statements, pg_stat_statements) for 1.6 million links that changed.
     */
    private static LayerDiff diffLayers(Statements s, List<NewContents> staged, java.sql.Array hostKeys) throws SQLException {
        Map<Integer, long[]> held = new HashMap<>();
        try (PreparedStatement ps = s.prepare(HELD_LAYERS)) {
            ps.setArray(1, hostKeys);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Long[] keys = (Long[]) rs.getArray(2).getArray();
                    long[] ks = new long[keys.length];
                    for (int i = 0; i < ks.length; i++) {
                        ks[i] = keys[i];
                    }
                    held.put(rs.getInt(1), ks);
                }
            }
        }
        LayerDiff diff = new LayerDiff();
        for (NewContents h : staged) {
            long[] now = h.layers();
            long[] before = held.getOrDefault(h.hostKey(), new long[0]);
            int i = 0;
            int j = 0;
            while (i < now.length || j < before.length) {
                if (j == before.length || (i < now.length && now[i] < before[j])) {
                    diff.added.add(h.hostKey(), now[i++]);
                } else if (i == now.length || before[j] < now[i]) {
                    diff.removed.add(h.hostKey(), before[j++]);
                } else {
                    i++;
                    j++;
                }
            }
        }
        return diff;
    }

    /**
     * A held image's host-own fields as {@code host_images} shows them (unknown counts and sizes as -1, the parent as
     * its ID's text): what is copied in and what the diff compares, one normalization for both.
     */
    record Held(List<String> repoTags, List<String> repoDigests, String parentId, int containers, long size,
                long sharedSize, long uniqueSize) {
        static Held of(ImageRecord r) {
            return new Held(r.repoTags(), r.repoDigests(), r.parent() == null ? null : r.parent().toString(),
                    Math.max(-1, r.containers()), Math.max(-1, r.size()), Math.max(-1, r.sharedSize()),
                    Math.max(-1, r.uniqueSize()));
        }

        TagSets.TagSet tagSet() {
            return new TagSets.TagSet(repoTags, repoDigests);
        }

        /** The fields in {@link #STORED_IMAGE_COLUMNS}' order, the set's key from {@code sets} ({@link TagSets#keys}). */
        Statements.Row write(Statements.Row row, Map<TagSets.TagSet, Integer> sets) {
            return row.value(TagSets.key(sets, tagSet())).value(parentId).value(containers).value(size)
                    .value(sharedSize).value(uniqueSize);
        }
    }

    /**
     * What the merged hosts' images do: rows that arrive or whose fields change (for {@code la_hi}), keys that leave,
     * tags gained and lost on kept images, each image's move of its tagged-host count and each (image, tag)'s move of
     * its host count.
     */
    private static final class ImageDiff {
        record Row(int host, long image, Held held) {
        }

        /** Kept images whose fields changed, and images that arrived: each host's in image key order. */
        final List<Row> changed = new ArrayList<>();
        final List<Row> added = new ArrayList<>();
        final KeyPairs removed = new KeyPairs();
        final Map<Long, Integer> taggedMoves = new TreeMap<>();
        final ImageTagMoves tagMoves = new ImageTagMoves();
        final List<Integer> tagHosts = new ArrayList<>();
        final List<Long> tagImages = new ArrayList<>();
        final List<String> tags = new ArrayList<>();
        final List<Integer> tagDeltas = new ArrayList<>();

        void tagged(long image, int n) {
            taggedMoves.merge(image, n, Integer::sum);
        }

        /** Each tag of {@code of} not in {@code other}, as a delta {@code d} (every occurrence, as SQL's {@code <> ALL}). */
        void tags(int host, long image, List<String> of, List<String> other, int d) {
            for (String t : of) {
                if (!other.contains(t)) {
                    tagHosts.add(host);
                    tagImages.add(image);
                    tags.add(t);
                    tagDeltas.add(d);
                }
            }
        }
    }

    /**
     * Reads the merged hosts' images ({@link #HELD_IMAGES}, one statement) and compares them with what the hosts sent:
     * only the rows that arrive or change are copied in, and the keys that leave are deleted. Copying every held image
     * of the batch to compare in SQL was 2.4 of the 15.8 s of statements of a 1,000-host rescan, and its ANALYZE
     * another 1.4 (pg_stat_statements, {@code bench --scale full --hosts 1000}).
     */
    private static ImageDiff diffImages(Statements s, List<NewContents> staged, java.sql.Array hostKeys) throws SQLException {
        Map<Integer, Map<Long, Held>> held = new HashMap<>();
        try (PreparedStatement ps = s.prepare(HELD_IMAGES)) {
            ps.setArray(1, hostKeys);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    held.computeIfAbsent(rs.getInt(1), k -> new HashMap<>()).put(rs.getLong(2), new Held(
                            texts(rs, 3), texts(rs, 4), rs.getString(5), rs.getInt(6), rs.getLong(7), rs.getLong(8),
                            rs.getLong(9)));
                }
            }
        }
        ImageDiff diff = new ImageDiff();
        for (NewContents h : staged) {
            int host = h.hostKey();
            Map<Long, Held> before = held.getOrDefault(host, Map.of());
            for (var e : new TreeMap<>(h.images()).entrySet()) {
                long image = e.getKey();
                Held now = Held.of(e.getValue());
                Held was = before.get(image);
                if (was == null) {
                    diff.added.add(new ImageDiff.Row(host, image, now));
                    if (!now.repoTags().isEmpty()) {
                        diff.tagged(image, 1);
                        diff.tagMoves.add(image, now.repoTags(), 1);
                    }
                } else if (!was.equals(now)) {
                    diff.changed.add(new ImageDiff.Row(host, image, now));
                    if (!was.repoTags().equals(now.repoTags())) {
                        diff.tags(host, image, now.repoTags(), was.repoTags(), 1);
                        diff.tags(host, image, was.repoTags(), now.repoTags(), -1);
                        if (was.repoTags().isEmpty() != now.repoTags().isEmpty()) {
                            diff.tagged(image, now.repoTags().isEmpty() ? -1 : 1);
                        }
                        // The tags kept cancel out (ImageTagMoves drops zero moves).
                        diff.tagMoves.add(image, now.repoTags(), 1);
                        diff.tagMoves.add(image, was.repoTags(), -1);
                    }
                }
            }
            for (var e : new TreeMap<>(before).entrySet()) {
                if (!h.images().containsKey(e.getKey())) {
                    diff.removed.add(host, e.getKey());
                    if (!e.getValue().repoTags().isEmpty()) {
                        diff.tagged(e.getKey(), -1);
                        diff.tagMoves.add(e.getKey(), e.getValue().repoTags(), -1);
                    }
                }
            }
        }
        diff.taggedMoves.values().removeIf(n -> n == 0);
        return diff;
    }

    private static List<String> texts(ResultSet rs, int column) throws SQLException {
        java.sql.Array a = rs.getArray(column);
        return a == null ? List.of() : Arrays.asList((String[]) a.getArray());
    }


}
