package io.layeratlas.db.query;

import java.time.Instant;

/**
 * A container on a host, as the host's last snapshot reported it ({@code host_containers}; events/README.md,
 * "Container"). Every value came from a host: escape on output.
 *
 * @param containerId the full container ID
 * @param name        without Docker's leading {@code /}; null when unknown
 * @param state       {@code created}, {@code running}, {@code paused}, {@code restarting}, {@code removing},
 *                    {@code exited} or {@code dead}; null when unknown
 * @param created     null when unknown
 * @param imageId     the image ID it runs; null when unknown
 * @param image       the reference it was created from ({@code docker ps}'s IMAGE); null when unknown
 */
public record ContainerOnHost(String containerId, String name, String state, Instant created, String imageId,
                              String image) {
}
