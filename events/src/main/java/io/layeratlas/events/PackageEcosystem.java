package io.layeratlas.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The OS package managers whose databases an agent reads from layer contents; each has its own version ordering.
 * JSON names are the lower-case {@link #id()}s.
 */
public enum PackageEcosystem {
    /** Debian's dpkg: {@code var/lib/dpkg/status} and {@code var/lib/dpkg/status.d/*} (deb-control(5) fields). */
    DPKG("dpkg"),
    /** Alpine's apk-tools: {@code lib/apk/db/installed}. */
    APK("apk"),
    /** RPM's sqlite database: {@code var/lib/rpm/rpmdb.sqlite} or {@code usr/lib/sysimage/rpm/rpmdb.sqlite}. */
    RPM("rpm");

    private final String id;

    PackageEcosystem(String id) {
        this.id = id;
    }

    /** The name used in JSON, in the index and in queries ({@code dpkg}, {@code apk}, {@code rpm}). */
    @JsonValue
    public String id() {
        return id;
    }

    /** @throws IllegalArgumentException for an unknown name */
    @JsonCreator
    public static PackageEcosystem fromId(String id) {
        for (PackageEcosystem e : values()) {
            if (e.id.equals(id)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown package ecosystem '" + id + "' (known: dpkg, apk, rpm)");
    }
}
