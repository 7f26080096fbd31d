package io.layeratlas.ingest.packages;

import io.layeratlas.events.PackageDatabase;

import io.layeratlas.events.Problem;

import java.util.List;

/**
 * The package databases one layer adds, replaces or deletes, read from the layer's own contents (its tar stream or
 * its storage driver's diff folder), and what could not be read: the body of a
 * {@link io.layeratlas.events.LayerPackages} event, which adds the diff ID, the agent's version and the time read.
 *
 * @param databases one entry per database path the layer touches, sorted by path; empty if it touches none
 * @param problems  located: {@code path} is the file inside the layer, {@code reason} says why (never null)
 */
public record LayerDatabases(List<PackageDatabase> databases, List<Problem> problems) {
    public LayerDatabases {
        databases = databases == null ? List.of() : List.copyOf(databases);
        problems = problems == null ? List.of() : List.copyOf(problems);
    }

    /** A layer that touches no package database. */
    public static final LayerDatabases NONE = new LayerDatabases(List.of(), List.of());
}
