package io.layeratlas.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The images the deployment runs on, built here without a registry and kept in the test daemon's data-root, so only
 * the first run on a machine builds the base images. Each cached image's tag is a hash of what it is made from, so
 * a change to a recipe builds it anew.
 * <ul>
 *   <li>{@link #base()}: a Debian bookworm root file system from Debian's packages ({@code mmdebstrap}, minbase, with
 *   {@code openjdk-17-jre-headless} and {@code postgresql}), {@code docker import}ed.</li>
 *   <li>{@link #postgres()}: that base with an entrypoint that honours the official {@code postgres} image's
 *   variables ({@code src/test/docker/postgres}).</li>
 *   <li>{@link #kafka()}: Kafka's own jars from Maven Central on that base, started as the official
 *   {@code apache/kafka} image is ({@code src/test/docker/kafka}).</li>
 *   <li>{@link #layeratlas(String)}: the repository's Dockerfile target ({@code layeratlas} or {@code agent}) with
 *   {@code RUNTIME_IMAGE} set to the base, from the jars this build packaged; rebuilt every run (the jars change).</li>
 * </ul>
 */
final class OfflineImages {
    /** Debian's packages in the base. The JRE runs Kafka and LayerAtlas; PostgreSQL runs the database. */
    static final List<String> BASE_PACKAGES = List.of("openjdk-17-jre-headless", "postgresql", "ca-certificates");
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(20);

    private final TestDockerd docker;
    private final Path projectRoot;
    private final Path moduleDir;
    private String base;

    OfflineImages(TestDockerd docker, Path projectRoot) {
        this.docker = docker;
        this.projectRoot = projectRoot;
        this.moduleDir = projectRoot.resolve("deploy-test");
    }

    /** {@code layeratlas-test/debian-base:<hash>}: built by mmdebstrap on the first run, then reused. */
    synchronized String base() {
        if (base != null) {
            return base;
        }
        String recipe = "bookworm minbase " + String.join(",", BASE_PACKAGES);
        String name = "layeratlas-test/debian-base:" + hash(recipe.getBytes(StandardCharsets.UTF_8));
        if (!docker.hasImage(name)) {
            Path tar = TestDockerd.cacheDir().resolve("debian-base.tar");
            if (!Files.isExecutable(Path.of("/usr/bin/mmdebstrap"))) {
                TestDockerd.unavailable("no /usr/bin/mmdebstrap (apt-get install mmdebstrap)");
            }
            run(List.of("mmdebstrap", "--mode=root", "--variant=minbase", "--include=" + String.join(",", BASE_PACKAGES),
                    "--aptopt=Acquire::Retries \"3\"",
                    "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/locale/*",
                    "--customize-hook=rm -rf \"$1\"/var/cache/apt/* \"$1\"/var/lib/apt/lists/*",
                    "bookworm", tar.toString()));
            docker.docker(BUILD_TIMEOUT, "import",
                    "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "--change", "ENV LANG=C.UTF-8",
                    tar.toString(), name);
            delete(tar);
        }
        base = name;
        return base;
    }

    /** {@code layeratlas-test/postgres:<hash>}. */
    String postgres() {
        return cached("postgres", moduleDir.resolve("src/test/docker/postgres"));
    }

    /** {@code layeratlas-test/kafka:<hash>}: the context is assembled under target/ from the recipe and the jars. */
    String kafka() {
        Path context = moduleDir.resolve("target/kafka-image");
        Path libs = Path.of(System.getProperty("layeratlas.kafkaImageLibs", context.resolve("libs").toString()));
        copyTree(moduleDir.resolve("src/test/docker/kafka"), context);
        if (!libs.equals(context.resolve("libs"))) {
            copyTree(libs, context.resolve("libs"));
        }
        return cached("kafka", context);
    }

    /** Builds the repository's Dockerfile {@code target} on the base: {@code layeratlas-test/<target>:latest}. */
    String layeratlas(String target) {
        String name = "layeratlas-test/" + target + ":latest";
        docker.docker(BUILD_TIMEOUT, "build", "-q", "--build-arg", "RUNTIME_IMAGE=" + base(), "--target", target,
                "-t", name, projectRoot.toString());
        return name;
    }

    private String cached(String what, Path context) {
        String name = "layeratlas-test/" + what + ":" + hash(contentOf(context), base().getBytes(StandardCharsets.UTF_8));
        if (!docker.hasImage(name)) {
            docker.docker(BUILD_TIMEOUT, "build", "-q", "--build-arg", "BASE_IMAGE=" + base(), "-t", name, context.toString());
        }
        return name;
    }

    private static byte[] contentOf(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                md.update(dir.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
                // jars are named by version: their names are enough, and reading 100 MB each run is not
                if (!f.toString().endsWith(".jar")) {
                    md.update(Files.readAllBytes(f));
                }
                md.update(Files.isExecutable(f) ? (byte) 1 : (byte) 0);
            }
            return md.digest();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hash(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path dest = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(f, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void run(List<String> command) {
        try {
            Path log = Files.createTempFile("la-deploy-test-", ".log");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(BUILD_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command.get(0) + " took over " + BUILD_TIMEOUT.toMinutes() + " min; log: " + log);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + p.exitValue() + ": "
                        + TestDockerd.tail(log));
            }
            Files.delete(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
