package io.layeratlas.bench.simulate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The threads the simulator encodes and compresses on, standing in for the fleet's agents. Agents run on their own
 * hosts: a fleet's encoding and zstd compression cost the indexer's machine nothing, only the bytes the broker takes
 * in do. A simulator on the indexer's machine takes that CPU from the indexer instead (JFR of the indexer child,
 * {@code bench --scale full --hosts 1000}, churn round: the simulator's threads held about 70 % of the two cores and
 * the indexer got 10-30 %), so these threads run at the lowest scheduling priority (Linux {@code nice} 19, set per
 * thread with {@code renice} on the thread's own task ID from {@code /proc/thread-self}): they use what the broker,
 * the indexer, PostgreSQL and the dashboard leave idle, and the broker receiving the records keeps its normal
 * priority. Where that cannot be set (not Linux, no {@code renice}) the threads run at normal priority and a warning
 * says so once.
 */
final class AgentThreads {
    private static final Logger log = LoggerFactory.getLogger(AgentThreads.class);
    /** The nice value of agent threads: the lowest priority Linux has. */
    static final int NICE = 19;
    private static final AtomicBoolean warned = new AtomicBoolean();

    /** One pool for every simulator of the process, as many threads as cores (daemon threads, never shut down). */
    private static final ForkJoinPool POOL = new ForkJoinPool(Runtime.getRuntime().availableProcessors(), pool -> {
        ForkJoinWorkerThread t = new ForkJoinWorkerThread(pool) {
            @Override
            protected void onStart() {
                super.onStart();
                lowerPriority();
            }
        };
        t.setName("simulated-agent-" + t.getPoolIndex());
        return t;
    }, null, false);

    private AgentThreads() {
    }

    /** The pool; a parallel stream started from one of its tasks runs on its threads. */
    static ForkJoinPool pool() {
        return POOL;
    }

    /** Sets the calling thread's nice value to {@link #NICE}; warns once when it cannot. */
    private static void lowerPriority() {
        try {
            // "<pid>/task/<tid>": on Linux a thread is a task, and setpriority(2) (renice -p) takes its ID.
            String tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
            Process p = new ProcessBuilder("renice", "-n", String.valueOf(NICE), "-p", tid)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                warn("renice -n " + NICE + " -p " + tid + " failed");
            }
        } catch (java.io.IOException | UnsupportedOperationException e) {
            warn(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void warn(String why) {
        if (warned.compareAndSet(false, true)) {
            log.warn("simulated agents run at normal priority and compete with the indexer for CPU: {}", why);
        }
    }
}
