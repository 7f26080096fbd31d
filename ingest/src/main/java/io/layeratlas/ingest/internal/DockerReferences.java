package io.layeratlas.ingest.internal;

import java.util.Optional;

/**
 * Image references as Docker stores and prints them (distribution/reference: {@code reference.go},
 * {@code normalize.go}). Docker stores fully qualified names ({@code docker.io/library/busybox:1.36}) and
 * prints familiar ones ({@code busybox:1.36}).
 */
public final class DockerReferences {
    private DockerReferences() {
    }

    /** A reference split into repository name and, for a repo tag, the tag; for a repo digest, the digest. */
    public record Parsed(String name, String tag, String digest) {
        public boolean isDigest() {
            return digest != null;
        }
    }

    /**
     * Splits {@code name:tag} or {@code name@sha256:hex}. The tag is after the last ':' that follows the last
     * '/', so a registry port ({@code 127.0.0.1:5055/shop/api:1.0}) stays in the name.
     */
    public static Optional<Parsed> parse(String ref) {
        if (ref == null || ref.isEmpty()) {
            return Optional.empty();
        }
        int at = ref.indexOf('@');
        if (at >= 0) {
            String name = ref.substring(0, at);
            String digest = ref.substring(at + 1);
            return name.isEmpty() || digest.isEmpty() ? Optional.empty() : Optional.of(new Parsed(name, null, digest));
        }
        int slash = ref.lastIndexOf('/');
        int colon = ref.lastIndexOf(':');
        if (colon <= slash || colon == ref.length() - 1 || colon == 0) {
            return Optional.empty();
        }
        return Optional.of(new Parsed(ref.substring(0, colon), ref.substring(colon + 1), null));
    }

    /**
     * The familiar form Docker prints: {@code docker.io/library/x} becomes {@code x}, {@code docker.io/u/x}
     * becomes {@code u/x}; any other registry is kept.
     */
    public static String familiar(String ref) {
        String r = ref;
        if (r.startsWith("docker.io/")) {
            r = r.substring("docker.io/".length());
            if (r.startsWith("library/") && r.indexOf('/', "library/".length()) < 0) {
                r = r.substring("library/".length());
            }
        }
        return r;
    }
}
