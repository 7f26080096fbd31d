package io.layeratlas.ingest.containerd;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian trixie's Docker ({@code docker.io} 26.1) with the containerd image store
 * ({@code {"features":{"containerd-snapshotter":true}}}), run from a root file system that {@code mmdebstrap
 * --variant=apt --include=docker.io trixie DIR} builds once into {@value #CACHE} and later runs reuse.
 *
 * <p>The daemon runs in a mount namespace of its own ({@code unshare -m --propagation private}): the root file
 * system is bind-mounted on itself (dockerd's classic builder remounts {@code /}), {@code /proc}, {@code /sys}
 * and {@code /dev} are mounted there, and it runs chrooted with its own data-root, exec-root, pid file and socket
 * under a fresh {@code /tmp/la-<id>/} inside the root file system, {@code --iptables=false --bridge=none}. Every
 * mount lives only in that namespace, so they are all gone when the daemon and its containerd have exited,
 * whatever happened to the test. {@link #close} stops the daemon (SIGTERM, then SIGKILL after 30 s), then its
 * containerd, and deletes the work folder.
 *
 * <p>The host's docker CLI (any version: the API version is negotiated) and curl talk to it over the socket.
 * Where the root file system cannot be built or the daemon cannot start, {@link #startOrSkip} aborts the test with
 * the reason, or fails it when the environment variable {@code CI} is {@code true} (.ci/run installs mmdebstrap).
 */
public final class TrixieDocker implements AutoCloseable {
    static final String CACHE = "/var/cache/layeratlas-test/trixie-docker";
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(20);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path rootfs;
    private final String work;
    private final Process daemon;

    private TrixieDocker(Path rootfs, String work, Process daemon) {
        this.rootfs = rootfs;
        this.work = work;
        this.daemon = daemon;
    }

    static TrixieDocker startOrSkip() {
        if (!"0".equals(run(List.of("id", "-u")).out().strip())) {
            return unavailable("needs root (mount namespaces, chroot)");
        }
        for (String tool : List.of("unshare", "chroot", "docker", "curl")) {
            if (run(List.of("sh", "-c", "command -v " + tool)).exit() != 0) {
                return unavailable("no " + tool + " on PATH");
            }
        }
        Path rootfs = rootfs();
        String work = "/tmp/la-" + UUID.randomUUID().toString().substring(0, 8);
        Path hostWork = rootfs.resolve(work.substring(1));
        try {
            Files.createDirectories(hostWork);
            Files.writeString(hostWork.resolve("daemon.json"), "{\"features\":{\"containerd-snapshotter\":true}}\n");
        } catch (IOException e) {
            return unavailable("cannot write " + hostWork + ": " + e);
        }
        String r = rootfs.toString();
        String script = String.join(" && ",
                "mount --bind " + r + " " + r,
                "mount -t proc proc " + r + "/proc",
                "mount -t sysfs sys " + r + "/sys",
                "mount --rbind /dev " + r + "/dev",
                "{ mount -t cgroup2 none " + r + "/sys/fs/cgroup || true; }",
                "exec chroot " + r + " /usr/sbin/dockerd --config-file " + work + "/daemon.json --data-root " + work
                        + "/data --exec-root " + work + "/exec --pidfile " + work + "/dockerd.pid -H unix://" + work
                        + "/docker.sock --iptables=false --bridge=none");
        Process p;
        try {
            p = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c", script)
                    .redirectErrorStream(true).redirectOutput(hostWork.resolve("dockerd.log").toFile()).start();
        } catch (IOException e) {
            return unavailable("cannot start unshare: " + e);
        }
        TrixieDocker d = new TrixieDocker(rootfs, work, p);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                String log = d.log();
                d.close();
                return unavailable("dockerd exited with " + p.exitValue() + ": " + log);
            }
            if (d.cli(List.of("version", "--format", "{{.Server.Version}}")).exit() == 0) {
                return d;
            }
            sleep(300);
        }
        String log = d.log();
        d.close();
        return unavailable("dockerd gave no answer within " + START_TIMEOUT.toSeconds() + " s: " + log);
    }

    /**
     * The cached Debian trixie root file system ({@value #CACHE}), built first if it is not there; aborts (or, with
     * {@code CI=true}, fails) the test when it cannot be built. Read it only: running daemons use it.
     */
    public static Path rootfsOrSkip() {
        return rootfs();
    }

    /** The cached root file system, built first if it is not there (the time it took is printed). */
    private static Path rootfs() {
        Path cache = Path.of(CACHE);
        if (Files.isExecutable(cache.resolve("usr/sbin/dockerd"))) {
            return cache;
        }
        if (run(List.of("sh", "-c", "command -v mmdebstrap")).exit() != 0) {
            return unavailable("no mmdebstrap to build " + CACHE + " (apt-get install mmdebstrap)");
        }
        Path tmp = cache.resolveSibling(cache.getFileName() + ".build-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            // mmdebstrap refuses a target whose parent is missing ("unable to get absolute path of target directory"),
            // as on a fresh machine.
            Files.createDirectories(cache.getParent());
        } catch (IOException e) {
            return unavailable("cannot create " + cache.getParent() + ": " + e.getMessage());
        }
        long start = System.nanoTime();
        Result r = run(List.of("mmdebstrap", "--variant=apt", "--include=docker.io", "trixie", tmp.toString()),
                BUILD_TIMEOUT);
        if (r.exit() != 0) {
            deleteTree(tmp);
            return unavailable("mmdebstrap trixie failed (" + r.exit() + "): " + tail(r.out() + r.err()));
        }
        System.out.printf("built %s with mmdebstrap in %d s%n", CACHE,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        try {
            Files.move(tmp, cache);
        } catch (IOException e) {
            // another run built it at the same time: use theirs
            deleteTree(tmp);
        }
        return cache;
    }

    /** The daemon's data-root as the host sees it. */
    Path dataRoot() {
        return rootfs.resolve(work.substring(1)).resolve("data");
    }

    /** A folder inside the root file system for the test's own files (tar files, build contexts). */
    Path workDir() {
        return rootfs.resolve(work.substring(1));
    }

    private String socket() {
        return rootfs.resolve(work.substring(1)).resolve("docker.sock").toString();
    }

    /** Runs the host's docker CLI against this daemon; returns standard output, or throws with standard error. */
    String docker(String... args) {
        Result r = cli(List.of(args));
        if (r.exit() != 0) {
            throw new IllegalStateException("docker " + String.join(" ", args) + " exited with " + r.exit() + ": "
                    + r.err());
        }
        return r.out();
    }

    private Result cli(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", "unix://" + socket()));
        cmd.addAll(args);
        return run(cmd);
    }

    /** {@code GET path} on the Engine API, the response body (throws on a non-2xx status). */
    String api(String path) {
        Result r = run(List.of("curl", "-sS", "--fail", "--unix-socket", socket(), "http://docker" + path));
        if (r.exit() != 0) {
            throw new IllegalStateException("GET " + path + ": " + r.err());
        }
        return r.out();
    }

    /** Runs a command chrooted in the root file system (e.g. {@code ctr} against the daemon's containerd). */
    Result inRoot(String... args) {
        List<String> cmd = new ArrayList<>(List.of("chroot", rootfs.toString()));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /** The daemon's containerd socket, as seen inside the root file system. */
    String containerdSocket() {
        return work + "/exec/containerd/containerd.sock";
    }

    private String log() {
        try {
            return tail(Files.readString(rootfs.resolve(work.substring(1)).resolve("dockerd.log")));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Stops the daemon and its containerd; their namespace, and with it every mount, goes with them. */
    void stop() {
        if (daemon.isAlive()) {
            daemon.destroy();
            try {
                if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                    daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // dockerd stops the containerd it started; one left by a SIGKILL would keep the namespace alive
        Path pid = rootfs.resolve(work.substring(1)).resolve("exec/containerd/containerd.pid");
        try {
            if (Files.isRegularFile(pid)) {
                long id = Long.parseLong(Files.readString(pid).strip());
                ProcessHandle.of(id).filter(h -> h.info().command().orElse("").endsWith("containerd"))
                        .ifPresent(h -> {
                            h.destroy();
                            h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
                        });
            }
        } catch (IOException | NumberFormatException e) {
            // no pid file or no number in it: nothing left to stop
        }
    }

    /** Whether any mount of the host's mount namespace is inside the root file system. */
    boolean anythingMounted() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                    .anyMatch(l -> l.split(" ")[1].startsWith(rootfs.toString()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        stop();
        deleteTree(rootfs.resolve(work.substring(1)));
    }

    record Result(int exit, String out, String err) {
    }

    static Result run(List<String> cmd) {
        return run(cmd, Duration.ofMinutes(2));
    }

    static Result run(List<String> cmd, Duration timeout) {
        try {
            Path out = Files.createTempFile("la-cmd-", ".out");
            Path err = Files.createTempFile("la-cmd-", ".err");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd);
                // the classic builder (the daemon has no buildx), also for a host CLI that would default to BuildKit
                pb.environment().put("DOCKER_BUILDKIT", "0");
                Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                    return new Result(-1, Files.readString(out), "timed out after " + timeout.toSeconds() + " s");
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            return new Result(-1, "", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "", "interrupted");
        }
    }

    private static String tail(String s) {
        return s.length() > 2000 ? "…" + s.substring(s.length() - 2000) : s;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a test folder left behind costs disk, not correctness
        }
    }

    private static <T> T unavailable(String why) {
        if ("true".equals(System.getenv("CI"))) {
            throw new IllegalStateException(why + " (CI=true: this test must run there; .ci/run installs mmdebstrap)");
        }
        Assumptions.abort("no Debian trixie Docker with the containerd image store for this test: " + why);
        throw new AssertionError("unreachable");
    }
}
