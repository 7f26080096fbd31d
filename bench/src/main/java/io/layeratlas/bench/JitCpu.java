package io.layeratlas.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time of a HotSpot JVM's JIT compiler threads ({@code C1 CompilerThread*}, {@code C2 CompilerThread*}), read from
 * {@code /proc/<pid>/task/<tid>/comm} and {@code stat} (Linux, proc(5): {@code utime} and {@code stime}, fields 14 and
 * 15, in clock ticks of 1/100 s, the USER_HZ of every Linux architecture Java runs on). Lets the bench see whether a
 * child JVM it started is still compiling, without attaching to it.
 */
final class JitCpu {
    private static final long MS_PER_TICK = 10;

    private JitCpu() {
    }

    /** Compiler threads of {@code pid} by thread ID, each with its CPU time in ticks; empty when /proc cannot say. */
    static Map<Long, Long> sample(long pid) {
        Map<Long, Long> ticks = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    String comm = Files.readString(task.resolve("comm")).trim();
                    if (!comm.startsWith("C1 CompilerThre") && !comm.startsWith("C2 CompilerThre")) {
                        continue;
                    }
                    String stat = Files.readString(task.resolve("stat"));
                    // The thread name (field 2) may hold spaces: the fields after it start past its closing ')'.
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
                    ticks.put(Long.parseLong(task.getFileName().toString()), Long.parseLong(f[11]) + Long.parseLong(f[12]));
                } catch (IOException | RuntimeException gone) {
                    // the thread ended between the listing and the read: it compiles no more
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return ticks;
    }

    /**
     * Milliseconds of compiler CPU between two samples: what each thread present in both used, plus all of what a
     * thread started since used. A compiler thread that ended in between (HotSpot stops idle ones) is not counted.
     */
    static long millisBetween(Map<Long, Long> before, Map<Long, Long> after) {
        long t = 0;
        for (Map.Entry<Long, Long> e : after.entrySet()) {
            t += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return Math.max(0, t) * MS_PER_TICK;
    }
}
