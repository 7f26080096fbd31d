package io.layeratlas.ingest.packages;

import java.util.Objects;

/**
 * One package a database says is installed. Strings are verbatim from the database.
 *
 * @param name          the binary package's name
 * @param version       its version in the ecosystem's own notation (dpkg {@code [epoch:]upstream[-revision]},
 *                      apk {@code V:}, rpm {@code [epoch:]version-release})
 * @param architecture  as recorded ({@code amd64}, {@code all}, {@code x86_64}, {@code noarch}); null if none
 * @param sourceName    the source package it was built from; null if the database does not say
 * @param sourceVersion the source package's version; null if the database does not say
 */
public record InstalledPackage(String name, String version, String architecture, String sourceName,
                               String sourceVersion) {
    public InstalledPackage {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
    }
}
