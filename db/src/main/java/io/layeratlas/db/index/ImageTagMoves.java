package io.layeratlas.db.index;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Moves of {@code image_tags.host_count} (V13): {@code (image, tag) -> hosts that now carry the tag on the image minus
 * hosts that no longer do}, summed over a replacement's hosts; bound as three arrays (image keys ascending, each image's
 * tags in Java's string order, no zero moves) to {@link UsageStore#moveTags}. A host counts once per tag of an image,
 * however often its row repeats the tag. Not thread-safe.
 */
final class ImageTagMoves {
    private final Map<Long, Map<String, Integer>> moves = new TreeMap<>();

    /** A host's {@code host_images} row for {@code image} with {@code tags} arrived ({@code d = 1}) or left ({@code -1}). */
    void add(long image, List<String> tags, int d) {
        if (tags.isEmpty()) {
            return;
        }
        Map<String, Integer> m = moves.computeIfAbsent(image, k -> new TreeMap<>());
        for (String tag : tags.size() == 1 ? tags : new LinkedHashSet<>(tags)) {
            m.merge(tag, d, Integer::sum);
        }
    }

    /** Adds every move of {@code other}. */
    void addAll(ImageTagMoves other) {
        other.moves.forEach((image, m) -> {
            Map<String, Integer> mine = moves.computeIfAbsent(image, k -> new TreeMap<>());
            m.forEach((tag, n) -> mine.merge(tag, n, Integer::sum));
        });
    }

    /**
     * Runs {@code move} with {@code (image_key, tag, n)} as its three parameters, then {@code prune} with the same when
     * some move is negative; nothing when no move is left.
     */
    void execute(Statements s, String move, String prune) throws SQLException {
        List<Long> images = new ArrayList<>();
        List<String> tags = new ArrayList<>();
        List<Integer> ns = new ArrayList<>();
        moves.forEach((image, m) -> m.forEach((tag, n) -> {
            if (n != 0) {
                images.add(image);
                tags.add(tag);
                ns.add(n);
            }
        }));
        if (images.isEmpty()) {
            return;
        }
        java.sql.Array[] arrays = {Sql.longs(s.connection(), images), Sql.texts(s.connection(), tags),
                Sql.ints(s.connection(), ns)};
        boolean negative = ns.stream().anyMatch(n -> n < 0);
        for (String sql : negative ? List.of(move, prune) : List.of(move)) {
            try (PreparedStatement ps = s.prepare(sql)) {
                for (int i = 0; i < arrays.length; i++) {
                    ps.setArray(i + 1, arrays[i]);
                }
                ps.executeUpdate();
            }
        }
    }
}
