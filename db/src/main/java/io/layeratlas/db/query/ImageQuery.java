package io.layeratlas.db.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The image aggregate: its {@code docker history}, config highlights, layer stack with each layer's reuse,
 * lineage, and the hosts holding it. Images are asked for by image ID or a unique hex prefix of 12+ characters.
 * Config fields follow the image-spec (config.md: {@code config.Entrypoint}, {@code Cmd}, {@code Env},
 * {@code Labels}, {@code WorkingDir}, {@code User}, {@code ExposedPorts}). Thread-safe.
 */
public final class ImageQuery {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final Freshness.Policy policy;

    public ImageQuery(DataSource dataSource, Freshness.Policy policy) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** One {@code docker history} row, oldest first (position 0). Size in bytes; empty layers have no diff ID. */
    public record HistoryEntry(int position, Instant created, String createdBy, String comment, boolean emptyLayer,
                               long size, String diffId) {
    }

    /** The parts of the image config an operator looks at; null or empty where the config has none. */
    public record ConfigHighlights(List<String> entrypoint, List<String> cmd, List<String> env, Map<String, String> labels,
                                   String workingDir, String user, List<String> exposedPorts, String os,
                                   String architecture, String variant, Instant created, String author) {
    }

    /** A layer of the stack, bottom first, with its reuse across the fleet. Size in bytes, null if unknown. */
    public record StackLayer(int position, String chainId, String diffId, Long size, int hostCount, int imageCount) {
    }

    /**
     * A related image: a parent, the base, or a child, listed once. {@code sources} says how it is related, sorted:
     * {@code docker-parent} (Docker's local parent), {@code inferred-base} (the base by layer prefix), or both
     * when they are the same image. {@code repoTags}: every tag hosts give it.
     */
    public record Relative(String imageId, List<String> sources, List<String> repoTags, Integer layerCount) {
    }

    /**
     * The image on one host: its tags and repo digests there, Docker's sizes (bytes, -1 if unknown), and the host's
     * containers that run it ({@code containerList}; {@code containers} is Docker's count, -1 when unknown).
     */
    public record OnHost(HostStatus host, List<String> repoTags, List<String> repoDigests, int containers, long size,
                         long sharedSize, long uniqueSize, Instant firstSeen, Instant lastSeen,
                         List<ContainerOnHost> containerList) {
        public OnHost {
            containerList = containerList == null ? List.of() : List.copyOf(containerList);
        }

        /** An image on a host, without its containers. */
        public OnHost(HostStatus host, List<String> repoTags, List<String> repoDigests, int containers, long size,
                      long sharedSize, long uniqueSize, Instant firstSeen, Instant lastSeen) {
            this(host, repoTags, repoDigests, containers, size, sharedSize, uniqueSize, firstSeen, lastSeen, List.of());
        }
    }

    /**
     * Everything about an image, with one page of the hosts holding it. {@code size} is bytes, the sum of its layers;
     * null until known.
     *
     * @param children     one page of the images built on it (Docker's children and images whose inferred base it is)
     * @param childrenPage where {@code children} sits in that list (total: every child)
     * @param repoTags  every tag the fleet gives it (retired hosts excluded)
     * @param hostCount every page's hosts
     * @param hostsPage where {@code hosts} sits in the list of its hosts (by host ID)
     * @param freshness of every live host of the fleet (with a label filter, of those carrying the labels): each one
     *                  answered "do you hold it?", and a stale host that did not hold it may hold it by now, as for a
     *                  layer's hosts ({@link LayerQuery})
     */
    public record ImageDetail(String imageId, Instant created, String os, String architecture, Integer layerCount, Long size,
                              boolean configKnown, ConfigHighlights config, List<HistoryEntry> history, List<StackLayer> layers,
                              List<Relative> parents, List<Relative> children, PageInfo childrenPage,
                              List<String> repoTags, List<OnHost> hosts,
                              int hostCount, PageInfo hostsPage, Freshness freshness) {
    }

    private static final String RESOLVE = """
            SELECT image_id FROM images WHERE image_id ~>=~ ? AND image_id ~<~ ? ORDER BY image_id LIMIT 21""";

    private static final String IMAGE = """
            SELECT image_key, image_id, config::text AS config, created, os, architecture, layer_count, size
              FROM images WHERE image_id = ?""";

    private static final String HISTORY = """
            SELECT position, created, created_by, comment, empty_layer, size FROM image_history
             WHERE image_key = ? ORDER BY position""";

    private static final String STACK = """
            SELECT il.position, l.chain_id, l.diff_id, l.size, coalesce(u.host_count, 0) AS host_count,
                   coalesce(u.image_count, 0) AS image_count
              FROM image_layers il JOIN layers l ON l.layer_key = il.layer_key
              LEFT JOIN layer_usage u ON u.layer_key = il.layer_key
             WHERE il.image_key = ? ORDER BY il.position""";

