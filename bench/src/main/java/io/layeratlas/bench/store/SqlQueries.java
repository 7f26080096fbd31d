package io.layeratlas.bench.store;

import io.layeratlas.db.query.Freshness;
import io.layeratlas.db.query.HostQuery;
import io.layeratlas.db.query.LayerQuery;
import io.layeratlas.db.query.PackageQuery;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The bare indexed SQL behind each dashboard page the query benchmark requests: the baseline an HTTP round trip
 * through the dashboard is compared with. Each method reads the whole answer and returns how many rows it had.
 * Stateless; use one connection per thread.
 */
public final class SqlQueries {
    private SqlQueries() {
    }

    /**
     * Reports older than this are stale: the dashboard's default {@code --stale-after}, which the bench's dashboard
     * runs with, so that the baseline's freshness is the API's answer.
     */
    private static final Duration STALE_AFTER = Duration.ofMinutes(5);

    /**
     * Hosts holding a layer, what {@code /api/v1/layers/{digest}/hosts} answers (its compact shape), as the API's own
     * SQL ({@link LayerQuery#firstHostsPageRows}): the resolve, then one statement with the fleet's freshness, the
     * holders' count, the first page of 100 holders by host ID (walked or gathered, as the API chooses), each page
     * host's images containing the layer and its containers running one; rows received whole, no answer made.
     *
     * <p>Until 2026-12-05 this baseline was a statement of its own that sorted every holder by host ID to keep 100
     * (24,584 buffers a call at 10,000 hosts against 2,939-6,419 for the API's statement, pg_stat_statements of
     * bench/results/queries-10000-hosts-a4bb73b.json's run): the API looked as fast as "its SQL" because that SQL was
     * slower than the API's.
     *
     * @param layers a LayerQuery of the database {@code c} reads (its policy: the dashboard's default stale-after)
     * @return the page statement's rows
     */
    public static int hostsHoldingLayer(Connection c, LayerQuery layers, String chainId) throws SQLException {
        return layers.firstHostsPageRows(c, chainId);
    }

    /** A LayerQuery for {@link #hostsHoldingLayer} on {@code db}, with the dashboard's default freshness policy. */
    public static LayerQuery layers(javax.sql.DataSource db) {
        return new LayerQuery(db, new Freshness.Policy(Clock.systemUTC(), STALE_AFTER));
    }

