package io.layeratlas.ingest.packages;

import java.util.Optional;

/**
 * Whiteouts written as file names, the one rule for every reader that meets them: a layer tar (OCI image-spec,
 * layer.md "Whiteouts"; moby {@code pkg/archive/whiteouts.go}) and aufs's diff folders, which keep them as files of
 * the same names (moby {@code daemon/graphdriver/aufs}). {@code .wh.<name>} deletes {@code <name>} from the layers
 * below; {@code .wh..wh..opq} makes its folder opaque (its contents below are gone). Other {@code .wh..wh.} names are
 * aufs's own bookkeeping ({@code .wh..wh.plnk}, {@code .wh..wh.aufs}), not whiteouts. Thread-safe (stateless).
 */
final class Whiteouts {
    /** The prefix of a whiteout's name. */
    static final String PREFIX = ".wh.";
    /** The name that makes its folder opaque. */
    static final String OPAQUE = ".wh..wh..opq";
    private static final String META = ".wh..wh.";

    private Whiteouts() {
    }

    /** True if a file of this name makes its folder opaque. */
    static boolean isOpaque(String base) {
        return base.equals(OPAQUE);
    }

    /** The name a whiteout of this name deletes, if {@code base} is one ({@code .wh.status} → {@code status}). */
    static Optional<String> deleted(String base) {
        if (!base.startsWith(PREFIX) || base.startsWith(META) || base.length() == PREFIX.length()) {
            return Optional.empty();
        }
        return Optional.of(base.substring(PREFIX.length()));
    }

    /** True for any name under the whiteout prefix (whiteouts, opaque markers, aufs's bookkeeping): never content. */
    static boolean isReserved(String base) {
        return base.startsWith(PREFIX);
    }
}
