package io.layeratlas.ingest.packages;

/** A family of OS package databases, named as the layer-packages event names it ({@code events/README.md}). */
public enum Ecosystem {
    /** Debian's dpkg: {@code var/lib/dpkg/status}, {@code var/lib/dpkg/status.d/*}. */
    DPKG("dpkg"),
    /** Alpine's apk: {@code lib/apk/db/installed}. */
    APK("apk"),
    /** RPM's sqlite database: {@code var/lib/rpm/rpmdb.sqlite}, {@code usr/lib/sysimage/rpm/rpmdb.sqlite}. */
    RPM("rpm");

    private final String id;

    Ecosystem(String id) {
        this.id = id;
    }

    /** The name in events: {@code dpkg}, {@code apk}, {@code rpm}. */
    public String id() {
        return id;
    }
}
