package io.layeratlas.db.query;

import javax.sql.DataSource;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The host aggregate: every agent with its liveness, and one host's images, layers and change log.
 * Retired hosts are left out. Thread-safe.
 */
public final class HostQuery {
    private final DataSource dataSource;
    private final Freshness.Policy policy;

    public HostQuery(DataSource dataSource, Freshness.Policy policy) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /**
     * A host in the list.
     *
     * @param storedBytes bytes of the distinct layers the host holds (what its disk holds, compression aside)
     * @param problems    scan problems its last snapshot reported
     */
    public record HostSummary(HostStatus status, long images, long layers, long storedBytes, int problems) {
    }

    /** How the host list can be ordered. */
    public enum Sort {
        HOST, HEARTBEAT, INVENTORY, VERSION, KIND, IMAGES, LAYERS, BYTES, STALE;

        /**
         * @throws QueryException.InvalidParameter for an unknown name
         */
        public static Sort parse(String name) {
            if (name == null || name.isBlank()) {
                return HOST;
            }
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new QueryException.InvalidParameter("unknown sort '" + Matches.shorten(name)
                        + "'; one of host, heartbeat, inventory, version, kind, images, layers, bytes, stale");
            }
        }
    }

    /** The host list with its freshness. */
    public record HostList(List<HostSummary> hosts, Freshness freshness) {
    }

    /** An image on the host with the sizes Docker's {@code docker system df -v} shows (bytes; -1 where unknown). */
    public record HostImage(String imageId, List<String> repoTags, List<String> repoDigests, Instant created, int containers,
                            long size, long sharedSize, long uniqueSize, Instant firstSeen, int hostCount) {
    }

    /** A layer on the host: since when, and on how many hosts of the fleet. Size in bytes, null if unknown. */
    public record HostLayer(String chainId, String diffId, Long size, Instant firstSeen, int hostCount) {
    }

    /** One line of the change log: an image or layer (by image ID or chain ID) added to or removed from the host. */
    public record Change(long generation, Instant at, String change, String subject, String digest) {
    }

    /**
     * One host.
     *
     * @param layersTruncated whether more than {@link #LAYER_LIMIT} layers exist (only the newest are listed)
     * @param problemsJson    the last snapshot's scan problems, as the agent sent them (JSON array text)
     */
    public record HostDetail(HostStatus status, List<HostImage> images, List<HostLayer> layers, boolean layersTruncated,
                             long layerCount, long storedBytes, List<Change> changes, String problemsJson,
                             Freshness freshness) {
    }

    /** Most layers listed on a host page. */
    public static final int LAYER_LIMIT = 2000;
    /** Most change-log lines listed on a host page. */
    public static final int CHANGE_LIMIT = 200;

    private static final String LIST = """
            SELECT %s,
                   (SELECT count(*) FROM host_images hi WHERE hi.host_key = h.host_key) AS images,
                   (SELECT count(*) FROM host_layers hl WHERE hl.host_key = h.host_key) AS layers,
                   (SELECT coalesce(sum(l.size), 0) FROM host_layers hl JOIN layers l ON l.layer_key = hl.layer_key
                     WHERE hl.host_key = h.host_key) AS stored,
                   jsonb_array_length(h.problems) AS problems
              FROM hosts h WHERE h.retired_at IS NULL ORDER BY h.host_id""".formatted(Sql.HOST_COLUMNS);

    private static final String ONE = """
            SELECT %s, h.problems::text AS problems_json,
                   (SELECT count(*) FROM host_layers hl WHERE hl.host_key = h.host_key) AS layers,
                   (SELECT coalesce(sum(l.size), 0) FROM host_layers hl JOIN layers l ON l.layer_key = hl.layer_key
                     WHERE hl.host_key = h.host_key) AS stored
              FROM hosts h WHERE h.host_id = ? AND h.retired_at IS NULL""".formatted(Sql.HOST_COLUMNS);

    private static final String IMAGES = """
            SELECT i.image_id, hi.repo_tags, hi.repo_digests, i.created, hi.containers, hi.size, hi.shared_size,
                   hi.unique_size, hi.first_seen, coalesce(u.host_count, 0) AS host_count
              FROM host_images hi JOIN images i ON i.image_key = hi.image_key
              LEFT JOIN image_usage u ON u.image_key = hi.image_key
             WHERE hi.host_key = ?
             ORDER BY cardinality(hi.repo_tags) = 0, i.created DESC NULLS LAST, i.image_id""";

    private static final String LAYERS = """
            SELECT l.chain_id, l.diff_id, l.size, hl.first_seen, coalesce(u.host_count, 0) AS host_count
              FROM host_layers hl JOIN layers l ON l.layer_key = hl.layer_key
              LEFT JOIN layer_usage u ON u.layer_key = hl.layer_key
             WHERE hl.host_key = ?
             ORDER BY hl.first_seen DESC, l.chain_id LIMIT ?""";

    // The change log keeps one row per generation, change and subject with the keys (V2 migration): one line per key,
    // newest first, in the order they were written.
    private static final String CHANGES = """
            SELECT c.generation, c.at, c.change, c.subject, COALESCE(i.image_id, l.chain_id) AS digest
              FROM host_changes c CROSS JOIN LATERAL unnest(c.keys) WITH ORDINALITY AS k(key, n)
              LEFT JOIN images i ON c.subject = 'image' AND i.image_key = k.key
              LEFT JOIN layers l ON c.subject = 'layer' AND l.layer_key = k.key
             WHERE c.host_key = ? ORDER BY c.change_id DESC, k.n LIMIT ?""";

    /**
     * Every host, ordered.
     *
     * @param descending reverse the order
     */
    public HostList list(Sort sort, boolean descending) {
        Objects.requireNonNull(sort, "sort");
        List<HostSummary> hosts = Sql.inSnapshot(dataSource, "host list", c -> Sql.list(c, LIST, rs -> new HostSummary(
                Sql.host(rs, policy), rs.getLong("images"), rs.getLong("layers"), rs.getLong("stored"), rs.getInt("problems"))));
        Comparator<HostSummary> order = switch (sort) {
            case HOST -> Comparator.comparing(h -> h.status().hostId());
            case HEARTBEAT -> Comparator.comparing(h -> h.status().lastHeartbeatAt(), Comparator.nullsFirst(Comparator.naturalOrder()));
            case INVENTORY -> Comparator.comparing(h -> h.status().lastInventoryAt(), Comparator.nullsFirst(Comparator.naturalOrder()));
            case VERSION -> Comparator.comparing(h -> h.status().agentVersion(), Comparator.nullsFirst(Comparator.naturalOrder()));
            case KIND -> Comparator.comparing(h -> h.status().sourceKind(), Comparator.nullsFirst(Comparator.naturalOrder()));
            case IMAGES -> Comparator.comparingLong(HostSummary::images);
            case LAYERS -> Comparator.comparingLong(HostSummary::layers);
            case BYTES -> Comparator.comparingLong(HostSummary::storedBytes);
            case STALE -> Comparator.comparing(h -> h.status().stale());
        };
        order = order.thenComparing(h -> h.status().hostId());
        List<HostSummary> sorted = hosts.stream().sorted(descending ? order.reversed() : order).toList();
        return new HostList(sorted, policy.of(hosts.stream().map(HostSummary::status).toList()));
    }

    /**
     * One host.
     *
     * @throws QueryException.NotFound for an unknown (or retired) host ID
     */
    public HostDetail detail(String hostId) {
        if (hostId == null || hostId.isBlank()) {
            throw new QueryException.InvalidParameter("a host ID is required");
        }
        return Sql.inSnapshot(dataSource, "host detail", c -> {
            record Row(long key, HostStatus status, String problems, long layers, long stored) {
            }
            List<Row> rows = Sql.list(c, ONE, rs -> new Row(rs.getLong("host_key"), Sql.host(rs, policy),
                    rs.getString("problems_json"), rs.getLong("layers"), rs.getLong("stored")), hostId);
            if (rows.isEmpty()) {
                throw new QueryException.NotFound("no host '" + Matches.shorten(hostId) + "' in the index");
            }
            Row h = rows.get(0);
            List<HostImage> images = Sql.list(c, IMAGES, rs -> new HostImage(rs.getString("image_id"),
                    Sql.strings(rs, "repo_tags"), Sql.strings(rs, "repo_digests"), Sql.instant(rs, "created"),
                    rs.getInt("containers"), rs.getLong("size"), rs.getLong("shared_size"), rs.getLong("unique_size"),
                    Sql.instant(rs, "first_seen"), rs.getInt("host_count")), h.key());
            List<HostLayer> layers = Sql.list(c, LAYERS, rs -> new HostLayer(rs.getString("chain_id"), rs.getString("diff_id"),
                    Sql.nullableLong(rs, "size"), Sql.instant(rs, "first_seen"), rs.getInt("host_count")), h.key(), LAYER_LIMIT);
            List<Change> changes = Sql.list(c, CHANGES, rs -> new Change(rs.getLong("generation"), Sql.instant(rs, "at"),
                    rs.getString("change"), rs.getString("subject"), rs.getString("digest")), h.key(), CHANGE_LIMIT);
            return new HostDetail(h.status(), images, layers, h.layers() > layers.size(), h.layers(), h.stored(), changes,
                    h.problems(), policy.of(List.of(h.status())));
        });
    }
}
