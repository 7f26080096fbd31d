package io.layeratlas.db.index;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The distinct sets of repo tags and repo digests that hosts hold images with ({@code tag_sets}, V20): each set is
 * stored once and a {@code held_images} row carries its key. {@link #keys} finds or adds the sets a batch writes, by
 * their fingerprint ({@code tag_set_fingerprint}, the one definition, in SQL), in three statements whatever the number
 * of sets. Keys are not remembered between transactions: a set read is one index probe, and a database restored under
 * the writer cannot leave it holding a key that names nothing.
 */
final class TagSets {

    /**
     * One host's repo tags and repo digests of an image, in the order the host reported them (Docker's
     * {@code RepoTags} and {@code RepoDigests}, as {@code host_images} shows them).
     */
    record TagSet(List<String> repoTags, List<String> repoDigests) {
        TagSet {
            repoTags = List.copyOf(repoTags);
            repoDigests = List.copyOf(repoDigests);
        }
    }

    /** The batch's sets, numbered; created once per connection ({@link HostContentsStore#TEMP_TABLES}), emptied at commit. */
    static final String TEMP_TABLE = """
            CREATE TEMP TABLE IF NOT EXISTS la_ts (n integer NOT NULL, repo_tags text[] NOT NULL,
                repo_digests text[] NOT NULL) ON COMMIT DELETE ROWS""";

    // The sets not stored yet, in fingerprint order: two batches adding sets at once insert them in the same order, so
    // neither waits for the other's second set while holding its first (no deadlock on the unique index). A set
    // another transaction adds meanwhile is left to it (DO NOTHING) and read by FIND, a later statement.
    private static final String ADD = """
            INSERT INTO tag_sets (repo_tags, repo_digests, fingerprint)
            SELECT s.repo_tags, s.repo_digests, s.f
              FROM (SELECT repo_tags, repo_digests, tag_set_fingerprint(repo_tags, repo_digests) AS f FROM la_ts) s
             WHERE NOT EXISTS (SELECT 1 FROM tag_sets t WHERE t.fingerprint = s.f)
             ORDER BY s.f
            ON CONFLICT (fingerprint) DO NOTHING""";

    private static final String FIND = """
            SELECT s.n, t.tag_set_key
              FROM la_ts s JOIN tag_sets t ON t.fingerprint = tag_set_fingerprint(s.repo_tags, s.repo_digests)""";

    private TagSets() {
    }

    /**
     * The key of each of {@code sets}, adding the ones not stored yet.
     *
     * @return set -> its {@code tag_set_key}; empty for no sets (no statement)
     * @throws IllegalStateException when a set is still not found after it was added (cannot happen while tag_sets
     *                               keeps every set: nothing deletes one)
     */
    static Map<TagSet, Integer> keys(Statements s, Collection<TagSet> sets) throws SQLException {
        List<TagSet> distinct = new ArrayList<>(new LinkedHashSet<>(sets));
        if (distinct.isEmpty()) {
            return Map.of();
        }
        s.copy("COPY la_ts (n, repo_tags, repo_digests) FROM STDIN", row -> {
            for (int i = 0; i < distinct.size(); i++) {
                TagSet t = distinct.get(i);
                row.value(i).texts(t.repoTags()).texts(t.repoDigests()).end();
            }
        });
        s.execute(ADD);
        Map<TagSet, Integer> keys = new HashMap<>(distinct.size() * 2);
        try (PreparedStatement ps = s.prepare(FIND); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                keys.put(distinct.get(rs.getInt(1)), rs.getInt(2));
            }
        }
        if (keys.size() != distinct.size()) {
            throw new IllegalStateException("tag_sets: " + (distinct.size() - keys.size()) + " of the "
                    + distinct.size() + " tag sets of the batch not found after adding them");
        }
        return keys;
    }

    /** The key of {@code set} in {@code keys}, which {@link #keys} returned for a collection holding it. */
    static int key(Map<TagSet, Integer> keys, TagSet set) {
        return Objects.requireNonNull(keys.get(set), () -> "no tag set key for " + set);
    }
}
