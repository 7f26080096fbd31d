package io.layeratlas.events;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The OS package databases one layer adds, replaces or deletes, content-addressed: topic
 * {@link Topics#LAYER_PACKAGES}, key = diff ID, compacted. A layer's contents are the same on every host, so an agent
 * sends this once per diff ID it has not sent before (not per host, not per rescan). A layer that touches no database
 * is sent with no databases, so that the index knows it was read.
 *
 * <p>An image's effective packages: for each database path, the topmost layer (highest index in
 * {@code rootfs.diff_ids}) with an entry for that path, or with a removed directory above it, decides: present → its
 * packages, removed → none. The image's package set is the union over paths. The index computes it; agents never do.
 *
 * @param schemaVersion {@link LayerAtlasEvent#SCHEMA_VERSION}
 * @param diffId        the layer's diff ID (sha256 of its uncompressed tar stream)
 * @param agentVersion  the version of the agent that read it
 * @param readAt        when the layer was read
 * @param databases     every package-database path the layer touches, at most one entry per (ecosystem, path); never null
 * @param problems      databases that could not be read, with where and why (an unsupported Berkeley DB rpm
 *                      database, a truncated status file); never null
 */
public record LayerPackages(int schemaVersion, Digest diffId, String agentVersion, Instant readAt,
                            List<PackageDatabase> databases, List<Problem> problems) implements LayerAtlasEvent {
    public LayerPackages {
        Objects.requireNonNull(diffId, "diffId");
        Objects.requireNonNull(agentVersion, "agentVersion");
        Objects.requireNonNull(readAt, "readAt");
        databases = databases == null ? List.of() : List.copyOf(databases);
        problems = problems == null ? List.of() : List.copyOf(problems);
        Set<String> seen = new HashSet<>();
        for (PackageDatabase db : databases) {
            if (!seen.add(db.ecosystem().id() + " " + db.path())) {
                throw new IllegalArgumentException("layer " + diffId + " lists " + db.ecosystem().id()
                        + " database " + db.path() + " twice");
            }
        }
    }

    /** This library's schema version. */
    public static LayerPackages of(Digest diffId, String agentVersion, Instant readAt, List<PackageDatabase> databases,
                                   List<Problem> problems) {
        return new LayerPackages(SCHEMA_VERSION, diffId, agentVersion, readAt, databases, problems);
    }

    @Override
    public String key() {
        return diffId.toString();
    }
}
