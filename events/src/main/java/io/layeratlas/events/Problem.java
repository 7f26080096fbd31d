package io.layeratlas.events;

import java.util.Objects;

/**
 * One item a reader could not read, and why: the scan goes on without it.
 *
 * @param path   the file, archive entry or API call that failed (e.g. {@code image/overlay2/imagedb/content/sha256/ab..})
 * @param reason what was wrong with it, in words an operator can act on
 */
public record Problem(String path, String reason) {
    public Problem {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(reason, "reason");
    }
}
