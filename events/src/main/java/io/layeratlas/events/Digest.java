package io.layeratlas.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A content digest, {@code algorithm:hex} (OCI image-spec, descriptor.md "Digests").
 * Used for image IDs, diff IDs, chain IDs and compressed (blob) digests.
 *
 * <p>Only {@code sha256} (64 lower-case hex characters) and {@code sha512} (128) are accepted:
 * the two algorithms the image-spec registers. Immutable and thread-safe.
 */
public record Digest(String algorithm, String hex) implements Comparable<Digest> {

    private static boolean lowerHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
                return false;
            }
        }
        return true;
    }

    public Digest {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(hex, "hex");
        int expected = switch (algorithm) {
            case "sha256" -> 64;
            case "sha512" -> 128;
            default -> throw new IllegalArgumentException("unsupported digest algorithm '" + algorithm + "'");
        };
        if (hex.length() != expected || !lowerHex(hex)) {
            throw new IllegalArgumentException(
                    "not a " + algorithm + " digest: '" + abbreviate(hex) + "' (want " + expected + " lower-case hex characters)");
        }
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
        if (interning) {
            Digest known = INTERNED.get(text);
            if (known != null) {
                return known;
            }
        }
        String algorithm = text.substring(0, colon);
        // One shared algorithm string: an indexer's batch holds a few million digests.
        Digest d = new Digest(algorithm.equals("sha256") ? "sha256" : algorithm, text.substring(colon + 1));
        if (interning) {
            if (INTERNED.size() >= INTERNED_MAX) {
                INTERNED.clear();
            }
            INTERNED.put(text, d);
        }
        return d;
    }

    /**
     * Whether {@link #parse} returns one instance per digest text (off by default). The indexer turns it on: the same
     * digest decoded from many hosts' snapshots is then one instance whose strings' hash codes are computed once, where
     * hashing and comparing fresh 64-character strings was a third of its applying thread (JFR, bench --scale small).
     * The pool is bounded ({@value #INTERNED_MAX} digests, about 70 MB at most; emptied when full); an agent, whose heap
     * budget is 64 MiB, leaves it off.
     */
    public static void internParsed(boolean on) {
        interning = on;
        if (!on) {
            INTERNED.clear();
        }
    }

    private static volatile boolean interning;
    private static final java.util.concurrent.ConcurrentHashMap<String, Digest> INTERNED = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int INTERNED_MAX = 1 << 18;

    /** A sha256 digest from its 64 hex characters, as Docker names folders ({@code layerdb/sha256/<hex>}). */
    public static Digest sha256Hex(String hex) {
        return new Digest("sha256", hex);
    }

    /** The sha256 of these bytes. */
    public static Digest sha256Of(byte[] bytes) {
        return new Digest("sha256", HexFormat.of().formatHex(sha256().digest(bytes)));
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
        return new Digest("sha256", HexFormat.of().formatHex(finished.digest()));
    }

    @JsonValue
    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }

    /** The first 12 hex characters, as {@code docker image ls} shows IDs. */
    public String shortHex() {
        return hex.substring(0, 12);
    }

    @Override
    public int compareTo(Digest o) {
        int c = algorithm.compareTo(o.algorithm);
        return c != 0 ? c : hex.compareTo(o.hex);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
