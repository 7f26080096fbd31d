package io.layeratlas.db.versions;

import io.layeratlas.events.PackageEcosystem;

import java.util.Comparator;

/**
 * The version ordering of each package ecosystem: {@link DpkgVersion}, {@link RpmVersion}, {@link ApkVersion}. The
 * one place the index and the dashboard take it from.
 */
public final class VersionOrdering {
    private VersionOrdering() {
    }

    /** The ordering of {@code ecosystem}'s version strings (oldest first). */
    public static Comparator<String> of(PackageEcosystem ecosystem) {
        return switch (ecosystem) {
            case DPKG -> DpkgVersion::compare;
            case RPM -> RpmVersion::compare;
            case APK -> ApkVersion::compare;
        };
    }
}
