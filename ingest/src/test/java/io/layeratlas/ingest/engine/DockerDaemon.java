package io.layeratlas.ingest.engine;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code dockerd} (Debian's {@code docker.io}) for tests, on a fresh data-root of its own, as
 * {@code ../shared/tools/make-fleet.sh} runs it: {@code --data-root <dir> --exec-root <dir> --pidfile <file>
 * --host unix://<sock> --iptables=false --bridge=none --storage-driver overlay2}, falling back to {@code vfs} when
 * overlay2 does not start. The daemon manages its own containerd under the exec-root.
 *
 * <p>Where the daemon cannot be had (no {@code dockerd}, not root, it does not start) {@link #startOrSkip}
 * aborts the test with the reason, except when the environment variable {@code CI} is {@code true}: CI installs
 * {@code docker.io} and {@code busybox-static}, so there it fails instead.
 *
 * <p>The data-root is a fresh folder under the given parent (the module's {@code target/}); the socket, pid file
 * and exec-root are under a short {@code /tmp} folder, because a unix socket path may not pass 108 bytes.
 * {@link #close()} sends SIGTERM, waits up to 20 seconds, then kills. A JVM shutdown hook does the same for a
 * test that never closes it. Not thread-safe; one per test class.
 */
public final class DockerDaemon implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

    private final Process process;
    private final Path dataRoot;
    private final Path runDir;
    private final Path socket;
    private final String cli;
    private final String driver;
    private final Thread shutdownHook;

    private DockerDaemon(Process process, Path dataRoot, Path runDir, String cli, String driver) {
        this.process = process;
        this.dataRoot = dataRoot;
        this.runDir = runDir;
        this.socket = runDir.resolve("docker.sock");
        this.cli = cli;
        this.driver = driver;
        this.shutdownHook = new Thread(this::stop, "dockerd-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts a daemon on a fresh data-root under {@code parent}, or aborts (fails under {@code CI=true}) the
     * calling test with why it cannot.
     */
    public static DockerDaemon startOrSkip(Path parent) {
        Optional<Path> dockerd = onPath("dockerd");
        if (dockerd.isEmpty()) {
            return unavailable("no dockerd on PATH (apt-get install docker.io)");
        }
        if (!isRoot()) {
            return unavailable("dockerd needs root and this test runs as uid " + uid());
        }
        // The CLI that ships with this dockerd, else any on PATH.
        Path sibling = dockerd.get().resolveSibling("docker");
        String cli = Files.isExecutable(sibling) ? sibling.toString() : onPath("docker").map(Path::toString).orElse(null);
        if (cli == null) {
            return unavailable("no docker CLI beside " + dockerd.get() + " or on PATH");
        }
        List<String> failures = new ArrayList<>();
        for (String driver : List.of("overlay2", "vfs")) {
            try {
                return start(dockerd.get(), cli, parent, driver);
            } catch (IllegalStateException e) {
                failures.add(driver + ": " + e.getMessage());
            }
        }
        return unavailable("dockerd did not start: " + String.join(" | ", failures));
    }

    private static DockerDaemon start(Path dockerd, String cli, Path parent, String driver) {
        try {
            Files.createDirectories(parent);
            Path dataRoot = Files.createTempDirectory(parent.toAbsolutePath(), "dockerd-" + driver + "-").resolve("docker");
            Path runDir = Files.createTempDirectory(Path.of("/tmp"), "la-dockerd-");
            Path log = dataRoot.resolveSibling("dockerd.log");
            Process p = new ProcessBuilder(dockerd.toString(),
                    "--data-root", dataRoot.toString(),
                    "--exec-root", runDir.resolve("exec").toString(),
                    "--pidfile", runDir.resolve("dockerd.pid").toString(),
                    "--host", "unix://" + runDir.resolve("docker.sock"),
                    "--storage-driver", driver,
                    // no network set-up: the sandbox has no iptables to spare and the tests need no bridge
                    "--iptables=false", "--bridge=none")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            DockerDaemon d = new DockerDaemon(p, dataRoot, runDir, cli, driver);
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    d.close();
                    throw new IllegalStateException("exited with " + p.exitValue() + ": " + tail(log));
                }
                Result info = d.run(List.of("info", "--format", "{{.Driver}}"));
                if (info.exit() == 0 && info.out().strip().equals(driver)) {
                    return d;
                }
                Thread.sleep(250);
            }
            d.close();
            throw new IllegalStateException("no answer within " + START_TIMEOUT.toSeconds() + " s: " + tail(log));
        } catch (IOException e) {
            throw new IllegalStateException(e.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static <T> T unavailable(String why) {
        if ("true".equals(System.getenv("CI"))) {
            throw new IllegalStateException(why + " (CI=true: tests against a real dockerd must run there; .ci/run installs docker.io and busybox-static)");
        }
        Assumptions.abort("no Docker daemon for this test: " + why);
        throw new AssertionError("unreachable");
    }

    /** The Docker host URI: {@code unix:///tmp/la-dockerd-…/docker.sock}. */
    public String host() {
        return "unix://" + socket;
    }

    /** The daemon's {@code --data-root}. */
    public Path dataRoot() {
        return dataRoot;
    }

    /** The storage driver it runs with: {@code overlay2}, or {@code vfs} when overlay2 would not start. */
    public String driver() {
        return driver;
    }

    /**
     * Runs the docker CLI against this daemon (classic builder: {@code DOCKER_BUILDKIT=0}) and returns its
     * standard output.
     *
     * @throws IllegalStateException with the command's error output if it exits non-zero or takes over 2 minutes
     */
    public String docker(String... args) {
        Result r = run(Arrays.asList(args));
        if (r.exit() != 0) {
            throw new IllegalStateException("docker " + String.join(" ", args) + " exited with " + r.exit() + ": " + r.err());
        }
        return r.out();
    }

    /**
     * Writes a tiny root file system as a tar for {@code docker import}: {@code /bin/busybox} (the host's static
     * busybox), {@code /bin/sh} and a few applets linked to it, {@code /etc/os-release} holding {@code flavour},
     * {@code /etc/motd} and {@code /etc/passwd}.
     */
    public static Path busyboxRootfs(Path tar, String flavour) {
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isRegularFile(busybox)) {
            return unavailable("no /bin/busybox (apt-get install busybox-static)");
        }
        try (OutputStream out = Files.newOutputStream(tar); TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String dir : List.of("bin/", "etc/", "tmp/")) {
                TarArchiveEntry e = new TarArchiveEntry(dir);
                e.setMode(dir.equals("tmp/") ? 01777 : 0755);
                t.putArchiveEntry(e);
                t.closeArchiveEntry();
            }
            TarArchiveEntry bb = new TarArchiveEntry(busybox.toFile(), "bin/busybox");
            bb.setMode(0755);
            t.putArchiveEntry(bb);
            Files.copy(busybox, t);
            t.closeArchiveEntry();
            for (String applet : List.of("sh", "ls", "cat", "echo", "mkdir", "rm", "touch", "true")) {
                TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarArchiveEntry.LF_SYMLINK);
                link.setLinkName("busybox");
                t.putArchiveEntry(link);
                t.closeArchiveEntry();
            }
            file(t, "etc/os-release", flavour + "\n");
            file(t, "etc/motd", "LayerAtlas test image\n");
            file(t, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return tar;
    }

    private static void file(TarArchiveOutputStream t, String name, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(bytes.length);
        e.setMode(0644);
        t.putArchiveEntry(e);
        t.write(bytes);
        t.closeArchiveEntry();
    }

    /** Stops the daemon (SIGTERM, then SIGKILL after 20 seconds) and its containerd. */
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
        if (process.isAlive()) {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
            // dockerd stops the containerd it started; this only catches one left behind by a SIGKILL
            children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        }
    }

    private record Result(int exit, String out, String err) {
    }

    private Result run(List<String> args) {
        try {
            Path out = Files.createTempFile(runDir, "cli-", ".out");
            Path err = Files.createTempFile(runDir, "cli-", ".err");
            List<String> cmd = new ArrayList<>();
            cmd.add(cli);
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("DOCKER_HOST", host());
            pb.environment().put("DOCKER_BUILDKIT", "0");
            pb.environment().put("DOCKER_CLI_HINTS", "false");
            // no ~/.docker: the tests must not read or write the user's CLI config
            pb.environment().put("DOCKER_CONFIG", runDir.resolve("cli-config").toString());
            Process p = pb.start();
            if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " took over " + COMMAND_TIMEOUT.toSeconds() + " s");
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

    private static Optional<Path> onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        // Debian puts dockerd in /usr/sbin, which a non-login PATH may lack
        Path sbin = Path.of("/usr/sbin", name);
        return Files.isExecutable(sbin) ? Optional.of(sbin) : Optional.empty();
    }

    private static boolean isRoot() {
        return "0".equals(uid());
    }

    private static String uid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.substring(4).strip().split("\\s+")[1]; // effective uid
                }
            }
        } catch (IOException e) {
            // not Linux: no dockerd either
        }
        return "unknown";
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
