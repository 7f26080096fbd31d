package io.layeratlas.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Resident set size from {@code /proc/<pid>/status} (Linux), in bytes. */
public final class Rss {
    private Rss() {
    }

    public static OptionalLong self() {
        return of(ProcessHandle.current().pid());
    }

    /** RSS of any process on this machine, e.g. an indexer started as a child process. */
    public static OptionalLong of(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    String kb = line.substring(6).trim().split("\\s+")[0];
                    return OptionalLong.of(Long.parseLong(kb) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }
}
