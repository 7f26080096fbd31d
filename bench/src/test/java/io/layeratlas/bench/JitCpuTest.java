package io.layeratlas.bench;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class JitCpuTest {

    /** ps(1)'s threads of {@code pid} named as HotSpot's compiler threads, each with its CPU time in whole seconds. */
    private static Map<Long, Long> psCompilerThreads(long pid) throws IOException, InterruptedException {
        Process ps = new ProcessBuilder("ps", "-L", "-o", "tid=,comm=,time=", "-p", Long.toString(pid))
                .redirectErrorStream(true).start();
        String out = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ps.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Map<Long, Long> threads = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            // tid, comm (two words: "C2 CompilerThre"), time as [DD-]HH:MM:SS
            if (f.length == 4 && (f[1].equals("C1") || f[1].equals("C2")) && f[2].startsWith("CompilerThre")) {
                String[] hms = f[3].substring(f[3].indexOf('-') + 1).split(":");
                long days = f[3].contains("-") ? Long.parseLong(f[3].substring(0, f[3].indexOf('-'))) : 0;
                threads.put(Long.parseLong(f[0]), ((days * 24 + Long.parseLong(hms[0])) * 60 + Long.parseLong(hms[1])) * 60
                        + Long.parseLong(hms[2]));
            }
        }
        return threads;
    }

    @Test
    void finds_this_jvms_compiler_threads_as_ps_lists_them_with_their_cpu_time() throws Exception {
        long pid = ProcessHandle.current().pid();
        Map<Long, Long> before = JitCpu.sample(pid);
        Map<Long, Long> ps = psCompilerThreads(pid);
        Map<Long, Long> after = JitCpu.sample(pid);

        // A JVM running tests has compiled by now: HotSpot keeps at least one C1 and one C2 thread (-Xint aside).
        assertThat(ps).isNotEmpty();
        for (Map.Entry<Long, Long> e : ps.entrySet()) {
            if (before.containsKey(e.getKey()) && after.containsKey(e.getKey())) {
                // ps truncates to whole seconds; the samples bracket it
                assertThat(before.get(e.getKey()) / 100).isLessThanOrEqualTo(e.getValue());
                assertThat(e.getValue()).isLessThanOrEqualTo(after.get(e.getKey()) / 100);
            }
        }
        assertThat(after.keySet()).containsAnyElementsOf(ps.keySet());
        assertThat(JitCpu.millisBetween(before, after)).isGreaterThanOrEqualTo(0);
    }

    @Test
    void counts_what_each_thread_used_between_samples_and_all_of_a_new_ones() {
        // thread 7 used 3 ticks more, 8 started since with 5, 9 ended: 8 ticks of 10 ms
        assertThat(JitCpu.millisBetween(Map.of(7L, 10L, 9L, 40L), Map.of(7L, 13L, 8L, 5L))).isEqualTo(80);
        assertThat(JitCpu.millisBetween(Map.of(), Map.of())).isZero();
    }

    @Test
    void a_process_that_is_not_there_has_no_compiler_threads() {
        assertThat(JitCpu.sample(Long.MAX_VALUE)).isEmpty();
    }
}
