package io.layeratlas.db.versions;

/**
 * Debian's version ordering, as {@code dpkg --compare-versions} applies it (Debian Policy 5.6.12 "Version"; dpkg
 * {@code lib/dpkg/version.c}, {@code verrevcmp} and {@code dpkg_version_compare}). A version is
 * {@code [epoch:]upstream_version[-debian_revision]}: the epoch (digits before the first {@code :}, 0 when absent)
 * compares as a number; then the upstream version and the revision (after the last {@code -}, empty when absent)
 * compare part by part: a run of non-digits character by character, letters before non-letters and {@code ~} before
 * everything (even the end), then a run of digits as a number. Leading and trailing blanks are ignored, as dpkg does.
 * Stateless and thread-safe; never throws on a string dpkg would refuse (a non-numeric epoch compares as text).
 */
public final class DpkgVersion {
    private DpkgVersion() {
    }

    /** Negative, zero or positive as {@code a} is older than, equal to or newer than {@code b}. */
    public static int compare(String a, String b) {
        String[] x = split(a.strip());
        String[] y = split(b.strip());
        int c = compareEpochs(x[0], y[0]);
        if (c != 0) {
            return c;
        }
        c = verrevcmp(x[1], y[1]);
        return c != 0 ? c : verrevcmp(x[2], y[2]);
    }

    /** epoch, upstream version, revision. */
    private static String[] split(String v) {
        int colon = v.indexOf(':');
        String epoch = colon < 0 ? "0" : v.substring(0, colon);
        String rest = colon < 0 ? v : v.substring(colon + 1);
        int hyphen = rest.lastIndexOf('-');
        return hyphen < 0 ? new String[]{epoch, rest, ""}
                : new String[]{epoch, rest.substring(0, hyphen), rest.substring(hyphen + 1)};
    }

    private static int compareEpochs(String a, String b) {
        if (allDigits(a) && allDigits(b)) {
            return compareNumbers(a, b);
        }
        return a.compareTo(b);
    }

    private static boolean allDigits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Two runs of ASCII digits compared as numbers of any length. */
    static int compareNumbers(String a, String b) {
        String x = stripZeros(a);
        String y = stripZeros(b);
        if (x.length() != y.length()) {
            return Integer.compare(x.length(), y.length());
        }
        return Integer.signum(x.compareTo(y));
    }

    private static String stripZeros(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == '0') {
            i++;
        }
        return s.substring(i);
    }

    private static int order(int c) {
        if (isDigit(c)) {
            return 0;
        } else if (isAlpha(c)) {
            return c;
        } else if (c == '~') {
            return -1;
        } else if (c != 0) {
            return c + 256;
        }
        return 0;
    }

    private static int verrevcmp(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() || j < b.length()) {
            while ((i < a.length() && !isDigit(a.charAt(i))) || (j < b.length() && !isDigit(b.charAt(j)))) {
                int ac = order(i < a.length() ? a.charAt(i) : 0);
                int bc = order(j < b.length() ? b.charAt(j) : 0);
                if (ac != bc) {
                    return ac - bc;
                }
                i++;
                j++;
            }
            int si = i;
            while (i < a.length() && isDigit(a.charAt(i))) {
                i++;
            }
            int sj = j;
            while (j < b.length() && isDigit(b.charAt(j))) {
                j++;
            }
            int c = compareNumbers(a.substring(si, i), b.substring(sj, j));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    static boolean isAlpha(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
}
