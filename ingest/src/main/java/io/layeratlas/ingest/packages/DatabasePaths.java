package io.layeratlas.ingest.packages;

import io.layeratlas.events.PackageEcosystem;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where package databases live in a root file system, relative to it (no leading {@code /}): the one list the tar
 * and folder readers share. Thread-safe (immutable).
 */
final class DatabasePaths {
    private DatabasePaths() {
    }

    /** dpkg's folder of per-package status files (distroless). */
    static final String DPKG_STATUS_D = "var/lib/dpkg/status.d/";

    /** Single-file databases, by path. */
    static final Map<String, PackageEcosystem> FILES = new LinkedHashMap<>();
    /** Database files this reader cannot read, with the contract's reason. */
    static final Map<String, String> UNSUPPORTED = new LinkedHashMap<>();

    static {
        FILES.put("var/lib/dpkg/status", PackageEcosystem.DPKG);
        FILES.put("lib/apk/db/installed", PackageEcosystem.APK);
        FILES.put("var/lib/rpm/rpmdb.sqlite", PackageEcosystem.RPM);
        FILES.put("usr/lib/sysimage/rpm/rpmdb.sqlite", PackageEcosystem.RPM);
        UNSUPPORTED.put("var/lib/rpm/Packages", "unsupported rpm database (Berkeley DB)");
        UNSUPPORTED.put("usr/lib/sysimage/rpm/Packages", "unsupported rpm database (Berkeley DB)");
        UNSUPPORTED.put("var/lib/rpm/Packages.db", "unsupported rpm database (ndb)");
        UNSUPPORTED.put("usr/lib/sysimage/rpm/Packages.db", "unsupported rpm database (ndb)");
    }

    /** The ecosystem of a database file at {@code path}, if it is one (a {@code status.d} file counts). */
    static Optional<PackageEcosystem> file(String path) {
        PackageEcosystem e = FILES.get(path);
        if (e != null) {
            return Optional.of(e);
        }
        if (isStatusDFile(path)) {
            return Optional.of(PackageEcosystem.DPKG);
        }
        return Optional.empty();
    }

    /** A package's file in {@code status.d}: not a subfolder, not the {@code .md5sums} lists distroless keeps beside. */
    static boolean isStatusDFile(String path) {
        if (!path.startsWith(DPKG_STATUS_D)) {
            return false;
        }
        String name = path.substring(DPKG_STATUS_D.length());
        return !name.isEmpty() && name.indexOf('/') < 0 && !name.endsWith(".md5sums") && !name.startsWith(".");
    }

    /**
     * The ecosystem of the first database under directory {@code dir} (ending in {@code /}; {@code ""} is the root),
     * if any database path lies under it: deleting it deletes those databases.
     */
    static Optional<PackageEcosystem> directory(String dir) {
        for (Map.Entry<String, PackageEcosystem> f : FILES.entrySet()) {
            if (f.getKey().startsWith(dir)) {
                return Optional.of(f.getValue());
            }
        }
        return DPKG_STATUS_D.startsWith(dir) ? Optional.of(PackageEcosystem.DPKG) : Optional.empty();
    }

    /** Every directory (ending in {@code /}) that holds a database path, deepest last. */
    static java.util.Set<String> directories() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        java.util.List<String> paths = new java.util.ArrayList<>(FILES.keySet());
        paths.add(DPKG_STATUS_D + "x");
        for (String p : paths) {
            int slash = p.indexOf('/');
            while (slash > 0) {
                out.add(p.substring(0, slash + 1));
                slash = p.indexOf('/', slash + 1);
            }
        }
        return out;
    }
}
