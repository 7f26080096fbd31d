package io.layeratlas.testing;

import io.layeratlas.events.InstalledPackage;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Real Debian root file systems for the package tests, made by the real tools: {@code mmdebstrap --variant=minbase
 * --format=tar --include=openssl SUITE} builds a root as a tar once into {@value #CACHE} (about 4 minutes each on the
 * project's machine), later runs reuse it; {@code dpkg-query -W --admindir=…} over its {@code var/lib/dpkg} says what
 * it installs. Where the tools are missing the test is skipped, or fails under {@code CI=true} ({@link Requires}).
 */
public final class DebianRoots {
    public static final String CACHE = "/var/cache/layeratlas-test";
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(15);

    private DebianRoots() {
    }

    /**
     * The minbase root of {@code suite} with openssl, as an uncompressed tar (a real layer: its diff ID is the sha256
     * of its bytes), built first if it is not cached.
     *
     * @param suite a Debian suite ({@code bookworm}, {@code trixie})
     */
    public static Path minbaseTar(String suite) throws IOException, InterruptedException {
        Path tar = Path.of(CACHE, suite + "-minbase-openssl.tar");
        if (Files.isRegularFile(tar)) {
            return tar;
        }
        Requires.executable("/usr/bin/mmdebstrap", "mmdebstrap");
        Files.createDirectories(tar.getParent());
        Path tmp = tar.resolveSibling(tar.getFileName() + ".build-" + UUID.randomUUID().toString().substring(0, 8));
        long start = System.nanoTime();
        int exit = run(List.of("mmdebstrap", "--variant=minbase", "--format=tar", "--include=openssl", suite,
                tmp.toString()), BUILD_TIMEOUT);
        if (exit != 0) {
            Files.deleteIfExists(tmp);
            unavailable("mmdebstrap " + suite + " failed with exit status " + exit);
        }
        System.out.printf("built %s with mmdebstrap in %d s%n", tar, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        try {
            Files.move(tmp, tar);
        } catch (IOException e) {
            Files.deleteIfExists(tmp); // another run built it at the same time: use theirs
        }
        return tar;
    }

    /**
     * Extracts {@code ./var/lib/dpkg} of a root tar into {@code into} and returns that folder (a dpkg admin folder).
     */
    public static Path extractDpkgAdmin(Path rootTar, Path into) throws IOException, InterruptedException {
        Files.createDirectories(into);
        if (run(List.of("tar", "-xf", rootTar.toString(), "-C", into.toString(), "./var/lib/dpkg"), Duration.ofMinutes(2)) != 0) {
            throw new AssertionError("cannot extract var/lib/dpkg from " + rootTar);
        }
        return into.resolve("var/lib/dpkg");
    }

    /**
     * What {@code dpkg-query -W --admindir=ADMIN} lists: package, version, architecture, {@code ${source:Package}},
     * {@code ${source:Version}}, in dpkg-query's order.
     */
    public static List<InstalledPackage> dpkgQuery(Path admin) throws IOException, InterruptedException {
        Requires.executable("/usr/bin/dpkg-query", "dpkg");
        Process q = new ProcessBuilder("dpkg-query", "-W", "--admindir=" + admin,
                "-f", "${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\n")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (q.waitFor() != 0) {
            throw new AssertionError("dpkg-query failed on " + admin);
        }
        List<InstalledPackage> packages = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            packages.add(new InstalledPackage(f[0], f[1], f[2].isEmpty() ? null : f[2], f[3].isEmpty() ? null : f[3],
                    f[4].isEmpty() ? null : f[4]));
        }
        return packages;
    }

    private static int run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static void unavailable(String why) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(why);
        }
        Assumptions.abort(why);
    }
}
