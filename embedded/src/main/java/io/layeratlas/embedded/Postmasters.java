package io.layeratlas.embedded;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What keeps an embedded PostgreSQL tied to the process that started it: a leftover postmaster of a dead process is
 * found through its {@code postmaster.pid} and stopped, and a watchdog process stops the postmaster when this JVM
 * is gone (SIGKILL, OOM killer), so the server never outlives its owner for long.
 *
 * <p>{@code postmaster.pid} is PostgreSQL's lock file in the data directory (src/include/utils/pidfile.h): line 1
 * the postmaster's PID, line 2 the data directory, line 3 the start time (epoch seconds), line 4 the port, then the
 * socket directory, listen address, shared memory key and status. PostgreSQL removes it on a clean shutdown.
 *
 * <p>Signals follow PostgreSQL's server-shutdown documentation: SIGINT is "fast shutdown" (clients are disconnected,
 * a checkpoint is written); SIGQUIT is "immediate shutdown" (crash recovery from WAL on the next start). Linux and
 * macOS only: the watchdog is a {@code /bin/sh} script and signals are sent with {@code kill}.
 */
final class Postmasters {
    private static final Logger log = LoggerFactory.getLogger(Postmasters.class);
    static final String PID_FILE = "postmaster.pid";
    /** A fast shutdown writes a checkpoint; on a busy small machine that can take a while. */
    private static final Duration FAST_SHUTDOWN_WAIT = Duration.ofSeconds(30);
    private static final Duration IMMEDIATE_SHUTDOWN_WAIT = Duration.ofSeconds(10);

    private Postmasters() {
    }

    /** The postmaster PID named by {@code dataDir/postmaster.pid}, if the file exists and its first line is a number. */
    static Optional<Long> pidOf(Path dataDir) {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve(PID_FILE), StandardCharsets.UTF_8);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Makes {@code dataDir} free for a new postmaster: a live PostgreSQL that its {@code postmaster.pid} names (left
     * running by a process that died) is shut down, fast and then immediate; a pid file naming no live PostgreSQL
     * (left by a crash, the PID maybe reused since) is removed, as PostgreSQL would refuse to start over a live PID.
     *
     * @throws IllegalStateException if the postmaster does not stop
     */
    static void stopLeftover(Path dataDir) {
        Path pidFile = dataDir.resolve(PID_FILE);
        if (!Files.exists(pidFile)) {
            return;
        }
        Optional<ProcessHandle> postmaster = pidOf(dataDir).flatMap(ProcessHandle::of)
                .filter(ProcessHandle::isAlive).filter(Postmasters::isPostgres);
        if (postmaster.isEmpty()) {
            log.info("removing the stale {} (no PostgreSQL runs under the PID it names)", pidFile);
            deleteIfExists(pidFile);
            return;
        }
        ProcessHandle pm = postmaster.get();
        log.warn("PostgreSQL (PID {}) left running on {} by a process that is gone; shutting it down", pm.pid(), dataDir);
        signal(pm, "INT");
        if (!awaitExit(pm, FAST_SHUTDOWN_WAIT)) {
            log.warn("PostgreSQL (PID {}) did not stop within {} s; immediate shutdown", pm.pid(), FAST_SHUTDOWN_WAIT.toSeconds());
            signal(pm, "QUIT");
            if (!awaitExit(pm, IMMEDIATE_SHUTDOWN_WAIT)) {
                throw new IllegalStateException("PostgreSQL (PID " + pm.pid() + ") left running on " + dataDir
                        + " does not stop; stop it by hand (pg_ctl stop -D " + dataDir + ")");
            }
        }
        // After an immediate shutdown the pid file stays; the next postmaster sees the dead PID and replaces it.
    }

    private static boolean isPostgres(ProcessHandle p) {
        // Without /proc access (another user's process) the command is unknown: treat it as a server rather than
        // delete the lock file of a server that may be running.
        return p.info().command().map(c -> Path.of(c).getFileName().toString().startsWith("postgres")).orElse(true);
    }

    private static void signal(ProcessHandle p, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).redirectErrorStream(true).start();
            kill.getInputStream().readAllBytes();
            kill.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal + " " + p.pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling PostgreSQL " + p.pid(), e);
        }
    }

    private static boolean awaitExit(ProcessHandle p, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (p.isAlive() && Instant.now().isBefore(deadline)) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !p.isAlive();
            }
        }
        return !p.isAlive();
    }

    static void deleteIfExists(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + file, e);
        }
    }

    /**
     * The watchdog script. Its stdin is a pipe from this JVM: the first line is the postmaster's PID once it runs;
     * end of input means the JVM is gone (the kernel closes the pipe however the JVM ended). It then stops the
     * postmaster if {@code postmaster.pid} still names it (after a clean stop the file is gone, so a reused PID is
     * never signalled). Terminal signals are ignored so that Ctrl-C leaves the orderly stop to the JVM.
     */
    private static final String WATCHDOG = """
            trap '' INT QUIT HUP
            dir=$1
            read -r pid
            cat >/dev/null
            [ -n "$pid" ] || pid=$(head -n 1 "$dir/postmaster.pid" 2>/dev/null)
            [ -n "$pid" ] || exit 0
            [ "$(head -n 1 "$dir/postmaster.pid" 2>/dev/null)" = "$pid" ] || exit 0
            kill -INT "$pid" 2>/dev/null || exit 0
            i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do sleep 1; i=$((i+1)); done
            kill -0 "$pid" 2>/dev/null && kill -QUIT "$pid"
            exit 0
            """;

    /**
     * A watchdog process for the postmaster on one data directory. Start it before the postmaster; tell it the PID
     * once known; {@link #close()} after the postmaster was stopped ends it without a signal.
     */
    static final class Watchdog implements AutoCloseable {
        private final Process process;
        private final OutputStream toWatchdog;

        private Watchdog(Process process) {
            this.process = process;
            this.toWatchdog = process.getOutputStream();
        }

        /** @throws UncheckedIOException if {@code /bin/sh} cannot be started */
        static Watchdog start(Path dataDir) {
            try {
                Process p = new ProcessBuilder("/bin/sh", "-c", WATCHDOG, "layeratlas-postgres-watchdog", dataDir.toString())
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
                return new Watchdog(p);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the PostgreSQL watchdog (/bin/sh)", e);
            }
        }

        /** Tells the watchdog which postmaster to stop if this JVM dies. */
        void watch(long postmasterPid) {
            try {
                toWatchdog.write((postmasterPid + "\n").getBytes(StandardCharsets.US_ASCII));
                toWatchdog.flush();
            } catch (IOException e) {
                log.warn("the PostgreSQL watchdog is gone ({}); the server would outlive a crash of this process", e.toString());
            }
        }

        /** The watchdog's PID, for tests. */
        long pid() {
            return process.pid();
        }

        /** Ends the watchdog: it finds no postmaster.pid naming its postmaster (call after stopping it) and exits. */
        @Override
        public void close() {
            try {
                toWatchdog.close();
            } catch (IOException e) {
                // The watchdog already ended: nothing to wait for.
            }
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroy();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroy();
            }
        }
    }
}
