package io.layeratlas.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.File;

/**
 * Tests that need a program from Debian's packages (chromium, chromedriver, dockerd) call this first. On a
 * developer's machine without it the test is skipped with the install command; in CI ({@code CI=true}, where
 * {@code .ci/run} installs the packages) a missing program fails the test, so a missing install step shows.
 */
public final class Requires {
    private Requires() {
    }

    /**
     * @param path       the program, e.g. {@code /usr/bin/chromium}
     * @param debPackage the Debian package that provides it
     */
    public static void executable(String path, String debPackage) {
        if (new File(path).canExecute()) {
            return;
        }
        String message = path + " is missing: apt-get install " + debPackage + " (.ci/run does)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(message);
        }
        Assumptions.abort(message);
    }
}
