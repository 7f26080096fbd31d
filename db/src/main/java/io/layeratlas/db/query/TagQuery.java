package io.layeratlas.db.query;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Images by name: a repository ({@code shop/api}) or a {@code repo:tag} ({@code shop/api:1.1}), with or without the
 * registry part ({@code 127.0.0.1:5055/shop/api:1.1}), as Docker's reference grammar writes them
 * (distribution {@code reference/reference.go}: the tag follows the last {@code :} after the last {@code /}).
 *
 * <p>The same tag can name different images on different hosts (a tag moved by a rebuild, a legacy host's migrated
 * image IDs): the answer groups the hosts by image ID, with each image's created time and host count. A repository
 * also matches images pulled by digest only ({@code repo@sha256:…}). Images with the same layers (the same diff IDs,
 * hence the same top chain ID and layer count) are "the same content" under different IDs, as a pre-1.10 image
 * migrated by Docker is to the original. Thread-safe.
 */
public final class TagQuery {
    /** Most hosts listed per image (the image page pages through all of them); counts are exact. */
    public static final int HOSTS_PER_IMAGE = 50;
    /** Most images in one answer. */
    public static final int IMAGE_LIMIT = 200;

    private final DataSource dataSource;
    private final Freshness.Policy policy;

    public TagQuery(DataSource dataSource, Freshness.Policy policy) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** A host holding the image under the name: its tags and repo digests there. */
    public record HostTag(HostStatus host, List<String> repoTags, List<String> repoDigests) {
    }

    /**
     * Another image with exactly the same layers (diff IDs), and the tags hosts give it. Only images tagged on some
     * live host are named: the classic builder's untagged intermediate images of metadata steps (ENV, CMD…) share
     * their image's layers and would only be noise.
     */
    public record SameContent(String imageId, Instant created, List<String> repoTags) {
    }

    /**
     * One image the name names.
     *
     * @param names       the matching tags (or, for a repository, tags and repo digests) hosts give it
     * @param hostCount   every host holding it under the name
     * @param hosts       the first {@link #HOSTS_PER_IMAGE} of them, by host ID
     * @param sameContent other images with the same diff IDs
     */
    public record NamedImage(String imageId, Instant created, List<String> names, int hostCount, List<HostTag> hosts,
                             List<SameContent> sameContent) {
    }

    /**
     * The answer.
     *
     * @param name       the name asked for, trimmed
     * @param repository whether it was a repository (no tag)
     * @param images     newest created first (unknown created last), then by image ID
     * @param hostCount  hosts holding any of them under the name
     */
    public record TagAnswer(String name, boolean repository, List<NamedImage> images, int hostCount, Freshness freshness) {
    }

    // A tag matches the name exactly or after a registry part ("…/shop/api:1.1"; in Java: namesTag); a repository
    // matches the part of a tag before its tag, or of a repo digest before its '@'.
    private static final String MATCH_TAG = "(t = ? OR right(t, length(?) + 1) = '/' || ?)";
    private static final String MATCH_REPO = """
            (r = ? OR right(r, length(?) + 1) = '/' || ?)""";
    private static final String NAMES = """
            ARRAY(SELECT t FROM (SELECT t, regexp_replace(t, ':[^:/]*$', '') FROM unnest(hi.repo_tags) t
                  UNION ALL SELECT d, split_part(d, '@', 1) FROM unnest(hi.repo_digests) d) x(t, r)
                  WHERE {match} ORDER BY t)""";

    private static final String ROWS = """
            SELECT * FROM (
                SELECT %s, i.image_key, i.image_id, i.created, i.layer_count, i.top_layer_key, x.names, hi.repo_tags, hi.repo_digests,
                       count(*) OVER (PARTITION BY i.image_key) AS host_count,
                       row_number() OVER (PARTITION BY i.image_key ORDER BY h.host_id) AS nth
                  FROM host_images hi JOIN hosts h ON h.host_key = hi.host_key JOIN images i ON i.image_key = hi.image_key
                  CROSS JOIN LATERAL (SELECT {names} AS names) x
                 WHERE h.retired_at IS NULL AND cardinality(x.names) > 0) y
             WHERE nth <= %d
             ORDER BY created DESC NULLS LAST, image_id, host_id""".formatted(Sql.HOST_COLUMNS, HOSTS_PER_IMAGE);

    private static final String SAME = """
            SELECT j.image_id, j.created, %s AS tags
              FROM images j
             WHERE j.top_layer_key = ? AND j.layer_count = ? AND j.image_key <> ?
               AND image_tagged_somewhere(j.image_key)
             ORDER BY j.created DESC NULLS LAST, j.image_id LIMIT 20""".formatted(Sql.fleetTags("j.image_key"));

    private static final String IMAGE_KEYS = "SELECT image_key, layer_count, top_layer_key FROM images WHERE image_id = ?";