    // One row per related image, whether Docker's parent, the inferred base, or both.
    private static final String PARENTS = """
            SELECT i.image_id, array_agg(p.source ORDER BY p.source) AS sources, i.layer_count, %s AS tags
              FROM image_parents p JOIN images i ON i.image_key = p.parent_key
             WHERE p.child_key = ? GROUP BY i.image_key ORDER BY min(p.source), i.image_id""".formatted(Sql.fleetTags("i.image_key"));

    // Children, paged (a base image can have thousands): by how they are related, then image ID.
    private static final Keyset CHILDREN = new Keyset("""
            SELECT x.*, {keys} FROM (
                SELECT i.image_id, array_agg(p.source ORDER BY p.source) AS sources, i.layer_count, min(p.source) AS first_source,
                       %s AS tags
                  FROM image_parents p JOIN images i ON i.image_key = p.child_key
                 WHERE p.parent_key = ? GROUP BY i.image_key) x
             WHERE {keyset}
             {order}""".formatted(Sql.fleetTags("i.image_key")), List.of("x.first_source", "x.image_id"), List.of("text", "text"), false);

    private static final String CHILD_COUNT = "SELECT count(DISTINCT child_key) FROM image_parents WHERE parent_key = ?";

    // held_images, not the host_images view: through the view each probe also read the row's heap page (an index-only
    // probe of the table's primary key does not; LayerQuery.Uses.IDS).
    private static final String HOLDS = """
            EXISTS (SELECT 1 FROM held_images hi WHERE hi.host_key = h.host_key AND hi.image_key = ?)""";

    /** How many live hosts hold the image: its usage counter (retired hosts are not counted there either). */
    private static final String HOLDERS = "SELECT coalesce((SELECT host_count FROM image_usage WHERE image_key = ?), 0)";

    /** How many live hosts carrying the labels hold the image. */
    private static final String LABELLED_HOLDERS = "SELECT count(*) FROM hosts h WHERE h.retired_at IS NULL AND "
            + HOLDS + " AND " + Labels.FILTER;

    private static final Keyset HOSTS = new Keyset("""
            SELECT %s, hi.repo_tags, hi.repo_digests, hi.containers, hi.size AS hi_size, hi.shared_size, hi.unique_size,
                   hi.first_seen AS hi_first_seen, h.scanned_at AS hi_last_seen, %s AS container_list, {keys}
              FROM host_images hi JOIN hosts h ON h.host_key = hi.host_key
             WHERE hi.image_key = ? AND h.retired_at IS NULL AND %s AND {keyset}
             {order}""".formatted(Sql.HOST_COLUMNS,
            Containers.of("h.host_key", "(SELECT i.image_id FROM images i WHERE i.image_key = hi.image_key)"), Labels.FILTER),
            List.of("h.host_id"), List.of("text"), false);

    private static final String TAGS = "SELECT " + Sql.fleetTags("?") + " AS tags";

    /**
     * Resolves an image ID or unique prefix to the full image ID.
     *
     * @throws QueryException.InvalidParameter, QueryException.NotFound, QueryException.Ambiguous
     */
    public String resolve(String idOrPrefix) {
        Matches.DigestPrefix d = Matches.parseDigest(idOrPrefix);
        return Sql.inSnapshot(dataSource, "resolve image", c -> resolve(c, d));
    }

    private String resolve(Connection c, Matches.DigestPrefix d) throws SQLException {
        List<String> ids = Sql.list(c, RESOLVE, rs -> rs.getString(1), d.low(), d.high());
        if (ids.isEmpty()) {
            throw new QueryException.NotFound("no image has an ID " + (d.complete() ? "" : "starting with ") + d.text());
        }
        if (ids.size() > 1) {
            throw new QueryException.Ambiguous("several images start with " + d.text(), ids.stream().limit(Matches.LIMIT)
                    .map(id -> new Match(Match.Kind.IMAGE, "image ID", id, "")).toList());
        }
        return ids.get(0);
    }

    /**
     * Everything about an image.
     *
     * @throws QueryException.InvalidParameter, QueryException.NotFound, QueryException.Ambiguous as {@link #resolve}
     */
    public ImageDetail detail(String idOrPrefix, PageRequest hostsPage) {
        return detail(idOrPrefix, hostsPage, PageRequest.first(), Map.of());
    }

    /**
     * As {@link #detail(String, PageRequest)}, its hosts (list, count, freshness) only those carrying every label of
     * {@code labels} ({@link Labels}); the fleet-wide facts (tags, stack, lineage) stay the fleet's.
     */
    public ImageDetail detail(String idOrPrefix, PageRequest hostsPage, Map<String, String> labels) {
        return detail(idOrPrefix, hostsPage, PageRequest.first(), labels);
    }

