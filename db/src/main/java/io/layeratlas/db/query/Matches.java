package io.layeratlas.db.query;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** Parsing of digest questions: a full {@code sha256:<hex>} or a unique hex prefix of at least 12 characters. */
public final class Matches {
    /** Most candidates listed for an ambiguous prefix. */
    public static final int LIMIT = 20;
    /** Shortest accepted prefix, in hex characters: Docker's short ID length. */
    public static final int MIN_PREFIX = 12;

    private static final Pattern HEX = Pattern.compile("[0-9a-f]+");

    private Matches() {
    }

    /**
     * A digest or digest prefix.
     *
     * @param algorithm {@code sha256} or {@code sha512}
     * @param hex       lower-case hex, {@value #MIN_PREFIX} characters or more
     * @param complete  whether {@code hex} is the whole digest
     */
    public record DigestPrefix(String algorithm, String hex, boolean complete) {
        /** {@code algorithm:hex}: the full digest, or the prefix of one. */
        public String text() {
            return algorithm + ":" + hex;
        }

        /** Lower bound (inclusive) of the digests with this prefix, for {@code ~>=~}. */
        String low() {
            return text();
        }

        /** Upper bound (exclusive): {@code 'g'} sorts after every hex digit. */
        String high() {
            return text() + "g";
        }
    }

    /**
     * Parses {@code sha256:<hex>}, {@code <hex>} (sha256 assumed) or a prefix of either.
     *
     * @throws QueryException.InvalidParameter if it is not hex, too short or too long
     */
    public static DigestPrefix parseDigest(String text) {
        if (text == null || text.isBlank()) {
            throw new QueryException.InvalidParameter("a digest or hex prefix is required");
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        String algorithm = "sha256";
        int colon = t.indexOf(':');
        if (colon >= 0) {
            algorithm = t.substring(0, colon);
            t = t.substring(colon + 1);
            if (!algorithm.equals("sha256") && !algorithm.equals("sha512")) {
                throw new QueryException.InvalidParameter("unsupported digest algorithm '" + shorten(algorithm) + "'");
            }
        }
        int full = algorithm.equals("sha256") ? 64 : 128;
        if (!HEX.matcher(t).matches()) {
            throw new QueryException.InvalidParameter("not a hex digest: '" + shorten(text) + "'");
        }
        if (t.length() < MIN_PREFIX) {
            throw new QueryException.InvalidParameter(
                    "a digest prefix needs at least " + MIN_PREFIX + " hex characters, got " + t.length());
        }
        if (t.length() > full) {
            throw new QueryException.InvalidParameter("too long for a " + algorithm + " digest: " + t.length() + " hex characters");
        }
        return new DigestPrefix(algorithm, t, t.length() == full);
    }

    /** Whether the text looks like a digest question at all (hex, optionally with an algorithm). */
    static boolean looksLikeDigest(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("sha256:") || t.startsWith("sha512:")) {
            return true;
        }
        return t.length() >= 6 && HEX.matcher(t).matches();
    }

    /** Shortens a value echoed in an error message (it may be hostile or huge). */
    static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** Keeps the first match per (kind, key), in order. */
    static List<Match> distinct(List<Match> matches) {
        Map<String, Match> byKey = new LinkedHashMap<>();
        for (Match m : matches) {
            byKey.putIfAbsent(m.kind() + " " + m.key(), m);
        }
        return new ArrayList<>(byKey.values());
    }
}
