package io.layeratlas.db.versions;

import io.layeratlas.testing.Requires;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each ecosystem's version ordering against the package manager's own answer: {@code dpkg --compare-versions} and
 * rpm's {@code rpm.vercmp()} (Debian's {@code rpm} package), run by the test on hand-picked and generated pairs.
 */
class VersionOrderingTruthTest {

    /** Pairs that have bitten real version comparators: tildes, epochs, revisions, leading zeros, letters. */
    static final List<String[]> DPKG_TRICKY = pairs(
            "1.0~rc1 1.0", "1.0 1.0+b1", "1:0.1 2.0", "3.0.7-1~deb12u1 3.0.7-1", "3.0.7-1~deb12u1 3.0.8",
            "3.0.11-1~deb12u2 3.0.7-1~deb12u1", "1.0a 1.0+", "1.0 1.0.0", "1.0-0 1.0", "0:1 1", "1.01 1.1",
            "1.0~ 1.0", "1.0~~ 1.0~", "1.0~~a 1.0~~", "1.0-1 1.0-1.1", "2.36-9+deb12u4 2.36-9+deb12u10", "1a 1A",
            "1.2.3-4ubuntu1 1.2.3-4", "10:1 9:99", "1.0-a 1.0-A", "1.0+dfsg-1 1.0-1", "1.0.0~alpha.1 1.0.0~beta",
            "7.88.1-10+deb12u5 7.88.1-10+deb12u12", "000001 1", "1.00000000000000000000000000001 1.1",
            "1:1.1.1w-0+deb11u1 1:1.1.1n-0+deb11u5", "1-2-3 1-2", "1.0-2.0-1 1.0-2.0-1~", "1.a 1.0");

    static final List<String[]> RPM_TRICKY = pairs(
            "1.0~rc1 1.0", "1.0 1.0^git1", "1.0^git1 1.0.1", "1.0^ 1.0", "1.0~rc1^git1 1.0~rc1", "1:1.0 2.0",
            "3.0.7-16.el9 3.0.8", "3.0.7-16.el9 3.0.7", "3.0.7-16.el9_2 3.0.7-16.el9", "1.0 1.0.0", "1.01 1.1",
            "1.0a 1.0", "1.0a 1.0.1", "1.a 1.1", "2.0_1 2.0.1", "1.0-1 1.0-1.1", "1.0-2 1.0-10", "0:1 1", ":1 1",
            "a:1 1", "1.0- 1.0", "1.0 1.0-", "1.0-1 1.0", "abc abd", "a b", "1..0 1.0", "1.0.. 1.0", "FC5 fc4",
            "1~ 1~~", "1^ 1^^", "1.0~^ 1.0~", "5.5p1 5.5p10", "10b2 10a1", "0 00", "1.0+ 1.0", "+ _",
            "1.0.0000000000000000000000000000001 1.0.1");

    @Test
    void dpkg_ordering_agrees_with_dpkg_compare_versions(@TempDir Path tmp) throws Exception {
        Requires.executable("/usr/bin/dpkg", "dpkg");
        List<String[]> pairs = new ArrayList<>(DPKG_TRICKY);
        Random random = new Random(15);
        Set<String> seen = new LinkedHashSet<>();
        while (seen.size() < 1_000) {
            String[] p = {dpkgVersion(random), dpkgVersion(random)};
            if (seen.add(p[0] + " " + p[1])) {
                pairs.add(p);
            }
        }
        // Also every generated version against a near neighbour: random pairs are rarely close.
        for (int i = 0; i < 300; i++) {
            String v = dpkgVersion(random);
            pairs.add(new String[]{v, v + (random.nextBoolean() ? "~" : "0")});
        }
        List<Integer> truth = run(tmp, pairs, """
                while read -r a b; do
                  if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then echo -1
                  elif dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo 0
                  else echo 1; fi
                done < "$1"
                """);
        assertAgrees(pairs, truth, DpkgVersion::compare, "dpkg --compare-versions");
    }

