package io.layeratlas.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Test access to {@code ../shared/fixtures/} (relative to the repository root): real image storage written by
 * Docker and others, with Docker's own answers in {@code truth/}. Fixtures are read in place, never copied into
 * the project; host data-roots are extracted once per build under {@code target/fixtures/}.
 */
public final class Fixtures {
    private Fixtures() {
    }

    /** The repository root: the {@code layeratlas.root} system property Surefire sets, else found upwards. */
    public static Path projectRoot() {
        String prop = System.getProperty("layeratlas.root");
        if (prop != null && Files.isDirectory(Path.of(prop, ".git")) || prop != null && Files.exists(Path.of(prop, "pom.xml"))
                && Files.exists(Path.of(prop, "events"))) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !(Files.exists(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("events")))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the LayerAtlas repository root from " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /** {@code ../shared/fixtures}. */
    public static Path root() {
        Path dir = projectRoot().resolve("../shared/fixtures").normalize();
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("fixtures not found at " + dir + " (they live in ../shared/fixtures beside the project)");
        }
        return dir;
    }

    public static Path fleetMain() {
        return root().resolve("fleet-main");
    }

    /** The five hosts of fleet-main: batch-01, build-01, legacy-01, web-01, web-02. */
    public static List<String> fleetMainHosts() {
        try (Stream<Path> s = Files.list(fleetMain().resolve("hosts"))) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".tar.gz"))
                    .map(n -> n.substring(0, n.length() - ".tar.gz".length()))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code fleet-main/truth/<host>/}. */
    public static Path truth(String host) {
        return fleetMain().resolve("truth").resolve(host);
    }

    /**
     * The data-root of a fleet-main host ({@code .../<host>/docker}), extracted once under {@code target/fixtures/}
     * with the system's {@code tar} (as root, so overlay2 whiteouts come out as the character devices Docker wrote).
     */
    public static synchronized Path dataRoot(String host) {
        return extracted(fleetMain().resolve("hosts").resolve(host + ".tar.gz"), "fleet-main/" + host).resolve("docker");
    }

    /** Extracts a tar (gzipped or not) once into {@code target/fixtures/<name>} and returns that folder. */
    public static synchronized Path extracted(Path tarball, String name) {
        Path dest = projectRoot().resolve("target/fixtures").resolve(name);
        Path done = dest.resolve(".extracted");
        if (Files.exists(done)) {
            return dest;
        }
        try {
            if (Files.exists(dest)) {
                new ProcessBuilder("rm", "-rf", dest.toString()).inheritIO().start().waitFor();
            }
            Files.createDirectories(dest);
            Process tar = new ProcessBuilder("tar", "-xf", tarball.toString(), "-C", dest.toString())
                    .redirectErrorStream(true).start();
            String out = new String(tar.getInputStream().readAllBytes());
            if (tar.waitFor() != 0) {
                throw new IllegalStateException("tar -xf " + tarball + " failed: " + out);
            }
            Files.createFile(done);
            return dest;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
