package io.layeratlas.db.versions;

/**
 * Alpine's version ordering, as apk-tools compares versions ({@code apk version -t}; apk-tools {@code src/version.c},
 * {@code apk_version_compare}; the format is apk-package(5) and Alpine's APKBUILD reference "pkgver"):
 * {@code number{.number}…[letter]{_suffix[number]}…[-rN]}. Numbers compare as numbers, except that a component after
 * a dot with leading zeros compares as a fraction (each leading zero counts below any plain number: {@code 1.01 < 1.1},
 * {@code 1.001 < 1.01}); a single lower-case letter after the numbers sorts after none ({@code 1.0a > 1.0});
 * suffixes {@code _alpha < _beta < _pre < _rc} sort before the bare version, {@code _cvs < _svn < _git < _hg < _p}
 * after it, each with an optional number; {@code -rN} is the package revision. When every common part is equal, the
 * longer version is newer unless what it has more is a pre-release suffix. Stateless and thread-safe; a malformed
 * version compares by its valid prefix, never throws.
 */
public final class ApkVersion {
    private ApkVersion() {
    }

    private static final int INVALID = -1;
    private static final int DIGIT_OR_ZERO = 0;
    private static final int DIGIT = 1;
    private static final int LETTER = 2;
    private static final int SUFFIX = 3;
    private static final int SUFFIX_NO = 4;
    private static final int REVISION_NO = 5;
    private static final int END = 6;

    private static final String[] PRE_SUFFIXES = {"alpha", "beta", "pre", "rc"};
    private static final String[] POST_SUFFIXES = {"cvs", "svn", "git", "hg", "p"};

    /** A cursor over one version: the type of the next token and the position. */
    private static final class Cursor {
        final String s;
        int pos;
        int type = DIGIT;

        Cursor(String s) {
            this.s = s;
        }

        int remaining() {
            return s.length() - pos;
        }

        char at(int i) {
            return s.charAt(pos + i);
        }
    }

    /** Negative, zero or positive as {@code a} is older than, equal to or newer than {@code b}. */
    public static int compare(String a, String b) {
        Cursor x = new Cursor(a);
        Cursor y = new Cursor(b);
        long av = 0;
        long bv = 0;
        while (x.type == y.type && x.type != END && x.type != INVALID && av == bv) {
            av = token(x);
            bv = token(y);
        }
        if (av != bv) {
            return av < bv ? -1 : 1;
        }
        if (x.type == y.type) {
            return 0;
        }
        // Equal so far: the longer one is newer, unless what follows is a pre-release suffix.
        if (x.type == SUFFIX && preRelease(x)) {
            return -1;
        }
        if (y.type == SUFFIX && preRelease(y)) {
            return 1;
        }
        if (x.type > y.type) {
            return -1;
        }
        if (y.type > x.type) {
            return 1;
        }
        return 0;
    }

    private static boolean preRelease(Cursor c) {
        Cursor probe = new Cursor(c.s);
        probe.pos = c.pos;
        probe.type = c.type;
        return token(probe) < 0;
    }

    private static void next(Cursor c) {
        int n = INVALID;
        if (c.remaining() == 0 || c.at(0) == 0) {
            n = END;
        } else if ((c.type == DIGIT || c.type == DIGIT_OR_ZERO) && isLower(c.at(0))) {
            n = LETTER;
        } else if (c.type == LETTER && DpkgVersion.isDigit(c.at(0))) {
            n = DIGIT;
        } else if (c.type == SUFFIX && DpkgVersion.isDigit(c.at(0))) {
            n = SUFFIX_NO;
        } else {
            switch (c.at(0)) {
                case '.' -> n = DIGIT_OR_ZERO;
                case '_' -> n = SUFFIX;
                case '-' -> {
                    if (c.remaining() > 1 && c.at(1) == 'r') {
                        n = REVISION_NO;
                        c.pos++;
                    }
                }
                default -> {
                }
            }
            c.pos++;
        }
        if (n < c.type) {
            if (!((n == DIGIT_OR_ZERO && c.type == DIGIT)
                    || (n == SUFFIX && c.type == SUFFIX_NO)
                    || (n == DIGIT && c.type == LETTER))) {
                n = INVALID;
            }
        }
        c.type = n;
    }

    private static long token(Cursor c) {
        long v = 0;
        int i = 0;
        int nt = INVALID;
        if (c.remaining() <= 0) {
            c.type = END;
            return 0;
        }
        switch (c.type) {
            case DIGIT_OR_ZERO:
                if (c.at(0) == '0') {
                    while (i < c.remaining() && c.at(i) == '0') {
                        i++;
                    }
                    // more digits follow: they are this component's next token; else the separator decides
                    nt = i < c.remaining() && DpkgVersion.isDigit(c.at(i)) ? DIGIT : INVALID;
                    v = -i;
                    break;
                }
                // fall through: a plain number
            case DIGIT:
            case SUFFIX_NO:
            case REVISION_NO:
                while (i < c.remaining() && DpkgVersion.isDigit(c.at(i))) {
                    // saturate instead of overflowing: such numbers are equal to apk-tools as well in practice
                    v = v > Long.MAX_VALUE / 10 ? Long.MAX_VALUE : v * 10 + (c.at(i) - '0');
                    i++;
                }
                break;
            case LETTER:
                v = c.at(i++);
                break;
            case SUFFIX: {
                int k = suffix(c, PRE_SUFFIXES);
                if (k >= 0) {
                    nt = SUFFIX_NO;
                    i = PRE_SUFFIXES[k].length();
                    v = k - PRE_SUFFIXES.length;
                    break;
                }
                k = suffix(c, POST_SUFFIXES);
                if (k >= 0) {
                    nt = SUFFIX_NO;
                    i = POST_SUFFIXES[k].length();
                    v = k;
                    break;
                }
                c.type = INVALID;
                return -1;
            }
            default:
                c.type = INVALID;
                return -1;
        }
        c.pos += i;
        if (c.remaining() == 0) {
            c.type = END;
        } else if (nt != INVALID) {
            c.type = nt;
        } else {
            next(c);
        }
        return v;
    }

    private static int suffix(Cursor c, String[] names) {
        for (int k = 0; k < names.length; k++) {
            if (c.s.startsWith(names[k], c.pos)) {
                return k;
            }
        }
        return -1;
    }

    private static boolean isLower(char c) {
        return c >= 'a' && c <= 'z';
    }
}
