package io.layeratlas.deploy;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The deployment test's own {@code dockerd} (Debian's {@code docker.io}), started as the agent tests start theirs
 * ({@code --iptables=false --bridge=none}: containers use host networking), but on a data-root that is kept between
 * runs, so the images built offline are built once per machine: {@code /var/cache/layeratlas-deploy-test/docker}
 * (system property {@code layeratlas.deployTest.cache} moves it). The socket is {@value #SOCKET}, the address the
 * module's Surefire configuration gives Testcontainers as {@code DOCKER_HOST}.
 *
 * <p>One test run at a time may use the cache: {@link #start()} waits for an exclusive lock on
 * {@code /tmp/la-deploy-test.lock}. Where the daemon cannot be had (no {@code dockerd}, not root) the calling test
 * is aborted with the reason, except under {@code CI=true}, where it fails: {@code .ci/run} installs what it needs.
 * {@link #close()} sends SIGTERM, waits up to 30 seconds, then kills; a JVM shutdown hook does the same.
 */
final class TestDockerd implements AutoCloseable {
    static final String RUN_DIR = "/tmp/la-deploy-test";
    static final String SOCKET = RUN_DIR + "/docker.sock";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final Path runDir;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final Thread shutdownHook;

    private TestDockerd(Process process, Path runDir, FileChannel lockFile, FileLock lock) {
        this.process = process;
        this.runDir = runDir;
        this.lockFile = lockFile;
        this.lock = lock;
        this.shutdownHook = new Thread(this::stop, "deploy-test-dockerd-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    static TestDockerd start() {
        Path dockerd = Path.of("/usr/sbin/dockerd");
        if (!Files.isExecutable(dockerd)) {
            unavailable("no /usr/sbin/dockerd (apt-get install docker.io)");
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            unavailable("dockerd needs root; this test runs as " + System.getProperty("user.name"));
        }
        try {
            FileChannel lockFile = FileChannel.open(Path.of(RUN_DIR + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = lockFile.lock(); // another run of this test: wait for it
            Path runDir = Path.of(RUN_DIR);
            Files.createDirectories(runDir);
            Files.deleteIfExists(runDir.resolve("docker.sock"));
            Path dataRoot = cacheDir().resolve("docker");
            Files.createDirectories(dataRoot);
            Path log = runDir.resolve("dockerd.log");
            Process p = new ProcessBuilder(dockerd.toString(),
                    "--data-root", dataRoot.toString(),
                    "--exec-root", runDir.resolve("exec").toString(),
                    "--pidfile", runDir.resolve("dockerd.pid").toString(),
                    "--host", "unix://" + SOCKET,
                    "--storage-driver", "overlay2",
                    // no bridge and no iptables: the containers run on the host's network, on loopback
                    "--iptables=false", "--bridge=none")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            TestDockerd d = new TestDockerd(p, runDir, lockFile, lock);
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    d.close();
                    throw new IllegalStateException("dockerd exited with " + p.exitValue() + ": " + tail(log));
                }
                if (d.run(Duration.ofSeconds(10), List.of("version", "--format", "{{.Server.Version}}")).exit() == 0) {
                    return d;
                }
                Thread.sleep(250);
            }
            d.close();
            throw new IllegalStateException("dockerd gave no answer within " + START_TIMEOUT.toSeconds() + " s: " + tail(log));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Where images and the base root file system are kept between runs. */
    static Path cacheDir() {
        return Path.of(System.getProperty("layeratlas.deployTest.cache", "/var/cache/layeratlas-deploy-test"));
    }

    static void unavailable(String why) {
        if ("true".equals(System.getenv("CI"))) {
            throw new IllegalStateException(why + " (CI=true: the deployment test must run there; .ci/run installs "
                    + "docker.io and mmdebstrap)");
        }
        Assumptions.abort("no Docker daemon for the deployment test: " + why);
    }

    /**
     * Runs the docker CLI against this daemon (classic builder) and returns its standard output.
     *
     * @throws IllegalStateException with the command's error output if it exits non-zero or takes longer than
     *                               {@code timeout}
     */
    String docker(Duration timeout, String... args) {
        Result r = run(timeout, Arrays.asList(args));
        if (r.exit() != 0) {
            throw new IllegalStateException("docker " + String.join(" ", args) + " exited with " + r.exit() + ": " + r.err());
        }
        return r.out();
    }

    /** Whether {@code docker image inspect NAME} finds the image. */
    boolean hasImage(String name) {
        return run(Duration.ofSeconds(30), List.of("image", "inspect", name)).exit() == 0;
    }

    record Result(int exit, String out, String err) {
    }

    Result run(Duration timeout, List<String> args) {
        try {
            Path out = Files.createTempFile(runDir, "cli-", ".out");
            Path err = Files.createTempFile(runDir, "cli-", ".err");
            List<String> cmd = new ArrayList<>();
            cmd.add("docker");
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().put("DOCKER_HOST", "unix://" + SOCKET);
            pb.environment().put("DOCKER_BUILDKIT", "0");
            pb.environment().put("DOCKER_CLI_HINTS", "false");
            // no ~/.docker: the test must not read or write the user's CLI config
            pb.environment().put("DOCKER_CONFIG", runDir.resolve("cli-config").toString());
            Process p = pb.start();
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " took over " + timeout.toSeconds() + " s");
            }
            Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down and runs the hook itself
        }
    }

    private void stop() {
        try {
            if (process.isAlive()) {
                List<ProcessHandle> children = process.descendants().toList();
                process.destroy();
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
                // dockerd stops the containerd it started; this only catches one left behind by a SIGKILL
                children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } finally {
            try {
                if (lock.isValid()) {
                    lock.release();
                }
                lockFile.close();
            } catch (IOException e) {
                // the lock goes with the process anyway
            }
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
