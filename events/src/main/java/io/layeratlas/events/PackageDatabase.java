package io.layeratlas.events;

import java.util.List;
import java.util.Objects;

/**
 * What one layer does to one package-database path: adds or replaces it ({@link #PRESENT}, with every package it
 * lists), or deletes it ({@link #REMOVED}, no packages). A removed path that ends in {@code /} is a directory
 * (an opaque whiteout of it, or a whiteout of the directory itself): it removes every database path under it from
 * the layers below.
 *
 * @param ecosystem whose database it is
 * @param path      relative to the layer's root, without a leading {@code /} ({@code var/lib/dpkg/status},
 *                  {@code var/lib/dpkg/status.d/base}, {@code lib/apk/db/installed}, {@code var/lib/rpm/rpmdb.sqlite},
 *                  or a directory such as {@code var/lib/dpkg/})
 * @param state     {@link #PRESENT} or {@link #REMOVED}
 * @param packages  the packages of a present database, in the database's order; empty for a removed one (never null)
 */
public record PackageDatabase(PackageEcosystem ecosystem, String path, String state, List<InstalledPackage> packages) {
    /** The layer adds or replaces the database file. */
    public static final String PRESENT = "present";
    /** The layer deletes the file, or the directory (path ending in {@code /}) that holds it. */
    public static final String REMOVED = "removed";

    public PackageDatabase {
        Objects.requireNonNull(ecosystem, "ecosystem");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(state, "state");
        packages = packages == null ? List.of() : List.copyOf(packages);
        if (path.isEmpty() || path.startsWith("/") || path.contains("//") || path.equals("./")
                || ("/" + path + "/").contains("/../") || ("/" + path + "/").contains("/./")) {
            throw new IllegalArgumentException("package database path '" + path
                    + "' is not a clean path relative to the layer root");
        }
        if (!state.equals(PRESENT) && !state.equals(REMOVED)) {
            throw new IllegalArgumentException("package database " + path + " has unknown state '" + state
                    + "' (want present or removed)");
        }
        if (state.equals(REMOVED) && !packages.isEmpty()) {
            throw new IllegalArgumentException("removed package database " + path + " lists " + packages.size() + " packages");
        }
        if (state.equals(PRESENT) && isDirectory(path)) {
            throw new IllegalArgumentException("package database directory " + path + " can only be removed");
        }
    }

    /** A database file the layer adds or replaces. */
    public static PackageDatabase present(PackageEcosystem ecosystem, String path, List<InstalledPackage> packages) {
        return new PackageDatabase(ecosystem, path, PRESENT, packages);
    }

    /** A database file, or a directory ({@code path} ending in {@code /}), the layer deletes. */
    public static PackageDatabase removed(PackageEcosystem ecosystem, String path) {
        return new PackageDatabase(ecosystem, path, REMOVED, List.of());
    }

    /** Whether this entry is a removed directory, which shadows every database path under it. */
    public boolean directory() {
        return isDirectory(path);
    }

    private static boolean isDirectory(String path) {
        return path.endsWith("/");
    }
}
