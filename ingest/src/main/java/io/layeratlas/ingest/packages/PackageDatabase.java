package io.layeratlas.ingest.packages;

import java.util.List;
import java.util.Objects;

/**
 * What one layer does to one package-database path: adds or replaces it ({@link State#PRESENT}, with the packages
 * it lists), or deletes it ({@link State#REMOVED}, no packages). A path ending in {@code /} is a directory that the
 * layer deleted or made opaque: every database path under it is gone from the layers below.
 *
 * @param ecosystem the database's family; for a removed directory, the family whose databases live under it
 *                  ({@code var/lib/} holds dpkg and rpm: the first one is named; the index matches by path)
 * @param path      relative to the layer's root, no leading {@code /} ({@code var/lib/dpkg/status})
 * @param state     present or removed
 * @param packages  in database order; empty when removed
 */
public record PackageDatabase(Ecosystem ecosystem, String path, State state, List<InstalledPackage> packages) {
    /** Whether the layer holds the database or deletes it. */
    public enum State {
        PRESENT("present"), REMOVED("removed");

        private final String id;

        State(String id) {
            this.id = id;
        }

        /** As in events: {@code present}, {@code removed}. */
        public String id() {
            return id;
        }
    }

    public PackageDatabase {
        Objects.requireNonNull(ecosystem, "ecosystem");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(state, "state");
        packages = packages == null ? List.of() : List.copyOf(packages);
        if (state == State.REMOVED && !packages.isEmpty()) {
            throw new IllegalArgumentException("a removed database lists no packages: " + path);
        }
    }

    /** The layer holds this database with these packages. */
    public static PackageDatabase present(Ecosystem ecosystem, String path, List<InstalledPackage> packages) {
        return new PackageDatabase(ecosystem, path, State.PRESENT, packages);
    }

    /** The layer deletes this database path (or, ending in {@code /}, this directory). */
    public static PackageDatabase removed(Ecosystem ecosystem, String path) {
        return new PackageDatabase(ecosystem, path, State.REMOVED, List.of());
    }
}