    /**
     * Every image a repository or {@code repo:tag} names, with the hosts holding it under that name.
     *
     * @throws QueryException.InvalidParameter for a blank or overlong name
     * @throws QueryException.NotFound         when no host holds an image under the name
     */
    public TagAnswer byName(String name) {
        if (name == null || name.isBlank()) {
            throw new QueryException.InvalidParameter("a repository or repo:tag is required");
        }
        String q = name.strip();
        if (q.length() > SearchQuery.MAX_LENGTH) {
            throw new QueryException.InvalidParameter("name longer than " + SearchQuery.MAX_LENGTH + " characters");
        }
        boolean repository = isRepository(q);
        String names = NAMES.replace("{match}", repository ? MATCH_REPO : MATCH_TAG);
        String sql = ROWS.replace("{names}", names);
        String holds = "EXISTS (SELECT 1 FROM host_images hi WHERE hi.host_key = h.host_key AND cardinality(" + names + ") > 0)";
        return Sql.inSnapshot(dataSource, "images by name", c -> {
            record Row(long imageKey, String imageId, Instant created, Integer layerCount, Long topLayer, List<String> names,
                       HostTag host, int hostCount) {
            }
            List<Row> rows = Sql.list(c, sql, rs -> new Row(rs.getLong("image_key"), rs.getString("image_id"),
                    Sql.instant(rs, "created"), (Integer) rs.getObject("layer_count"), Sql.nullableLong(rs, "top_layer_key"),
                    Sql.strings(rs, "names"), new HostTag(Sql.host(rs, policy), Sql.strings(rs, "repo_tags"),
                    Sql.strings(rs, "repo_digests")), rs.getInt("host_count")), q, q, q);
            if (rows.isEmpty()) {
                throw new QueryException.NotFound("no host holds an image named '" + Matches.shorten(q) + "'");
            }
            Map<String, List<Row>> byImage = new LinkedHashMap<>();
            rows.forEach(r -> byImage.computeIfAbsent(r.imageId(), k -> new ArrayList<>()).add(r));
            List<NamedImage> images = new ArrayList<>();
            for (List<Row> group : byImage.values()) {
                if (images.size() == IMAGE_LIMIT) {
                    break;
                }
                Row first = group.get(0);
                List<String> named = group.stream().flatMap(r -> r.names().stream()).distinct().sorted().toList();
                images.add(new NamedImage(first.imageId(), first.created(), named, first.hostCount(),
                        group.stream().map(Row::host).toList(), same(c, first.imageKey(), first.layerCount(), first.topLayer())));
            }
            Freshness freshness = Sql.freshness(c, policy, holds, q, q, q);
            return new TagAnswer(q, repository, images, freshness.hostCount(), freshness);
        });
    }

    /**
     * Other images with the same layers as the image {@code imageId}; empty for an image without layers or unknown.
     */
    public List<SameContent> sameContent(String imageId) {
        return Sql.inSnapshot(dataSource, "same content", c -> {
            record Keys(long key, Integer layers, Long top) {
            }
            List<Keys> k = Sql.list(c, IMAGE_KEYS, rs -> new Keys(rs.getLong(1), (Integer) rs.getObject(2),
                    Sql.nullableLong(rs, "top_layer_key")), imageId);
            return k.isEmpty() ? List.of() : same(c, k.get(0).key(), k.get(0).layers(), k.get(0).top());
        });
    }

    private static List<SameContent> same(Connection c, long imageKey, Integer layerCount, Long topLayer) throws SQLException {
        if (layerCount == null || topLayer == null) {
            return List.of();
        }
        return Sql.list(c, SAME, rs -> new SameContent(rs.getString("image_id"), Sql.instant(rs, "created"),
                Sql.strings(rs, "tags")), topLayer, layerCount, imageKey);
    }

    /**
     * Whether a host's repo tag is the tag a user named: exactly, or after a registry part ({@code shop/api:1.1} names
     * {@code 127.0.0.1:5055/shop/api:1.1}). The same rule as the queries' SQL ({@code MATCH_TAG}), for clients that
     * filter an answer's hosts by tag.
     */
    public static boolean namesTag(String repoTag, String name) {
        return repoTag.equals(name) || (repoTag.endsWith(name) && repoTag.length() > name.length()
                && repoTag.charAt(repoTag.length() - name.length() - 1) == '/');
    }

    /** Whether a name is a repository (no tag): no {@code :} after its last {@code /}. */
    public static boolean isRepository(String name) {
        int slash = name.lastIndexOf('/');
        return name.indexOf(':', slash + 1) < 0;
    }

    /**
     * The one image a {@code repo:tag} names, for addresses that take an image ID or a tag
     * ({@code /api/v1/images/{ref}}).
     *
     * @throws QueryException.NotFound  when no host holds an image under the name
     * @throws QueryException.Ambiguous when the name names several images (each a candidate, labelled with its names)
     */
    public String resolveImage(String name) {
        TagAnswer answer = byName(name);
        if (answer.images().size() > 1) {
            throw new QueryException.Ambiguous("'" + Matches.shorten(answer.name()) + "' names " + answer.images().size()
                    + " different images", answer.images().stream().limit(Matches.LIMIT)
                    .map(i -> new Match(Match.Kind.IMAGE, "repo tag", i.imageId(), String.join(", ", i.names()))).toList());
        }
        return answer.images().get(0).imageId();
    }

    /** Whether an image address is a digest or hex prefix (else it is read as a name). */
    public static boolean isDigest(String ref) {
        return Matches.looksLikeDigest(ref);
    }
}
