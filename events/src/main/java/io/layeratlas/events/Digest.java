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
    /**
     * The hex digits 16 at a time, most significant first: {@code w0..w3} hold a sha256 (in the object itself, so that
     * comparing two digests reads no other memory), {@code tail} the other four words of a sha512 (null for sha256).
     */
    private final long w0;
    private final long w1;
    private final long w2;
    private final long w3;
    private final long[] tail;
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
        this(known(algorithm), words(algorithm, text, from));
    }

    /** The words of a digest of {@code algorithm} (one of the two constants), most significant first. */
    private Digest(String algorithm, long[] words) {
        this(algorithm, words[0], words[1], words[2], words[3],
                words.length > 4 ? Arrays.copyOfRange(words, 4, words.length) : null);
    }

    /** A sha256's four words ({@code tail} null), or a sha512's first four and the other four. */
    private Digest(String algorithm, long w0, long w1, long w2, long w3, long[] tail) {
        this.algorithm = algorithm;
        this.w0 = w0;
        this.w1 = w1;
        this.w2 = w2;
        this.w3 = w3;
        this.tail = tail;
        long last = tail == null ? w3 : tail[tail.length - 1];
        this.hash = Long.hashCode(w0 ^ w1 * 31 ^ last * 961) ^ (tail == null ? 4 : 8) * 16;
    }

    /** The algorithm's constant ({@code sha256} or {@code sha512}), so that equals may compare it by reference. */
    private static String known(String algorithm) {
        Objects.requireNonNull(algorithm, "algorithm");
        return switch (algorithm) {
            case "sha256" -> "sha256";
            case "sha512" -> "sha512";
            default -> throw new IllegalArgumentException("unsupported digest algorithm '" + algorithm + "'");
        };
    }

    /** The words of the hex {@code text.substring(from)} of a digest of {@code algorithm}; refused if it is not one. */
    private static long[] words(String algorithm, String text, int from) {
        Objects.requireNonNull(text, "hex");
        int expected = known(algorithm).equals("sha256") ? 64 : 128;
        long[] w = text.length() - from == expected ? words(text, from, expected / 16) : null;
        if (w == null) {
            throw new IllegalArgumentException("not a " + algorithm + " digest: '" + abbreviate(text.substring(from))
                    + "' (want " + expected + " lower-case hex characters)");
        }
        return w;
    }

    /** The words, most significant first. */
    private long[] words() {
        long[] w = new long[tail == null ? 4 : 8];
        w[0] = w0;
        w[1] = w1;
        w[2] = w2;
        w[3] = w3;
        if (tail != null) {
            System.arraycopy(tail, 0, w, 4, 4);
        }
        return w;
    }

    /** The sha256 digest whose 32 bytes these are. */
    private static Digest sha256OfBytes(byte[] sum) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sum);
        return new Digest("sha256", new long[]{b.getLong(), b.getLong(), b.getLong(), b.getLong()});
    }

    /** Each lower-case hex digit's value; -1 for every other character below 128. */
    private static final byte[] HEX = new byte[128];

    static {
        Arrays.fill(HEX, (byte) -1);
        for (int i = 0; i < 16; i++) {
            HEX["0123456789abcdef".charAt(i)] = (byte) i;
        }
    }

    /** The words of {@code n * 16} lower-case hex digits from {@code from}, or null if one is not such a digit. */
    private static long[] words(String s, int from, int n) {
        long[] w = new long[n];
        int p = from;
        for (int i = 0; i < n; i++) {
            long v = 0;
            for (int j = 0; j < 16; j++) {
                char c = s.charAt(p++);
                int d = c < HEX.length ? HEX[c] : -1;
                if (d < 0) {
                    return null;
                }
                v = v << 4 | d;
            }
            w[i] = v;
        }
        return w;
    }

    private static final char[] SHA256_PREFIX = "sha256:".toCharArray();

    /**
     * Parses {@code sha256:<64 hex>} (or sha512) from {@code length} characters of {@code chars} at {@code offset}, as
     * {@link #parse(String)} does, without making its text (a JSON decoder's buffer: {@link EventCodec}).
     *
     * @throws IllegalArgumentException if the characters are not such a digest
     */
    public static Digest parse(char[] chars, int offset, int length) {
        if (length == SHA256_PREFIX.length + 64 && Arrays.equals(chars, offset, offset + SHA256_PREFIX.length,
                SHA256_PREFIX, 0, SHA256_PREFIX.length)) {
            int p = offset + SHA256_PREFIX.length;
            long w0 = word(chars, p);
            long w1 = word(chars, p + 16);
            long w2 = word(chars, p + 32);
            long w3 = word(chars, p + 48);
            if (allHex(chars, p, 64)) {
                return new Digest("sha256", w0, w1, w2, w3, null);
            }
        }
        return parse(new String(chars, offset, length)); // sha512, or the refusal's message
    }

    /** The value of the 16 hex digits at {@code from} (garbage if one is not a lower-case hex digit). */
    private static long word(char[] chars, int from) {
        long v = 0;
        for (int i = from; i < from + 16; i++) {
            char c = chars[i];
            v = v << 4 | (c < HEX.length ? HEX[c] & 0xf : 0);
        }
        return v;
    }

    private static boolean allHex(char[] chars, int from, int n) {
        for (int i = from; i < from + n; i++) {
            char c = chars[i];
            if (c >= HEX.length || HEX[c] < 0) {
                return false;
            }
        }
        return true;
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
            long[] words = words();
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
        // The algorithm strings are the two constants (see the constructors).
        return o instanceof Digest d && hash == d.hash && w0 == d.w0 && w1 == d.w1 && w2 == d.w2 && w3 == d.w3
                && algorithm == d.algorithm && Arrays.equals(tail, d.tail);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** The first 12 hex characters, as {@code docker image ls} shows IDs. */
    public String shortHex() {
        return HexFormat.of().toHexDigits(w0).substring(0, 12);
    }

    @Override
    public int compareTo(Digest o) {
        int c = algorithm.compareTo(o.algorithm);
        if (c != 0) {
            return c;
        }
        // Lower-case hex digits sort as their values do, so the words compared unsigned sort as the text.
        c = w0 != o.w0 ? Long.compareUnsigned(w0, o.w0) : w1 != o.w1 ? Long.compareUnsigned(w1, o.w1)
                : w2 != o.w2 ? Long.compareUnsigned(w2, o.w2) : Long.compareUnsigned(w3, o.w3);
        if (c != 0 || tail == null) {
            return c;
        }
        for (int i = 0; i < tail.length; i++) {
            c = Long.compareUnsigned(tail[i], o.tail[i]);
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
