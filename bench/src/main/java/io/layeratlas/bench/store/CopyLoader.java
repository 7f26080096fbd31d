package io.layeratlas.bench.store;

import io.layeratlas.bench.simulate.CatalogImage;
import io.layeratlas.bench.simulate.CatalogLayer;
import io.layeratlas.bench.simulate.FleetSimulator;
import io.layeratlas.bench.simulate.HostState;
import io.layeratlas.bench.simulate.ImageCatalog;
import io.layeratlas.db.index.BulkRecount;
import io.layeratlas.events.HistoryEntry;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.BufferedInputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The indexer benchmark's ceiling: the rows a simulated round leaves in the fleet model (hosts, layers, images,
 * image_layers, image_history, layer_blobs, held_images and tag_sets (V20), host_layers, layer_usage, image_usage,
 * image_tags), loaded with PostgreSQL's {@code COPY} through PgJDBC's {@link CopyManager}, and the hosts' totals
 * (V12) recounted by the indexer's own statement ({@link BulkRecount#hostTotals}), so the query benchmark reads what an
 * indexed database holds. The rows are rendered to files first (not timed), then copied (timed), so the figure is the
 * database's cost alone. A fresh load then gives each host the change log of its first snapshot, untimed
 * ({@link #copyChangeLog}); a rescan adds none.
 *
 * <p>{@link #loadFresh} fills an empty, migrated database in one transaction; surrogate keys are the rows' order
 * (identity columns of fresh tables start at 1), which is checked afterwards. {@link #rescan} applies a later round on
 * top of it as the set-based ideal of a rescan: COPY the new state into staging tables, then one INSERT … ON CONFLICT
 * DO NOTHING for what is new, one anti-join DELETE for what left, and the usage counters, image tags and host totals
 * recounted. Not thread-safe.
 */
public final class CopyLoader {
    private static final String GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    private final FleetSimulator simulator;
    private final ImageCatalog catalog;
    private final Path work;

    /**
     * What a load did.
     *
     * @param hostLayerLinks host_layers rows the round has (fresh: copied; rescan: the state merged in)
     * @param hostImageLinks host_images rows the round has
     * @param elapsed        wall time of the timed part
     */
    public record Load(long hostLayerLinks, long hostImageLinks, Duration elapsed) {
        public double linksPerSecond() {
            return hostLayerLinks / Math.max(1e-9, elapsed.toNanos() / 1e9);
        }
    }

    public CopyLoader(FleetSimulator simulator, Path work) {
        this.simulator = simulator;
        this.catalog = simulator.catalog();
        this.work = work;
    }

    /** Loads round {@code round} into an empty, migrated database. */
    public Load loadFresh(Connection c, int round) throws SQLException, IOException {
        Files.createDirectories(work);
        int hosts = simulator.spec().hosts();
        BitSet heldImages = new BitSet();
        int[] layerHosts = new int[catalog.layerCount()];
        int[] imageHosts = new int[catalog.imageCount()];
        for (int h = 0; h < hosts; h++) {
            HostState s = simulator.model().host(h, round);
            for (int i : s.images()) {
                heldImages.set(i);
                imageHosts[i]++;
            }
            for (int l : s.layers()) {
                layerHosts[l]++;
            }
        }
        BitSet knownLayers = new BitSet();
        int[] layerImages = new int[catalog.layerCount()];
        heldImages.stream().forEach(i -> {
            for (int l : catalog.image(i).layers()) {
                knownLayers.set(l);
                layerImages[l]++;
            }
        });
        int[] layerKey = keys(knownLayers, catalog.layerCount());
        int[] imageKey = keys(heldImages, catalog.imageCount());

        Map<String, Path> files = new LinkedHashMap<>();
        files.put("COPY hosts (host_id, source, source_kind, agent_version, generation, scanned_at, "
                + "snapshot_applied_at, last_heartbeat_at, heartbeat_interval_seconds) FROM STDIN", render("hosts", w -> {
            long heartbeatSeconds = FleetSimulator.HEARTBEAT_INTERVAL.toSeconds();
            for (int h = 0; h < hosts; h++) {
                String at = simulator.scannedAt(h, round).toString();
                row(w, simulator.model().hostId(h), "/var/lib/docker", "data-root", FleetSimulator.AGENT_VERSION,
                        Long.toString(round + 1L), at, at, at, Long.toString(heartbeatSeconds));
            }
        }));
        files.put("COPY layers (chain_id, diff_id, parent_chain_id, size) FROM STDIN", render("layers", w ->
                knownLayers.stream().forEach(l -> layerRow(w, catalog.layer(l)))));
        files.put("COPY images (image_id, config, created, os, architecture, layer_count, size) FROM STDIN",
                render("images", w -> heldImages.stream().forEach(i -> imageRow(w, catalog.image(i)))));
        files.put("COPY image_layers (image_key, position, layer_key) FROM STDIN", render("image_layers", w ->
                heldImages.stream().forEach(i -> {
                    int[] ls = catalog.image(i).layers();
                    for (int p = 0; p < ls.length; p++) {
                        row(w, Integer.toString(imageKey[i]), Integer.toString(p), Integer.toString(layerKey[ls[p]]));
                    }
                })));
        files.put("COPY image_history (image_key, position, created, created_by, comment, empty_layer, size) FROM STDIN",
                render("image_history", w -> heldImages.stream().forEach(i -> {
                    List<HistoryEntry> hs = catalog.image(i).record().history();
                    for (int p = 0; p < hs.size(); p++) {
                        HistoryEntry e = hs.get(p);
                        row(w, Integer.toString(imageKey[i]), Integer.toString(p), String.valueOf(e.created()),
                                e.createdBy(), e.comment(), Boolean.toString(e.emptyLayer()), Long.toString(e.size()));
                    }
                })));
        files.put("COPY layer_blobs (diff_id, compressed_digest, media_type) FROM STDIN", render("layer_blobs", w -> {
            Set<String> seen = new HashSet<>();
            knownLayers.stream().forEach(l -> {
                CatalogLayer layer = catalog.layer(l);
                if (seen.add(layer.diffId().toString())) {
                    row(w, layer.diffId().toString(), layer.blobDigest().toString(), GZIP);
                }
            });
        }));
        long[] links = new long[2];
        // Every holder of a simulated image holds it with the same tags and digests (its repo tag and repo digest): one
        // tag set (V20) per held image, numbered as the images are; TAG_SETS adds them with their fingerprints.
        files.put("COPY stage_tag_sets (tag_set_key, repo_tags, repo_digests) FROM STDIN", render("stage_tag_sets", w ->
                heldImages.stream().forEach(i -> row(w, Integer.toString(imageKey[i]),
                        "{\"" + catalog.image(i).reference() + "\"}", "{\"" + catalog.image(i).repoDigest() + "\"}"))));
        files.put("COPY held_images (host_key, image_key, tag_set_key, size) FROM STDIN",
                render("held_images", w -> {
                    for (int h = 0; h < hosts; h++) {
                        for (int i : simulator.model().host(h, round).images()) {
                            CatalogImage img = catalog.image(i);
                            row(w, Integer.toString(h + 1), Integer.toString(imageKey[i]), Integer.toString(imageKey[i]),
                                    Long.toString(img.record().size()));
                            links[1]++;
                        }
                    }
                }));
        files.put("COPY host_layers (host_key, layer_key) FROM STDIN", render("host_layers", w -> {
            for (int h = 0; h < hosts; h++) {
                for (int l : simulator.model().host(h, round).layers()) {
                    row(w, Integer.toString(h + 1), Integer.toString(layerKey[l]));
                    links[0]++;
                }
            }
        }));
        files.put("COPY layer_usage (layer_key, host_count, image_count) FROM STDIN", render("layer_usage", w ->
                knownLayers.stream().forEach(l -> row(w, Integer.toString(layerKey[l]), Integer.toString(layerHosts[l]),
                        Integer.toString(layerImages[l])))));
        // Every simulated host_images row carries its image's repo tag: each holder counts as tagging it.
        files.put("COPY image_usage (image_key, host_count, tagged_host_count) FROM STDIN", render("image_usage", w ->
                heldImages.stream().forEach(i -> row(w, Integer.toString(imageKey[i]), Integer.toString(imageHosts[i]),
                        Integer.toString(imageHosts[i])))));
        // The fleet's tags of each image (V13): its one repo tag, on every holder.
        files.put("COPY image_tags (image_key, tag, host_count) FROM STDIN", render("image_tags", w ->
                heldImages.stream().forEach(i -> row(w, Integer.toString(imageKey[i]), catalog.image(i).reference(),
                        Integer.toString(imageHosts[i])))));

        long t0 = System.nanoTime();
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TEMP TABLE stage_tag_sets (tag_set_key integer, repo_tags text[], repo_digests text[]) "
                    + "ON COMMIT DROP");
        }
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        for (Map.Entry<String, Path> e : files.entrySet()) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(e.getValue()), 1 << 16)) {
                copy.copyIn(e.getKey(), in);
            }
        }
        try (Statement s = c.createStatement()) {
            s.execute(TAG_SETS);
        }
        BulkRecount.hostTotals(c);
        c.commit();
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        c.setAutoCommit(auto);
        checkKeys(c, "hosts", "host_key", hosts);
        checkKeys(c, "layers", "layer_key", knownLayers.cardinality());
        checkKeys(c, "images", "image_key", heldImages.cardinality());
        checkKeys(c, "tag_sets", "tag_set_key", heldImages.cardinality());
        for (Path p : files.values()) {
            Files.deleteIfExists(p);
        }
        copyChangeLog(c, round, imageKey, layerKey);
        return new Load(links[0], links[1], elapsed);
    }

    /**
     * The change log the indexer writes for each host's first snapshot: its images, then its layers, as added, keys
     * ascending (one row each, as {@code HostContentsStore}'s change log does), so that the host page reads a log as it
     * does on an indexed fleet. It is copied after the timed load and is not part of the COPY figure: that figure stays
     * comparable with the runs before 2026-12-06, and it leaves out work the indexer does, never adds any.
     */
    private void copyChangeLog(Connection c, int round, int[] imageKey, int[] layerKey) throws SQLException, IOException {
        int hosts = simulator.spec().hosts();
        Path file = render("host_changes", w -> {
            for (int h = 0; h < hosts; h++) {
                HostState s = simulator.model().host(h, round);
                String at = simulator.scannedAt(h, round).toString();
                String generation = Long.toString(round + 1L);
                row(w, Integer.toString(h + 1), generation, at, "added", "image", keyArray(s.images(), imageKey));
                row(w, Integer.toString(h + 1), generation, at, "added", "layer", keyArray(s.layers(), layerKey));
            }
        });
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            c.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY host_changes (host_key, generation, at, change, subject, keys) FROM STDIN", in);
        }
        Files.deleteIfExists(file);
    }

    /** The surrogate keys of catalog entries, ascending, as a PostgreSQL array literal. */
    private static String keyArray(int[] entries, int[] keyOf) {
        return Arrays.stream(entries).map(e -> keyOf[e]).sorted().mapToObj(Integer::toString)
                .collect(Collectors.joining(",", "{", "}"));
    }

    /** The fresh load's tag sets, keys in their staged order (a fresh table's identity starts at 1; checked). */
    private static final String TAG_SETS = "INSERT INTO tag_sets (repo_tags, repo_digests, fingerprint) "
            + "SELECT repo_tags, repo_digests, tag_set_fingerprint(repo_tags, repo_digests) FROM stage_tag_sets ORDER BY tag_set_key";

    /** Applies round {@code round} on top of the database {@link #loadFresh} filled with round {@code round - 1}. */
    public Load rescan(Connection c, int round) throws SQLException, IOException {
        int hosts = simulator.spec().hosts();
        BitSet before = new BitSet();
        BitSet now = new BitSet();
        for (int h = 0; h < hosts; h++) {
            for (int i : simulator.model().host(h, round - 1).images()) {
                before.set(i);
            }
            for (int i : simulator.model().host(h, round).images()) {
                now.set(i);
            }
        }
        BitSet newImages = (BitSet) now.clone();
        newImages.andNot(before);
        BitSet oldLayers = new BitSet();
        before.stream().forEach(i -> {
            for (int l : catalog.image(i).layers()) {
                oldLayers.set(l);
            }
        });
        BitSet newLayers = new BitSet();
        newImages.stream().forEach(i -> {
            for (int l : catalog.image(i).layers()) {
                if (!oldLayers.get(l)) {
                    newLayers.set(l);
                }
            }
        });
        Map<String, Path> files = new LinkedHashMap<>();
        files.put("COPY stage_layers FROM STDIN", render("stage_layers", w ->
                newLayers.stream().forEach(l -> layerRow(w, catalog.layer(l)))));
        files.put("COPY stage_images FROM STDIN", render("stage_images", w ->
                newImages.stream().forEach(i -> imageRow(w, catalog.image(i)))));
        files.put("COPY stage_image_layers FROM STDIN", render("stage_image_layers", w ->
                newImages.stream().forEach(i -> {
                    CatalogImage img = catalog.image(i);
                    for (int p = 0; p < img.layers().length; p++) {
                        row(w, img.id().toString(), Integer.toString(p), catalog.layer(img.layers()[p]).chainId().toString());
                    }
                })));
        long[] links = new long[2];
        files.put("COPY stage_host_images FROM STDIN", render("stage_host_images", w -> {
            for (int h = 0; h < hosts; h++) {
                for (int i : simulator.model().host(h, round).images()) {
                    CatalogImage img = catalog.image(i);
                    row(w, Integer.toString(h + 1), img.id().toString(), "{\"" + img.reference() + "\"}",
                            "{\"" + img.repoDigest() + "\"}", Long.toString(img.record().size()));
                    links[1]++;
                }
            }
        }));
        files.put("COPY stage_host_layers FROM STDIN", render("stage_host_layers", w -> {
            for (int h = 0; h < hosts; h++) {
                for (int l : simulator.model().host(h, round).layers()) {
                    row(w, Integer.toString(h + 1), catalog.layer(l).chainId().toString());
                    links[0]++;
                }
            }
        }));

        long t0 = System.nanoTime();
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            // Room for the hash anti-join of the whole fleet in memory, as a bulk job would be given.
            s.execute("SET LOCAL work_mem = '256MB'");
            s.execute("CREATE TEMP TABLE stage_layers (chain_id text, diff_id text, parent_chain_id text, size bigint) ON COMMIT DROP");
            s.execute("CREATE TEMP TABLE stage_images (image_id text, config jsonb, created timestamptz, os text, "
                    + "architecture text, layer_count integer, size bigint) ON COMMIT DROP");
            s.execute("CREATE TEMP TABLE stage_image_layers (image_id text, position integer, chain_id text) ON COMMIT DROP");
            s.execute("CREATE TEMP TABLE stage_host_images (host_key integer, image_id text, repo_tags text[], "
                    + "repo_digests text[], size bigint) ON COMMIT DROP");
            s.execute("CREATE TEMP TABLE stage_host_layers (host_key integer, chain_id text) ON COMMIT DROP");
        }
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        for (Map.Entry<String, Path> e : files.entrySet()) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(e.getValue()), 1 << 16)) {
                copy.copyIn(e.getKey(), in);
            }
        }
        try (Statement s = c.createStatement()) {
            for (String sql : RESCAN_SQL) {
                s.execute(sql);
            }
            try (var ps = c.prepareStatement("UPDATE hosts SET generation = ?, snapshot_applied_at = now()")) {
                ps.setLong(1, round + 1L);
                ps.executeUpdate();
            }
        }
        BulkRecount.imageTags(c);
        BulkRecount.hostTotals(c);
        c.commit();
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        c.setAutoCommit(auto);
        for (Path p : files.values()) {
            Files.deleteIfExists(p);
        }
        return new Load(links[0], links[1], elapsed);
    }

    private static final List<String> RESCAN_SQL = List.of(
            "INSERT INTO layers (chain_id, diff_id, parent_chain_id, size) SELECT * FROM stage_layers ON CONFLICT (chain_id) DO NOTHING",
            "INSERT INTO images (image_id, config, created, os, architecture, layer_count, size) SELECT * FROM stage_images "
                    + "ON CONFLICT (image_id) DO NOTHING",
            "INSERT INTO image_layers (image_key, position, layer_key) SELECT i.image_key, s.position, l.layer_key "
                    + "FROM stage_image_layers s JOIN images i USING (image_id) JOIN layers l USING (chain_id) ON CONFLICT DO NOTHING",
            "CREATE TEMP TABLE new_host_layers ON COMMIT DROP AS SELECT s.host_key, l.layer_key "
                    + "FROM stage_host_layers s JOIN layers l USING (chain_id)",
            "DELETE FROM host_layers hl WHERE NOT EXISTS (SELECT 1 FROM new_host_layers n "
                    + "WHERE n.host_key = hl.host_key AND n.layer_key = hl.layer_key)",
            "INSERT INTO host_layers (host_key, layer_key) SELECT host_key, layer_key FROM new_host_layers ON CONFLICT DO NOTHING",
            // The round's distinct tag sets, each fingerprinted once (V20), added when new.
            "CREATE TEMP TABLE stage_sets ON COMMIT DROP AS SELECT d.repo_tags, d.repo_digests, "
                    + "tag_set_fingerprint(d.repo_tags, d.repo_digests) AS f "
                    + "FROM (SELECT DISTINCT repo_tags, repo_digests FROM stage_host_images) d",
            "INSERT INTO tag_sets (repo_tags, repo_digests, fingerprint) SELECT repo_tags, repo_digests, f FROM stage_sets "
                    + "ORDER BY f ON CONFLICT (fingerprint) DO NOTHING",
            "CREATE TEMP TABLE new_host_images ON COMMIT DROP AS SELECT s.host_key, i.image_key, t.tag_set_key, s.size "
                    + "FROM stage_host_images s JOIN images i USING (image_id) "
                    + "JOIN stage_sets ss ON ss.repo_tags = s.repo_tags AND ss.repo_digests = s.repo_digests "
                    + "JOIN tag_sets t ON t.fingerprint = ss.f",
            "DELETE FROM held_images hi WHERE NOT EXISTS (SELECT 1 FROM new_host_images n "
                    + "WHERE n.host_key = hi.host_key AND n.image_key = hi.image_key)",
            "INSERT INTO held_images (host_key, image_key, tag_set_key, size) "
                    + "SELECT host_key, image_key, tag_set_key, size FROM new_host_images ON CONFLICT DO NOTHING",
            "INSERT INTO layer_usage (layer_key, host_count) SELECT layer_key, count(*) FROM host_layers GROUP BY layer_key "
                    + "ON CONFLICT (layer_key) DO UPDATE SET host_count = excluded.host_count",
            "UPDATE layer_usage u SET host_count = 0 WHERE host_count > 0 "
                    + "AND NOT EXISTS (SELECT 1 FROM host_layers hl WHERE hl.layer_key = u.layer_key)",
            "INSERT INTO image_usage (image_key, host_count, tagged_host_count) SELECT image_key, count(*), "
                    + "count(*) FILTER (WHERE repo_tags <> '{}') FROM host_images GROUP BY image_key "
                    + "ON CONFLICT (image_key) DO UPDATE SET host_count = excluded.host_count, "
                    + "tagged_host_count = excluded.tagged_host_count");

    private static int[] keys(BitSet present, int size) {
        int[] key = new int[size];
        int k = 0;
        for (int i = present.nextSetBit(0); i >= 0; i = present.nextSetBit(i + 1)) {
            key[i] = ++k;
        }
        return key;
    }

    private static void checkKeys(Connection c, String table, String key, long expected) throws SQLException {
        // Table and column names are constants of this class, never input.
        try (Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT count(*), coalesce(min(" + key + "), 1), coalesce(max(" + key + "), 0) FROM " + table)) {
            rs.next();
            if (rs.getLong(1) != expected || rs.getLong(2) != 1 || rs.getLong(3) != expected) {
                throw new IllegalStateException(table + ": expected keys 1.." + expected + " in a fresh database, found "
                        + rs.getLong(1) + " rows, keys " + rs.getLong(2) + ".." + rs.getLong(3));
            }
        }
    }

    private void layerRow(Writer w, CatalogLayer layer) {
        row(w, layer.chainId().toString(), layer.diffId().toString(),
                layer.parent() < 0 ? null : catalog.layer(layer.parent()).chainId().toString(), Long.toString(layer.size()));
    }

    private static void imageRow(Writer w, CatalogImage img) {
        row(w, img.id().toString(), img.config(), img.record().created().toString(), "linux", "amd64",
                Integer.toString(img.layers().length), Long.toString(img.record().size()));
    }

    @FunctionalInterface
    private interface Rows {
        void write(Writer w) throws IOException;
    }

    private Path render(String name, Rows rows) throws IOException {
        Path file = work.resolve(name + ".copy");
        try (Writer w = new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 1 << 16)) {
            rows.write(w);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return file;
    }

    /** One row of COPY's text format: tab-separated, {@code \N} for null, backslash escapes. */
    private static void row(Writer w, String... fields) {
        try {
            for (int i = 0; i < fields.length; i++) {
                if (i > 0) {
                    w.write('\t');
                }
                String f = fields[i];
                if (f == null) {
                    w.write("\\N");
                    continue;
                }
                for (int j = 0; j < f.length(); j++) {
                    char ch = f.charAt(j);
                    switch (ch) {
                        case '\\' -> w.write("\\\\");
                        case '\t' -> w.write("\\t");
                        case '\n' -> w.write("\\n");
                        case '\r' -> w.write("\\r");
                        default -> w.write(ch);
                    }
                }
            }
            w.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
