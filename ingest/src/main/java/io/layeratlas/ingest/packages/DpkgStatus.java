package io.layeratlas.ingest.packages;

import io.layeratlas.events.InstalledPackage;

import io.layeratlas.events.Problem;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads dpkg's database of installed packages: {@code var/lib/dpkg/status}, and each file of
 * {@code var/lib/dpkg/status.d/} (distroless images keep one status paragraph per package there; same format).
 *
 * <p>Format: deb822 paragraphs ({@code deb-control(5)}, {@code dpkg-query(1)}), read by {@link Stanzas}. A paragraph
 * is a package that is installed when the third word of its {@code Status} ({@code want flag status}) is
 * {@code installed} ({@code install ok installed}, also {@code hold ok installed} and {@code deinstall ok installed},
 * which are still on disk); other states (config-files, half-installed, not-installed) are left out. distroless's
 * {@code status.d} files often have no {@code Status} field: they are taken as installed, as the image's only record.
 * Fields read: {@code Package}, {@code Version}, {@code Architecture}, {@code Source}. {@code Source} is
 * {@code name} or {@code name (version)}; without it the source is the binary package itself and without a version
 * in it the source version is the binary's, as {@code dpkg-query}'s {@code ${source:Package}} and
 * {@code ${source:Version}} fields define them. A paragraph without {@code Package} or {@code Version} is a problem
 * naming its line. Thread-safe (stateless).
 */
public final class DpkgStatus {
    private static final java.util.regex.Pattern WHITESPACE = java.util.regex.Pattern.compile("\\s+");

    private DpkgStatus() {
    }

    /**
     * @param text     the file's bytes (UTF-8)
     * @param path     the file inside the layer, for problems
     * @param problems receives one problem per bad paragraph or line
     * @return installed packages, in file order
     */
    public static List<InstalledPackage> parse(byte[] text, String path, List<Problem> problems) {
        List<InstalledPackage> out = new ArrayList<>();
        Stanzas.parse(text, path, true, problems, (stanza, p) -> {
            String name = stanza.get("Package");
            String version = stanza.get("Version");
            String status = stanza.get("Status");
            if (status != null) {
                String[] words = WHITESPACE.split(status);
                if (words.length != 3) {
                    p.add(new Problem(path, "line " + stanza.line() + ": Status '" + Stanzas.abbreviate(status)
                            + "' is not 'want flag status'; package " + name + " left out"));
                    return;
                }
                if (!words[2].equals("installed")) {
                    return;
                }
            }
            if (name == null || name.isEmpty() || version == null || version.isEmpty()) {
                p.add(new Problem(path, "line " + stanza.line() + ": a paragraph without "
                        + (name == null || name.isEmpty() ? "Package" : "Version") + "; left out"));
                return;
            }
            String sourceName = name;
            String sourceVersion = version;
            String source = stanza.get("Source");
            if (source != null && !source.isEmpty()) {
                int paren = source.indexOf('(');
                if (paren < 0) {
                    sourceName = source;
                } else {
                    int close = source.indexOf(')', paren);
                    sourceName = source.substring(0, paren).strip();
                    if (close < 0 || sourceName.isEmpty()) {
                        p.add(new Problem(path, "line " + stanza.line() + ": Source '" + Stanzas.abbreviate(source)
                                + "' is not 'name (version)'; taken as unknown"));
                        sourceName = null;
                        sourceVersion = null;
                    } else {
                        sourceVersion = source.substring(paren + 1, close).strip();
                    }
                }
            }
            String arch = stanza.get("Architecture");
            out.add(new InstalledPackage(name, version, arch == null || arch.isEmpty() ? null : arch, sourceName,
                    sourceVersion));
        });
        return out;
    }
}