    @Test
    void rpm_ordering_agrees_with_rpm_vercmp(@TempDir Path tmp) throws Exception {
        Requires.executable("/usr/bin/rpm", "rpm");
        List<String[]> pairs = new ArrayList<>(RPM_TRICKY);
        Random random = new Random(15);
        Set<String> seen = new LinkedHashSet<>();
        while (seen.size() < 3_000) {
            String[] p = {rpmVersion(random), rpmVersion(random)};
            if (seen.add(p[0] + " " + p[1])) {
                pairs.add(p);
            }
        }
        for (int i = 0; i < 1_000; i++) {
            String v = rpmVersion(random);
            String[] tails = {"~", "^", "0", ".0", "a", "-1", "_", "~rc1", "^1"};
            pairs.add(new String[]{v, v + tails[random.nextInt(tails.length)]});
        }
        // One rpm process for all pairs: its Lua reads them and prints rpm.vercmp of each.
        List<Integer> truth = run(tmp, pairs, """
                rpm --eval "%{lua: for l in io.lines('$1') do local a, b = l:match('^(%S+) (%S+)$'); print(rpm.vercmp(a, b) .. '\\n') end}"
                """);
        assertAgrees(pairs, truth, RpmVersion::compare, "rpm.vercmp");
    }

    private static void assertAgrees(List<String[]> pairs, List<Integer> truth, BiFunction<String, String, Integer> ours,
                                     String tool) {
        assertThat(truth).as("answers of " + tool).hasSize(pairs.size());
        List<String> disagreements = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            String[] p = pairs.get(i);
            int want = Integer.signum(truth.get(i));
            int got = Integer.signum(ours.apply(p[0], p[1]));
            int reverse = Integer.signum(ours.apply(p[1], p[0]));
            if (got != want || reverse != -want) {
                disagreements.add(p[0] + " vs " + p[1] + ": " + tool + " says " + want + ", we say " + got
                        + " (reversed " + reverse + ")");
            }
        }
        assertThat(disagreements).isEmpty();
        // The generated pairs must cover all three answers, or the check proves little.
        assertThat(truth.stream().map(Integer::signum).distinct()).contains(-1, 0, 1);
    }

    private static List<Integer> run(Path tmp, List<String[]> pairs, String script) throws IOException, InterruptedException {
        Path input = tmp.resolve("pairs");
        List<String> lines = new ArrayList<>();
        for (String[] p : pairs) {
            lines.add(p[0] + " " + p[1]);
        }
        Files.write(input, lines, StandardCharsets.UTF_8);
        Process process = new ProcessBuilder("bash", "-c", script, "truth", input.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as("exit status of the truth script").isZero();
        List<Integer> answers = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                answers.add(Integer.parseInt(line.strip()));
            }
        }
        return answers;
    }

    private static final String[] DPKG_PIECES = {"0", "1", "2", "9", "10", "01", "007", "123456789012345678901234567890",
            "a", "b", "z", "A", "Z", "rc", "~", "~~", "+", ".", "~rc1", "+b1", "deb12u", "ubuntu"};

    /** A version dpkg accepts: optional epoch, upstream starting with a digit, optional revision. */
    static String dpkgVersion(Random r) {
        StringBuilder sb = new StringBuilder();
        if (r.nextInt(5) == 0) {
            sb.append(r.nextInt(3)).append(':');
        }
        sb.append(r.nextInt(4));
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
            sb.append(DPKG_PIECES[r.nextInt(DPKG_PIECES.length)]);
        }
        if (r.nextInt(3) > 0) {
            if (r.nextInt(6) == 0) {
                sb.append("-1");
            }
            sb.append('-').append(r.nextInt(3));
            int m = r.nextInt(3);
            for (int i = 0; i < m; i++) {
                sb.append(DPKG_PIECES[r.nextInt(DPKG_PIECES.length)]);
            }
        }
        return sb.toString();
    }

    private static final String[] RPM_PIECES = {"0", "1", "2", "9", "10", "01", "007", "123456789012345678901234567890",
            "a", "b", "z", "A", "Z", "rc", "~", "^", ".", "_", "+", "el9", "fc38", "git", "p1", ".."};

    /** A version string rpm compares: any mix of segments, separators, tildes, carets, epoch and release. */
    static String rpmVersion(Random r) {
        StringBuilder sb = new StringBuilder();
        if (r.nextInt(6) == 0) {
            sb.append(r.nextInt(3)).append(':');
        }
        int n = 1 + r.nextInt(5);
        for (int i = 0; i < n; i++) {
            sb.append(RPM_PIECES[r.nextInt(RPM_PIECES.length)]);
        }
        if (r.nextInt(3) == 0) {
            sb.append('-');
            int m = r.nextInt(3);
            for (int i = 0; i < m; i++) {
                sb.append(RPM_PIECES[r.nextInt(RPM_PIECES.length)]);
            }
        }
        return sb.toString();
    }

    static List<String[]> pairs(String... pairs) {
        List<String[]> out = new ArrayList<>();
        for (String p : pairs) {
            out.add(p.split(" "));
        }
        return out;
    }
}
