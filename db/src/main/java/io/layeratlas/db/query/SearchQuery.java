package io.layeratlas.db.query;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;

/**
 * The search box: one free-text question, every page it could lead to.
 *
 * <p>Understood, in this order:
 * <ul>
 *   <li>{@code repo@sha256:…}: a repo digest (images hosts pulled by that manifest digest);</li>
 *   <li>a digest or a hex prefix of at least 12 characters: diff ID, chain ID, compressed digest, image ID or
 *       v1 layer ID;</li>
 *   <li>a package question with an operator ({@code openssl<3.0.8}, {@code openssl>=1.1.1,<1.1.1w}; {@link PackageSpec}):
 *       the package page, whatever it finds;</li>
 *   <li>otherwise a host ID (exact, then case-insensitive prefix), a {@code repo:tag} (with or without the registry
 *       part), a bare repository name or a package name.</li>
 * </ul>
 * Thread-safe.
 */
public final class SearchQuery {
    private final DataSource dataSource;

    public SearchQuery(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** Longest accepted search text, in characters. */
    public static final int MAX_LENGTH = 512;

    /**
     * What a search found: one page of it.
     *
     * @param query   the question, trimmed
     * @param matches this page's matches, hosts or layers first, then images, each kind by key
     * @param page    where the page sits; {@code total} counts every match
     */
    public record SearchResult(String query, List<Match> matches, PageInfo page) {
        public SearchResult {
            matches = List.copyOf(matches);
        }

        /** The single page to go to, if the search found exactly one thing. */
        public java.util.Optional<Match> unique() {
            return page.total() == 1 && matches.size() == 1 ? java.util.Optional.of(matches.get(0)) : java.util.Optional.empty();
        }
    }

    // Every SQL below selects (kind, kind_order, what, key, label), one row per thing found: a layer by its diff or
    // chain ID (a diff ID wins for a bottom layer, whose chain ID is the same), an image with every label that matched
    // joined, a host. A page of them is read through MATCHES.

    private static final String LAYER_AND_IMAGE_DIGESTS = """
            SELECT DISTINCT ON (kind_order, key) kind, kind_order, what, key, label FROM (
                SELECT 'LAYER' AS kind, 0 AS kind_order, 0 AS what_order, 'diff ID' AS what, diff_id AS key, diff_id AS label
                  FROM layers WHERE diff_id ~>=~ ? AND diff_id ~<~ ?
                UNION ALL
                SELECT 'LAYER', 0, 1, 'chain ID', chain_id, chain_id FROM layers WHERE chain_id ~>=~ ? AND chain_id ~<~ ?
                UNION ALL
                SELECT 'LAYER', 0, 2, 'compressed digest', diff_id, compressed_digest FROM layer_blobs
                 WHERE compressed_digest ~>=~ ? AND compressed_digest ~<~ ?
                UNION ALL
                SELECT 'LAYER', 0, 3, 'v1 layer ID', chain_id, v1_id FROM layers WHERE v1_id ~>=~ ? AND v1_id ~<~ ?
                UNION ALL
                SELECT 'IMAGE', 1, 0, 'image ID', image_id, image_id FROM images WHERE image_id ~>=~ ? AND image_id ~<~ ?) m
             ORDER BY kind_order, key, what_order, label""";

    private static final String REPO_DIGEST = """
            SELECT 'IMAGE' AS kind, 1 AS kind_order, 'repo digest' AS what, key, string_agg(label, ', ' ORDER BY label) AS label
              FROM (SELECT DISTINCT i.image_id AS key, d AS label
                      FROM host_images hi JOIN images i ON i.image_key = hi.image_key, unnest(hi.repo_digests) d
                     WHERE d = ? OR right(d, length(?) + 1) = '/' || ?) m
             GROUP BY key""";

    private static final String EXACT_HOST = """
            SELECT host_id FROM hosts WHERE retired_at IS NULL AND host_id = ?""";

    // Tags are the fleet's tags of each image (image_tags, V13: one row per image and tag, where host_images has one per
    // holder and tag).
    private static final String HOSTS_AND_TAGS = """
            SELECT 'HOST' AS kind, 0 AS kind_order, 'host ID' AS what, host_id AS key, host_id AS label FROM hosts
             WHERE retired_at IS NULL AND (host_id = ? OR starts_with(lower(host_id), lower(?)))
            UNION ALL
            SELECT 'IMAGE', 1, 'repo tag', key, string_agg(label, ', ' ORDER BY label)
              FROM (SELECT i.image_id AS key, it.tag AS label
                      FROM image_tags it JOIN images i ON i.image_key = it.image_key
                     WHERE it.tag = ? OR right(it.tag, length(?) + 1) = '/' || ?
                        OR starts_with(it.tag, ? || ':') OR position('/' || ? || ':' IN it.tag) > 0) m
             GROUP BY key""";

    private static Keyset matches(String sql) {
        return new Keyset("SELECT x.*, {keys} FROM (" + sql + ") x WHERE {keyset} {order}",
                List.of("x.kind_order", "x.key"), List.of("integer", "text"), false);
    }

    private static final Keyset LAYER_AND_IMAGE_PAGE = matches(LAYER_AND_IMAGE_DIGESTS);
    private static final Keyset REPO_DIGEST_PAGE = matches(REPO_DIGEST);
    // A package name found as it is (its versions are asked with a package question: openssl<3.0.8).
    private static final String HOSTS_TAGS_AND_PACKAGES = HOSTS_AND_TAGS + """

            UNION ALL
            SELECT DISTINCT 'PACKAGE', 2, 'package', name, name FROM packages WHERE name = ?""";
    private static final Keyset HOSTS_TAGS_AND_PACKAGES_PAGE = matches(HOSTS_TAGS_AND_PACKAGES);

    /**
     * Searches; the first page of {@link PageRequest#DEFAULT_LIMIT} matches.
     *
     * @throws QueryException.InvalidParameter for an empty or overlong question, or a too-short hex prefix
     * @throws QueryException.NotFound         when nothing matches
     */
    public SearchResult search(String text) {
        return search(text, PageRequest.first());
    }

    /**
     * Searches; one page of the matches (keyset-paged by kind, then key), with their total.
     *
     * @throws QueryException.InvalidParameter for an empty or overlong question, a too-short hex prefix, or a cursor
     *                                         of another list
     * @throws QueryException.NotFound         when nothing matches
     */
    public SearchResult search(String text, PageRequest page) {
        if (text == null || text.isBlank()) {
            throw new QueryException.InvalidParameter("type a digest, image ID, repo:tag, host name or package (openssl<3.0.8)"
                    + " to search for");
        }
        String q = text.strip();
        if (q.length() > MAX_LENGTH) {
            throw new QueryException.InvalidParameter("search text longer than " + MAX_LENGTH + " characters");
        }
        if (PackageSpec.looksLikeOne(q)) {
            String spec = PackageSpec.parse(q).toString();
            return new SearchResult(q, List.of(new Match(Match.Kind.PACKAGE, "package version", spec, spec)),
                    new PageInfo(1, page.limit(), null, null));
        }
        Page<Match> found = Sql.inSnapshot(dataSource, "search", c -> find(c, q, page));
        if (found.info().total() == 0) {
            throw new QueryException.NotFound("nothing in the index matches '" + Matches.shorten(q) + "'");
        }
        return new SearchResult(q, found.items(), found.info());
    }

    private Page<Match> find(Connection c, String q, PageRequest page) throws SQLException {
        int at = q.indexOf('@');
        if (at > 0 && Matches.looksLikeDigest(q.substring(at + 1))) {
            Matches.parseDigest(q.substring(at + 1)); // a clear 400 for a malformed digest part
            return page(c, REPO_DIGEST, REPO_DIGEST_PAGE, page, q, q, q);
        }
        if (Matches.looksLikeDigest(q)) {
            Matches.DigestPrefix d = Matches.parseDigest(q);
            return page(c, LAYER_AND_IMAGE_DIGESTS, LAYER_AND_IMAGE_PAGE, page, d.low(), d.high(), d.low(), d.high(),
                    d.low(), d.high(), d.hex(), d.hex() + "g", d.low(), d.high());
        }
        List<String> exact = Sql.list(c, EXACT_HOST, rs -> rs.getString(1), q);
        if (!exact.isEmpty()) { // a host's exact name leads to that host alone
            return new Page<>(List.of(new Match(Match.Kind.HOST, "host ID", exact.get(0), exact.get(0))),
                    new PageInfo(1, page.limit(), null, null));
        }
        return page(c, HOSTS_TAGS_AND_PACKAGES, HOSTS_TAGS_AND_PACKAGES_PAGE, page, q, q, q, q, q, q, q, q);
    }

    private static Page<Match> page(Connection c, String all, Keyset keyset, PageRequest page, Object... params)
            throws SQLException {
        long total = Sql.list(c, "SELECT count(*) FROM (" + all + ") x", rs -> rs.getLong(1), params).get(0);
        return keyset.page(c, page, total, rs -> new Match(Match.Kind.valueOf(rs.getString("kind")), rs.getString("what"),
                rs.getString("key"), rs.getString("label")), params);
    }
}