    /**
     * Every host holding a layer, by host ID, with what the remediation export ({@code hosts.csv}, {@code hosts.json})
     * writes of each, read as bare SQL would best read it: five statements in one read-only repeatable-read snapshot,
     * each by index, every row received whole (no cursor). (1) The layer's images (image key, the layer's position and
     * chain key in it, image ID); (2) who holds which of them with which tag set (held_images by image, V20: host key,
     * image key, tag set key), the distinct set keys collected while counting; (3) those tag sets' repo tags and repo
     * digests, each once; (4) the containers running one of the images; (5) the live holders with what the export
     * shows of each (host ID, last heartbeat, last snapshot applied, scan time, agent version, source kind, labels)
     * and when each first held the layer, by host ID. Joining them (a host's images, tags and containers) is left
     * to the reader: the baseline is what PostgreSQL and the driver must do for the answer.
     *
     * <p>Until 2026-12-05 this baseline was one statement with a row per (host, image), the tags on each, sorted by
     * host ID: the shape the export itself had before V20 (1.9 s a call at 10,000 hosts, where the export's own
     * statements take ~110 ms), so the export's ratio against it stopped meaning "within reach of its SQL".
     *
     * @return the rows of the five statements
     */
    public static int allHostsHoldingLayer(Connection c, String chainId) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        int isolation = c.getTransactionIsolation();
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        c.setReadOnly(true);
        try {
            int n = 0;
            List<Long> layerKeys = new ArrayList<>();
            try (var ps = c.prepareStatement("SELECT l.layer_key FROM layers l WHERE l.chain_id = ?")) {
                ps.setString(1, chainId);
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        layerKeys.add(rs.getLong(1));
                    }
                }
            }
            Array keys = c.createArrayOf("bigint", layerKeys.toArray());
            List<Long> imageKeys = new ArrayList<>();
            List<String> imageIds = new ArrayList<>();
            try (var ps = c.prepareStatement("""
                    SELECT il.image_key, il.position, il.layer_key, i.image_id
                      FROM image_layers il JOIN images i ON i.image_key = il.image_key
                     WHERE il.layer_key = ANY (?)""")) {
                ps.setArray(1, keys);
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        imageKeys.add(rs.getLong(1));
                        imageIds.add(rs.getString(4));
                        n++;
                    }
                }
            }
            BitSet setKeys = new BitSet();
            try (var ps = c.prepareStatement("""
                    SELECT h.host_key, h.image_key, h.tag_set_key FROM held_images h WHERE h.image_key = ANY (?)""")) {
                ps.setArray(1, c.createArrayOf("bigint", imageKeys.toArray()));
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        setKeys.set(rs.getInt(3));
                        n++;
                    }
                }
            }
            try (var ps = c.prepareStatement("""
                    SELECT t.tag_set_key, t.repo_tags, t.repo_digests FROM tag_sets t WHERE t.tag_set_key = ANY (?)""")) {
                ps.setArray(1, c.createArrayOf("integer", setKeys.stream().boxed().toArray()));
                n += rows(ps);
            }
            try (var ps = c.prepareStatement("""
                    SELECT hc.host_key, hc.container_id, hc.name, hc.state, hc.created, hc.image_id, hc.image
                      FROM host_containers hc WHERE hc.image_id = ANY (?)""")) {
                ps.setArray(1, c.createArrayOf("text", imageIds.toArray()));
                n += rows(ps);
            }
            try (var ps = c.prepareStatement("""
                    SELECT h.host_id, h.last_heartbeat_at, h.snapshot_applied_at, h.scanned_at, h.agent_version,
                           h.source_kind, h.labels::text AS labels, x.first_seen
                      FROM (SELECT hl.host_key, min(hl.first_seen) AS first_seen FROM host_layers hl
                             WHERE hl.layer_key = ANY (?) GROUP BY hl.host_key) x
                      JOIN hosts h ON h.host_key = x.host_key
                     WHERE h.retired_at IS NULL
                     ORDER BY h.host_id""")) {
                ps.setArray(1, keys);
                n += rows(ps);
            }
            return n;
        } finally {
            c.rollback();
            c.setReadOnly(false);
            c.setTransactionIsolation(isolation);
            c.setAutoCommit(autoCommit);
        }
    }

    /** Every host holding a layer, by host ID: its ID and when it first held the layer alone (no images, no status). */
    public static int allHostIdsHoldingLayer(Connection c, String chainId) throws SQLException {
        return count(c, """
                SELECT h.host_id, hl.first_seen
                FROM layers l
                JOIN host_layers hl ON hl.layer_key = l.layer_key
                JOIN hosts h ON h.host_key = hl.host_key
                WHERE l.chain_id = ?
                ORDER BY h.host_id""", chainId);
    }

    /**
     * The layer page, what {@code /api/v1/layers/{digest}} answers (its compact shape): the layer's chain with its
     * counters, its blobs and how many images held by a host contain it; its first page of hosts, read as
     * {@link #hostsHoldingLayer} reads the hosts' page (the answer embeds that page); and the first 100 images held by a
     * host that contain it, most widely held first, each with the tags hosts gave it (image_tags).
     */
    public static int layerPage(Connection c, LayerQuery layers, String chainId) throws SQLException {
        return count(c, """
                SELECT l.chain_id, l.diff_id, l.parent_chain_id, l.size, l.v1_id, l.first_seen, u.host_count, u.image_count,
                       ARRAY(SELECT b.compressed_digest || ' ' || coalesce(b.media_type, '') || ' '
                                    || coalesce(b.source_repository, '')
                               FROM layer_blobs b WHERE b.diff_id = l.diff_id ORDER BY b.compressed_digest) AS blobs,
                       (SELECT count(*) FROM image_layers il JOIN image_usage iu ON iu.image_key = il.image_key
                         WHERE il.layer_key = l.layer_key AND iu.host_count > 0) AS images_total
                FROM layers l LEFT JOIN layer_usage u ON u.layer_key = l.layer_key
                WHERE l.chain_id = ?""", chainId)
                + hostsHoldingLayer(c, layers, chainId)
                + count(c, """
                SELECT i.image_id, il.position, i.created, iu.host_count,
                       ARRAY(SELECT ft.tag FROM image_tags ft WHERE ft.image_key = i.image_key ORDER BY ft.tag) AS tags
                FROM layers l
                JOIN image_layers il ON il.layer_key = l.layer_key
                JOIN images i ON i.image_key = il.image_key
                JOIN image_usage iu ON iu.image_key = i.image_key
                WHERE l.chain_id = ? AND iu.host_count > 0
                ORDER BY iu.host_count DESC, i.image_id, il.position
                LIMIT 100""", chainId);
    }

    /** The reuse page: the 50 most shared layers, with bytes that sharing saves. */
    public static int reusePage(Connection c) throws SQLException {
        return count(c, """
                SELECT l.chain_id, l.size, u.host_count, u.image_count, l.size * greatest(u.host_count - 1, 0) AS saved
                FROM layer_usage u JOIN layers l ON l.layer_key = u.layer_key
                ORDER BY u.host_count DESC
                LIMIT 50""", null);
    }

    /**
     * A host's page, what {@code /api/v1/hosts/{hostId}} answers with its first pages, as the API's own SQL
     * ({@link HostQuery#firstPageRows}): BEGIN, the header (status, labels, scan problems, totals, the change log's
     * length, containers, freshness) and the first page of the images {@code docker image ls} shows, of the layers and
     * of the change log, in one round trip, then COMMIT; rows received, no answer made.
     *
     * <p>Until 2026-12-06 this baseline was statements of its own, which the API's change log had left behind (it read
     * every line of the log and sorted them; the API reads the page's lines only).
     *
     * @param hosts a HostQuery of the database {@code c} reads (its policy: the dashboard's default stale-after)
     * @return rows received: the header's one (none for an unknown host) and each list's
     */
    public static int hostPage(Connection c, HostQuery hosts, String hostId) throws SQLException {
        return hosts.firstPageRows(c, hostId);
    }

    /** A HostQuery for {@link #hostPage} on {@code db}, with the dashboard's default freshness policy. */
    public static HostQuery hosts(javax.sql.DataSource db) {
        return new HostQuery(db, new Freshness.Policy(Clock.systemUTC(), STALE_AFTER));
    }

    /**
     * A package search ({@code openssl<3.0.8}), what {@code /api/v1/packages?q=} answers with its first pages, as the
     * API's own SQL ({@link PackageQuery#firstPageRows}): the versions, then the search's three round trips in one
     * transaction (the holders' set, the image counts, the fleet's freshness and the matched databases; the hosts page
     * and the images page, walked or gathered as the API chooses; the page hosts' images and the page images'
     * databases); rows received and decoded as the search decodes them, no answer made.
     *
     * <p>Until 2026-12-05 this baseline was statements of its own in one round trip after the versions (the old
     * count and images page shapes, the holders decoded in SQL): their plans flipped between runs of the same
     * questions (the count 36-5,217 buffers, the images page 277-11,077; bench/results/package-plan-small.txt) where
     * the API's did not, so the ratio compared unlike plans.
     *
     * @param packages a PackageQuery of the database {@code c} reads (its policy: the dashboard's default stale-after)
     * @return the images page's and the hosts page's rows (each page's rows and the one past it)
     */
    public static int packageSearch(Connection c, PackageQuery packages, String question) throws SQLException {
        return packages.firstPageRows(c, question);
    }

    /** A PackageQuery for {@link #packageSearch} on {@code db}, with the dashboard's default freshness policy. */
    public static PackageQuery packages(javax.sql.DataSource db) {
        return new PackageQuery(db, new Freshness.Policy(Clock.systemUTC(), STALE_AFTER));
    }

    private static int count(Connection c, String sql, Object param) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (param != null) {
                ps.setObject(1, param);
            }
            return rows(ps);
        }
    }

    /** Runs {@code ps}, statements sent together, and counts the rows of all their results (received whole). */
    private static int allRows(PreparedStatement ps) throws SQLException {
        int n = 0;
        boolean result = ps.execute();
        while (result) {
            try (ResultSet rs = ps.getResultSet()) {
                while (rs.next()) {
                    n++;
                }
            }
            result = ps.getMoreResults();
        }
        return n;
    }

    /** Runs {@code ps} and counts its rows (received whole, as with every baseline here, not decoded). */
    private static int rows(PreparedStatement ps) throws SQLException {
        int n = 0;
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                n++;
            }
        }
        return n;
    }
}
