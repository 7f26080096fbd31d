package io.layeratlas.ingest.packages;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real package tools the tests take their truth from. */
final class Tools {
    private Tools() {
    }

    /** Standard output of a command that must succeed. */
    static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
            p.getOutputStream().close();
            var err = p.getErrorStream();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String errText = new String(err.readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + errText);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Aborts the test when a tool is missing, or fails it under CI ({@code .ci/run} installs it). */
    static void require(String tool, String debianPackage) {
        try {
            Process p = new ProcessBuilder("sh", "-c", "command -v " + tool).start();
            if (p.waitFor() == 0) {
                return;
            }
        } catch (IOException e) {
            // fall through
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String why = "no " + tool + " on PATH (apt-get install " + debianPackage + ")";
        if ("true".equals(System.getenv("CI"))) {
            throw new IllegalStateException(why + "; CI=true: .ci/run installs it");
        }
        Assumptions.abort(why);
    }

    static List<String> lines(String text) {
        return text.lines().filter(l -> !l.isBlank()).sorted().toList();
    }
}
