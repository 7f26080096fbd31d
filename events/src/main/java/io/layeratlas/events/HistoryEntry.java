package io.layeratlas.events;

import java.time.Instant;

/**
 * One entry of an image config's {@code history} (OCI image-spec, config.md), as {@code docker history} shows it.
 *
 * @param created    when the step ran, or null when the config does not say
 * @param createdBy  the command that made it (may be null)
 * @param comment    the config's comment (may be null)
 * @param emptyLayer true when the step made no layer (ENV, LABEL, CMD…): it has no diff ID
 * @param size       bytes of the layer this step made; 0 for an empty layer
 */
public record HistoryEntry(Instant created, String createdBy, String comment, boolean emptyLayer, long size) {
    public HistoryEntry {
        if (size < 0) {
            throw new IllegalArgumentException("history size must not be negative: " + size);
        }
    }
}
