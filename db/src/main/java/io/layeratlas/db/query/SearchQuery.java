package io.layeratlas.db.query;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
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
     * What a search found.
     *
     * @param query   the question, trimmed
     * @param matches at least one; at most {@link Matches#LIMIT} per kind of match
     */
    public record SearchResult(String query, List<Match> matches) {
        public SearchResult {
            matches = List.copyOf(matches);
        }

        /** The single page to go to, if every match leads to the same one. */
        public java.util.Optional<Match> unique() {
            return matches.size() == 1 ? java.util.Optional.of(matches.get(0)) : java.util.Optional.empty();
        }
    }

    private static final String LAYER_DIGESTS = """
            (SELECT DISTINCT 'diff ID' AS what, diff_id AS key, diff_id AS label FROM layers
              WHERE diff_id ~>=~ ? AND diff_id ~<~ ? LIMIT 21)
            UNION ALL
            (SELECT DISTINCT 'chain ID', chain_id, chain_id FROM layers
              WHERE chain_id ~>=~ ? AND chain_id ~<~ ? LIMIT 21)
            UNION ALL
            (SELECT DISTINCT 'compressed digest', diff_id, compressed_digest FROM layer_blobs
              WHERE compressed_digest ~>=~ ? AND compressed_digest ~<~ ? LIMIT 21)
            UNION ALL
            (SELECT DISTINCT 'v1 layer ID', chain_id, v1_id FROM layers
              WHERE v1_id ~>=~ ? AND v1_id ~<~ ? LIMIT 21)""";

    private static final String IMAGE_IDS = """
            SELECT 'image ID' AS what, image_id AS key, image_id AS label FROM images
             WHERE image_id ~>=~ ? AND image_id ~<~ ? ORDER BY image_id LIMIT 21""";

    private static final String REPO_DIGEST = """
            SELECT DISTINCT 'repo digest' AS what, i.image_id AS key, d AS label
              FROM host_images hi JOIN images i ON i.image_key = hi.image_key, unnest(hi.repo_digests) d
             WHERE d = ? OR right(d, length(?) + 1) = '/' || ?
             ORDER BY 2 LIMIT 21""";

    private static final String HOSTS = """
            SELECT 'host ID' AS what, host_id AS key, host_id AS label FROM hosts
             WHERE retired_at IS NULL AND (host_id = ? OR starts_with(lower(host_id), lower(?)))
             ORDER BY host_id <> ?, host_id LIMIT 21""";

    private static final String TAGS = """
            SELECT DISTINCT 'repo tag' AS what, i.image_id AS key, t AS label
              FROM host_images hi JOIN images i ON i.image_key = hi.image_key, unnest(hi.repo_tags) t
             WHERE t = ? OR right(t, length(?) + 1) = '/' || ?
                OR starts_with(t, ? || ':') OR position('/' || ? || ':' IN t) > 0
             ORDER BY 2, 3 LIMIT 41""";

    private static final String PACKAGE_NAME = """
            SELECT 'package' AS what, name AS key, name AS label FROM packages WHERE name = ? LIMIT 1""";

    /**
     * Searches.
     *
     * @throws QueryException.InvalidParameter for an empty or overlong question, or a too-short hex prefix
     * @throws QueryException.NotFound         when nothing matches
     */
    public SearchResult search(String text) {
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
            return new SearchResult(q, List.of(new Match(Match.Kind.PACKAGE, "package version", spec, spec)));
        }
        List<Match> found = Sql.inSnapshot(dataSource, "search", c -> find(c, q));
        if (found.isEmpty()) {
            throw new QueryException.NotFound("nothing in the index matches '" + Matches.shorten(q) + "'");
        }
        return new SearchResult(q, found);
    }

    private List<Match> find(Connection c, String q) throws SQLException {
        int at = q.indexOf('@');
        if (at > 0 && Matches.looksLikeDigest(q.substring(at + 1))) {
            Matches.parseDigest(q.substring(at + 1)); // a clear 400 for a malformed digest part
            return images(Sql.list(c, REPO_DIGEST, rs -> match(Match.Kind.IMAGE, rs), q, q, q));
        }
        if (Matches.looksLikeDigest(q)) {
            Matches.DigestPrefix d = Matches.parseDigest(q);
            List<Match> out = new ArrayList<>(Sql.list(c, LAYER_DIGESTS, rs -> match(Match.Kind.LAYER, rs),
                    d.low(), d.high(), d.low(), d.high(), d.low(), d.high(), d.hex(), d.hex() + "g"));
            out.addAll(Sql.list(c, IMAGE_IDS, rs -> match(Match.Kind.IMAGE, rs), d.low(), d.high()));
            return Matches.distinct(out);
        }
        List<Match> out = new ArrayList<>(Sql.list(c, HOSTS, rs -> match(Match.Kind.HOST, rs), q, q, q));
        if (!out.isEmpty() && out.get(0).key().equals(q)) {
            return List.of(out.get(0));
        }
        out.addAll(images(Sql.list(c, TAGS, rs -> match(Match.Kind.IMAGE, rs), q, q, q, q, q)));
        out.addAll(Sql.list(c, PACKAGE_NAME, rs -> match(Match.Kind.PACKAGE, rs), q));
        return Matches.distinct(out);
    }

    /** One match per image, its labels (tags or digests) joined. */
    private static List<Match> images(List<Match> rows) {
        java.util.Map<String, List<String>> labels = new java.util.LinkedHashMap<>();
        java.util.Map<String, String> what = new java.util.HashMap<>();
        for (Match m : rows) {
            labels.computeIfAbsent(m.key(), k -> new ArrayList<>()).add(m.label());
            what.putIfAbsent(m.key(), m.what());
        }
        return labels.entrySet().stream()
                .map(e -> new Match(Match.Kind.IMAGE, what.get(e.getKey()), e.getKey(), String.join(", ", e.getValue())))
                .toList();
    }

    private static Match match(Match.Kind kind, java.sql.ResultSet rs) throws SQLException {
        return new Match(kind, rs.getString("what"), rs.getString("key"), rs.getString("label"));
    }
}
