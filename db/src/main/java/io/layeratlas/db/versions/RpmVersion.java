package io.layeratlas.db.versions;

/**
 * RPM's version ordering, as {@code rpm.vercmp()} and dependency resolution apply it (rpm {@code rpmio/rpmvercmp.c}
 * {@code rpmvercmp}, {@code lib/rpmver.c} {@code rpmverCmp} as rpm 4.18 answers, {@code lib/rpmds.c} {@code parseEVR}). A version is
 * {@code [epoch:]version[-release]}: epochs compare first (0 when absent), then versions, then releases, a missing
 * release older than any ({@code 3.0.7 < 3.0.7-16.el9}), as rpm 4.18's {@code rpm.vercmp()} answers. Each part compares segment by
 * segment: runs of ASCII letters or digits, separators skipped; numbers as numbers and newer than letters;
 * {@code ~} sorts before everything (even the end: {@code 1.0~rc1 < 1.0}); {@code ^} sorts after the end but before
 * any other segment ({@code 1.0 < 1.0^git1 < 1.0.1}). Stateless and thread-safe; never throws.
 */
public final class RpmVersion {
    private RpmVersion() {
    }

    /** Negative, zero or positive as {@code a} is older than, equal to or newer than {@code b} (EVR comparison). */
    public static int compare(String a, String b) {
        String[] x = parseEvr(a);
        String[] y = parseEvr(b);
        int c = rpmvercmp(x[0] == null ? "0" : x[0], y[0] == null ? "0" : y[0]);
        if (c == 0) {
            c = rpmvercmp(x[1], y[1]);
            if (c == 0 && (x[2] != null || y[2] != null)) {
                // A missing release is older than any release, even an empty one (rpm 4.18's rpm.vercmp).
                c = x[2] == null ? -1 : y[2] == null ? 1 : rpmvercmp(x[2], y[2]);
            }
        }
        return c;
    }

    /** epoch (null if absent), version, release (null if absent), as {@code parseEVR} splits them. */
    private static String[] parseEvr(String evr) {
        int s = 0;
        while (s < evr.length() && DpkgVersion.isDigit(evr.charAt(s))) {
            s++;
        }
        int hyphen = evr.lastIndexOf('-');
        String epoch = null;
        int versionStart = 0;
        if (s < evr.length() && evr.charAt(s) == ':') {
            epoch = s == 0 ? "0" : evr.substring(0, s);
            versionStart = s + 1;
        }
        if (hyphen >= versionStart) {
            return new String[]{epoch, evr.substring(versionStart, hyphen), evr.substring(hyphen + 1)};
        }
        return new String[]{epoch, evr.substring(versionStart), null};
    }

    /** {@code rpmvercmp} on two version (or release) strings. */
    static int rpmvercmp(String a, String b) {
        if (a.equals(b)) {
            return 0;
        }
        int one = 0;
        int two = 0;
        while (one < a.length() || two < b.length()) {
            while (one < a.length() && !isSegmentStart(a.charAt(one))) {
                one++;
            }
            while (two < b.length() && !isSegmentStart(b.charAt(two))) {
                two++;
            }
            char c1 = one < a.length() ? a.charAt(one) : 0;
            char c2 = two < b.length() ? b.charAt(two) : 0;
            if (c1 == '~' || c2 == '~') {
                if (c1 != '~') {
                    return 1;
                }
                if (c2 != '~') {
                    return -1;
                }
                one++;
                two++;
                continue;
            }
            if (c1 == '^' || c2 == '^') {
                if (c1 == 0) {
                    return -1;
                }
                if (c2 == 0) {
                    return 1;
                }
                if (c1 != '^') {
                    return 1;
                }
                if (c2 != '^') {
                    return -1;
                }
                one++;
                two++;
                continue;
            }
            if (c1 == 0 || c2 == 0) {
                break;
            }
            int end1 = one;
            int end2 = two;
            boolean numeric = DpkgVersion.isDigit(c1);
            if (numeric) {
                while (end1 < a.length() && DpkgVersion.isDigit(a.charAt(end1))) {
                    end1++;
                }
                while (end2 < b.length() && DpkgVersion.isDigit(b.charAt(end2))) {
                    end2++;
                }
            } else {
                while (end1 < a.length() && DpkgVersion.isAlpha(a.charAt(end1))) {
                    end1++;
                }
                while (end2 < b.length() && DpkgVersion.isAlpha(b.charAt(end2))) {
                    end2++;
                }
            }
            if (end2 == two) {
                // one segment numeric, the other alphabetic: numbers are newer
                return numeric ? 1 : -1;
            }
            String s1 = a.substring(one, end1);
            String s2 = b.substring(two, end2);
            int c = numeric ? DpkgVersion.compareNumbers(s1, s2) : Integer.signum(s1.compareTo(s2));
            if (c != 0) {
                return c;
            }
            one = end1;
            two = end2;
        }
        boolean oneDone = one >= a.length();
        boolean twoDone = two >= b.length();
        if (oneDone && twoDone) {
            return 0;
        }
        return oneDone ? -1 : 1;
    }

    private static boolean isSegmentStart(char c) {
        return DpkgVersion.isDigit(c) || DpkgVersion.isAlpha(c) || c == '~' || c == '^';
    }
}
