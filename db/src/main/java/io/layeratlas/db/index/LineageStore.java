package io.layeratlas.db.index;

import java.sql.SQLException;

/**
 * {@code image_parents} with source {@code 'inferred-base'}: an image's base is the longest other known image
 * whose chain IDs are a proper prefix of its own. Many images can share that stack (a classic builder's
 * untagged intermediates, a legacy host's pre-1.10 copies of a tagged image), so among equally long candidates
 * the base is one that carries a repo tag on some host that is not retired, and then the smallest image ID.
 * The answer is a function of the current state only (which stacks are known, which images are tagged where),
 * never of arrival order, so it is recomputed, in one statement at the end of each transaction that changed
 * either, for:
 * <ul>
 *   <li>every image whose stack the transaction wrote ({@code la_new_stack}), and every image whose stack extends
 *       one of those;</li>
 *   <li>every image whose stack extends an image whose "tagged on some host that is not retired" changed
 *       ({@code la_tag_flip}, kept by {@link HostContentsStore}).</li>
 * </ul>
 * Since a chain ID fixes every layer below it, "B's stack is a prefix of X's" is "X's layer at position |B|-1
 * is B's top layer" ({@code images.top_layer_key}, indexed). Docker's own parent ({@code 'docker-parent'}) is written by
 * {@link ImageStore#linkDockerParents}; both are kept.
 */
final class LineageStore {

    private static final String RECOMPUTE = """
            WITH changed AS (
                SELECT image_key FROM la_new_stack UNION SELECT image_key FROM la_tag_flip),
            extending AS (
                SELECT DISTINCT xl.image_key
                  FROM changed ch
                  JOIN images y ON y.image_key = ch.image_key
                  JOIN image_layers xl ON xl.layer_key = y.top_layer_key
                  JOIN images x ON x.image_key = xl.image_key AND x.layer_count > y.layer_count),
            affected AS (
                SELECT image_key FROM la_new_stack UNION SELECT image_key FROM extending),
            best AS (
                SELECT a.image_key AS child,
                       (SELECT b.image_key
                          FROM images x
                          JOIN image_layers xl ON xl.image_key = x.image_key AND xl.position < x.layer_count - 1
                          JOIN images b ON b.top_layer_key = xl.layer_key AND b.layer_count = xl.position + 1
                         WHERE x.image_key = a.image_key
                         ORDER BY xl.position DESC,
                                  %s DESC,
                                  b.image_id
                         LIMIT 1) AS base
                  FROM affected a),
            cleared AS (
                DELETE FROM image_parents p USING best
                 WHERE p.child_key = best.child AND p.source = 'inferred-base' AND best.base IS NULL)
            INSERT INTO image_parents (child_key, parent_key, source)
            SELECT child, base, 'inferred-base' FROM best WHERE base IS NOT NULL ORDER BY child
            ON CONFLICT (child_key, source) DO UPDATE SET parent_key = EXCLUDED.parent_key
             WHERE image_parents.parent_key <> EXCLUDED.parent_key
            """.formatted(Sql.taggedSomewhere("b.image_key"));

    private LineageStore() {
    }

    /**
     * Recomputes the inferred bases the transaction's changes may have moved. Call it once the transaction's
     * stacks, {@code host_images} and {@code hosts.retired_at} are final.
     */
    static void recompute(Statements s) throws SQLException {
        s.execute("ANALYZE la_new_stack, la_tag_flip");
        s.execute(RECOMPUTE);
    }
}
