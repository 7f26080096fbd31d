package io.layeratlas.ingest.packages;

import io.layeratlas.events.InstalledPackage;

import io.layeratlas.events.Problem;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads apk's database of installed packages, {@code lib/apk/db/installed}.
 *
 * <p>Format (Alpine wiki, "Apk spec": the installed database holds the same {@code K:value} lines as an
 * {@code APKINDEX}; written by apk-tools' {@code src/database.c}): one paragraph per package, separated by empty lines, one field per
 * line as a single letter, a colon and the value. Read: {@code P} name, {@code V} version, {@code A} architecture,
 * {@code o} origin (the source package: the {@code APKBUILD} it came from, whose version is the package's own, so
 * the source version is {@code V} when there is an origin). File lines ({@code F}, {@code R}, {@code Z}, …) are
 * skipped. A paragraph without {@code P} or {@code V} is a problem naming its line. Every package in the file is
 * installed (apk keeps no other state there). Thread-safe (stateless).
 */
public final class ApkInstalled {
    private ApkInstalled() {
    }

    /**
     * @param text     the file's bytes (UTF-8)
     * @param path     the file inside the layer, for problems
     * @param problems receives one problem per bad paragraph or line
     * @return the packages, in file order
     */
    public static List<InstalledPackage> parse(byte[] text, String path, List<Problem> problems) {
        List<InstalledPackage> out = new ArrayList<>();
        Stanzas.parse(text, path, false, problems, (stanza, p) -> {
            String name = stanza.get("P");
            String version = stanza.get("V");
            if (name == null || name.isEmpty() || version == null || version.isEmpty()) {
                p.add(new Problem(path, "line " + stanza.line() + ": a package without "
                        + (name == null || name.isEmpty() ? "P: (name)" : "V: (version)") + "; left out"));
                return;
            }
            String arch = stanza.get("A");
            String origin = stanza.get("o");
            boolean hasOrigin = origin != null && !origin.isEmpty();
            out.add(new InstalledPackage(name, version, arch == null || arch.isEmpty() ? null : arch,
                    hasOrigin ? origin : null, hasOrigin ? version : null));
        });
        return out;
    }
}
