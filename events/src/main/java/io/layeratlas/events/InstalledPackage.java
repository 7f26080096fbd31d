package io.layeratlas.events;

import java.util.Objects;

/**
 * One package as a layer's package database records it. Strings are verbatim from the database.
 *
 * @param name          the binary package's name ({@code Package:} for dpkg, {@code P:} for apk, {@code NAME} for rpm)
 * @param version       the full version string: dpkg {@code [epoch:]upstream[-revision]}, apk
 *                      {@code upstream-rN}, rpm {@code [epoch:]version-release}
 * @param architecture  {@code amd64}, {@code x86_64}, {@code noarch}, …; {@code null} when the database records none
 * @param sourceName    the source package it was built from, {@code null} when unknown
 * @param sourceVersion the source package's version, {@code null} when unknown
 */
public record InstalledPackage(String name, String version, String architecture, String sourceName,
                               String sourceVersion) {
    public InstalledPackage {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        if (name.isBlank()) {
            throw new IllegalArgumentException("package name must not be blank");
        }
        if (version.isBlank()) {
            throw new IllegalArgumentException("package " + name + " has a blank version");
        }
    }
}
