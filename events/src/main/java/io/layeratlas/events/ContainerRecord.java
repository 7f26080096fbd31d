package io.layeratlas.events;

import java.time.Instant;
import java.util.Objects;

/**
 * A container on one host, with the values {@code docker ps -a} shows for it. Read from the data-root's
 * {@code containers/<id>/config.v2.json} (moby {@code container/container.go}, {@code Container}; the state string as
 * moby {@code container/state.go} {@code StateString()} derives it) or from the Engine API
 * ({@code GET /containers/json?all=1}).
 *
 * @param id      the full container ID (64 lower-case hex digits as Docker makes them; any non-blank text accepted)
 * @param name    the container's name without Docker's leading {@code /}, or null when unknown
 * @param state   {@code created}, {@code running}, {@code paused}, {@code restarting}, {@code removing}, {@code exited}
 *                or {@code dead}; null when unknown
 * @param created when the container was created (from disk with nanoseconds, from the API in whole seconds); null
 *                when unknown
 * @param imageId the image ID the container runs ({@code Image} on disk, {@code ImageID} in the API); null when unknown
 * @param image   the image reference the container was created from ({@code Config.Image}, {@code docker ps}'s
 *                IMAGE column), or null
 */
public record ContainerRecord(String id, String name, String state, Instant created, Digest imageId, String image) {
    public ContainerRecord {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("container id must not be blank");
        }
    }
}