    /**
     * Everything about an image, with one page of its hosts (only those carrying every label of {@code labels}) and one
     * of its children.
     *
     * @throws QueryException.InvalidParameter, QueryException.NotFound, QueryException.Ambiguous as {@link #resolve};
     *                                         InvalidParameter also for a cursor of another list
     */
    public ImageDetail detail(String idOrPrefix, PageRequest hostsPage, PageRequest childrenPage, Map<String, String> labels) {
        Matches.DigestPrefix d = Matches.parseDigest(idOrPrefix);
        String labelsJson = Labels.json(labels);
        return Sql.inSnapshot(dataSource, "image detail", c -> {
            String imageId = resolve(c, d);
            record Row(long key, String id, String config, Instant created, String os, String arch, Integer layerCount, Long size) {
            }
            Row img = Sql.list(c, IMAGE, rs -> new Row(rs.getLong("image_key"), rs.getString("image_id"), rs.getString("config"),
                    Sql.instant(rs, "created"), rs.getString("os"), rs.getString("architecture"),
                    (Integer) rs.getObject("layer_count"), Sql.nullableLong(rs, "size")), imageId).get(0);
            List<StackLayer> stack = Sql.list(c, STACK, rs -> new StackLayer(rs.getInt("position"), rs.getString("chain_id"),
                    rs.getString("diff_id"), Sql.nullableLong(rs, "size"), rs.getInt("host_count"), rs.getInt("image_count")), img.key());
            List<HistoryEntry> history = withDiffIds(Sql.list(c, HISTORY, rs -> new HistoryEntry(rs.getInt("position"),
                    Sql.instant(rs, "created"), rs.getString("created_by"), rs.getString("comment"), rs.getBoolean("empty_layer"),
                    rs.getLong("size"), null), img.key()), stack);
            List<Relative> parents = Sql.list(c, PARENTS, rs -> new Relative(rs.getString("image_id"), Sql.strings(rs, "sources"),
                    Sql.strings(rs, "tags"), (Integer) rs.getObject("layer_count")), img.key());
            long childCount = Sql.list(c, CHILD_COUNT, rs -> rs.getLong(1), img.key()).get(0);
            Page<Relative> children = CHILDREN.page(c, childrenPage, childCount, rs -> new Relative(rs.getString("image_id"),
                    Sql.strings(rs, "sources"), Sql.strings(rs, "tags"), (Integer) rs.getObject("layer_count")), img.key());
            boolean labelled = !Labels.none(labelsJson);
            Freshness freshness = labelled ? Sql.freshness(c, policy, Labels.FILTER, labelsJson) : Sql.freshness(c, policy, "TRUE");
            int holders = labelled ? Sql.list(c, LABELLED_HOLDERS, rs -> rs.getInt(1), img.key(), labelsJson).get(0)
                    : Sql.list(c, HOLDERS, rs -> rs.getInt(1), img.key()).get(0);
            Page<OnHost> hosts = HOSTS.page(c, hostsPage, holders, rs -> new OnHost(Sql.host(rs, policy),
                    Sql.strings(rs, "repo_tags"), Sql.strings(rs, "repo_digests"), rs.getInt("containers"),
                    rs.getLong("hi_size"), rs.getLong("shared_size"), rs.getLong("unique_size"),
                    Sql.instant(rs, "hi_first_seen"), Sql.instant(rs, "hi_last_seen"),
                    Containers.parse(rs.getString("container_list"))), img.key(), labelsJson);
            List<String> tags = Sql.list(c, TAGS, rs -> Sql.strings(rs, "tags"), img.key()).get(0);
            ConfigHighlights config = highlights(img.config(), img.os(), img.arch(), img.created());
            return new ImageDetail(img.id(), img.created(), img.os(), img.arch(), img.layerCount(), img.size(),
                    img.config() != null, config, history, stack, parents, children.items(), children.info(), tags,
                    hosts.items(), holders, hosts.info(), freshness);
        });
    }

    /** Non-empty history entries line up with the diff IDs in order (image-spec config.md, "history"). */
    private static List<HistoryEntry> withDiffIds(List<HistoryEntry> history, List<StackLayer> stack) {
        List<HistoryEntry> out = new ArrayList<>(history.size());
        int layer = 0;
        for (HistoryEntry h : history) {
            String diffId = null;
            if (!h.emptyLayer() && layer < stack.size()) {
                diffId = stack.get(layer++).diffId();
            }
            out.add(new HistoryEntry(h.position(), h.created(), h.createdBy(), h.comment(), h.emptyLayer(), h.size(), diffId));
        }
        return out;
    }

    private static ConfigHighlights highlights(String configText, String os, String arch, Instant created) {
        JsonNode root = JSON.nullNode();
        if (configText != null) {
            try {
                root = JSON.readTree(configText);
            } catch (IOException e) {
                throw new QueryException("stored image config is not JSON: " + e.getMessage(), e);
            }
        }
        JsonNode c = root.path("config");
        Map<String, String> labels = new LinkedHashMap<>();
        c.path("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        List<String> ports = new ArrayList<>();
        c.path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
        return new ConfigHighlights(texts(c.path("Entrypoint")), texts(c.path("Cmd")), texts(c.path("Env")), labels,
                text(c.path("WorkingDir")), text(c.path("User")), ports,
                os != null ? os : text(root.path("os")), arch != null ? arch : text(root.path("architecture")),
                text(root.path("variant")), created, text(root.path("author")));
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String text(JsonNode n) {
        return n.isMissingNode() || n.isNull() || n.asText().isEmpty() ? null : n.asText();
    }
}
