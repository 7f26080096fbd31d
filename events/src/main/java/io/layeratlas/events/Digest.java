package io.layeratlas.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A content digest, {@code algorithm:hex} (OCI image-spec, descriptor.md "Digests").
 * Used for image IDs, diff IDs, chain IDs and compressed (blob) digests.
 *
 * <p>Only {@code sha256} (64 lower-case hex characters) and {@code sha512} (128) are accepted:
 * the two algorithms the image-spec registers. The value is kept as 64-bit words, not as its text: hashing and
 * comparing are a few word operations, where an indexer's batch of a few million digests spent most of its decoding
 * hashing 64-character strings (and, interned, looking each up in a pool: 24 % of the indexer's samples, JFR,
 * {@code bench --scale full --hosts 1000}). The text is made again when asked for ({@link #hex()}, {@link #toString()})
 * and kept. Immutable and thread-safe; ordered as its text is.
 */
public final class Digest implements Comparable<Digest> {

    private final String algorithm;
    /** The hex digits 16 at a time, most significant first: 4 words for sha256, 8 for sha512. */
    private final long[] words;
    private final int hash;
    /** The text, made on first use (a benign race: every thread makes the same string). */
    private String text;

    /**
     * A digest from its algorithm and hex digits.
     *
     * @throws IllegalArgumentException if the algorithm is not sha256 or sha512, or the hex is not as many lower-case
     *                                  hex characters as it needs
     * @throws NullPointerException     if either is null
     */
    public Digest(String algorithm, String hex) {
        this(algorithm, hex, 0);
    }

    /** {@code text.substring(from)} is the hex; parsed in place. */
    private Digest(String algorithm, String text, int from) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(text, "hex");
        int expected = switch (algorithm) {
            case "sha256" -> 64;
            case "sha512" -> 128;
            default -> throw new IllegalArgumentException("unsupported digest algorithm '" + algorithm + "'");
        };
        this.algorithm = expected == 64 ? "sha256" : "sha512";
        long[] w = text.length() - from == expected ? words(text, from, expected / 16) : null;
        if (w == null) {
            throw new IllegalArgumentException("not a " + algorithm + " digest: '" + abbreviate(text.substring(from))
                    + "' (want " + expected + " lower-case hex characters)");
        }
        this.words = w;
        this.hash = Long.hashCode(w[0] ^ w[1] * 31 ^ w[w.length - 1] * 961) ^ w.length * 16;
    }

    private Digest(String algorithm, long[] words) {
        this.algorithm = algorithm;
        this.words = words;
        this.hash = Long.hashCode(words[0] ^ words[1] * 31 ^ words[words.length - 1] * 961) ^ words.length * 16;
    }

    /** The sha256 digest whose 32 bytes these are. */
    private static Digest sha256OfBytes(byte[] sum) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sum);
        return new Digest("sha256", new long[]{b.getLong(), b.getLong(), b.getLong(), b.getLong()});
    }

    /** The words of {@code n * 16} lower-case hex digits from {@code from}, or null if one is not such a digit. */
    private static long[] words(String s, int from, int n) {
        long[] w = new long[n];
        int p = from;
        for (int i = 0; i < n; i++) {
            long v = 0;
            for (int j = 0; j < 16; j++) {
                char c = s.charAt(p++);
                int d;
                if (c >= '0' && c <= '9') {
                    d = c - '0';
                } else if (c >= 'a' && c <= 'f') {
                    d = c - 'a' + 10;
                } else {
                    return null;
                }
                v = v << 4 | d;
            }
            w[i] = v;
        }
        return w;
    }

    /**
     * Parses {@code sha256:<64 hex>} (or sha512).
     *
     * @throws IllegalArgumentException if the text is not such a digest
     */
    @JsonCreator
    public static Digest parse(String text) {
        Objects.requireNonNull(text, "text");
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("not a digest (no 'algorithm:' prefix): '" + abbreviate(text) + "'");
        }
        String algorithm = colon == 6 && text.startsWith("sha256") ? "sha256" : text.substring(0, colon);
        Digest d = new Digest(algorithm, text, colon + 1);
        d.text = text;
        return d;
    }

    /** The algorithm: {@code sha256} or {@code sha512}. */
    public String algorithm() {
        return algorithm;
    }

    /** The hex digits, lower case: 64 for sha256, 128 for sha512. */
    public String hex() {
        return toString().substring(algorithm.length() + 1);
    }

    /** A sha256 digest from its 64 hex characters, as Docker names folders ({@code layerdb/sha256/<hex>}). */
    public static Digest sha256Hex(String hex) {
        return new Digest("sha256", hex);
    }

    /** The sha256 of these bytes. */
    public static Digest sha256Of(byte[] bytes) {
        return sha256OfBytes(sha256().digest(bytes));
    }

    /** The sha256 of this text's UTF-8 bytes. */
    public static Digest sha256Of(String text) {
        return sha256Of(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A fresh sha256 {@link MessageDigest}, for hashing streams. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** The sha256 digest a finished {@link MessageDigest} computed. */
    public static Digest sha256Of(MessageDigest finished) {
        return sha256OfBytes(finished.digest());
    }

    /** {@code algorithm:hex}, as parsed. */
    @JsonValue
    @Override
    public String toString() {
        String t = text;
        if (t == null) {
            StringBuilder sb = new StringBuilder(algorithm.length() + 1 + words.length * 16).append(algorithm).append(':');
            HexFormat hex = HexFormat.of();
            for (long w : words) {
                sb.append(hex.toHexDigits(w));
            }
            t = sb.toString();
            text = t;
        }
        return t;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Digest d && hash == d.hash && algorithm.equals(d.algorithm) && Arrays.equals(words, d.words);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** The first 12 hex characters, as {@code docker image ls} shows IDs. */
    public String shortHex() {
        return HexFormat.of().toHexDigits(words[0]).substring(0, 12);
    }

    @Override
    public int compareTo(Digest o) {
        int c = algorithm.compareTo(o.algorithm);
        if (c != 0) {
            return c;
        }
        // Lower-case hex digits sort as their values do, so the words compared unsigned sort as the text.
        for (int i = 0; i < words.length; i++) {
            c = Long.compareUnsigned(words[i], o.words[i]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
