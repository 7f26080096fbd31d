package io.layeratlas.dashboard.web;

import java.util.List;

/**
 * RFC 4180 CSV lines. Fields that a spreadsheet would run as a formula ({@code = + - @} and tab/CR first) get a
 * leading apostrophe (OWASP "CSV Injection"), since host IDs and tags come from hosts.
 */
final class Csv {
    private Csv() {
    }

    static String line(List<String> fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            append(sb, fields.get(i));
        }
        return sb.append("\r\n").toString();
    }

    /**
     * Appends {@code value} (null: empty) to {@code line} as one field, escaped as {@link #line} escapes it: for a
     * writer that builds each line in one reused buffer (the layer export, one line per host).
     */
    static StringBuilder append(StringBuilder line, CharSequence value) {
        CharSequence v = value == null ? "" : value;
        int n = v.length();
        boolean formula = n > 0 && formula(v.charAt(0));
        boolean quote = formula || !plain(v);
        if (!quote) {
            return line.append(v);
        }
        line.append('"');
        if (formula) {
            line.append('\'');
        }
        for (int i = 0; i < n; i++) {
            char ch = v.charAt(i);
            if (ch == '"') {
                line.append('"');
            }
            line.append(ch);
        }
        return line.append('"');
    }

    /** Whether a field starting with {@code first} would run as a spreadsheet formula (written quoted, after {@code '}). */
    static boolean formula(char first) {
        return "=+-@\t\r".indexOf(first) >= 0;
    }

    /**
     * Whether {@code v} holds none of the characters that make a field quoted ({@code , " ' CR LF}): a field of such
     * parts is written as it is unless it starts like a {@link #formula}.
     */
    static boolean plain(CharSequence v) {
        for (int i = 0, n = v.length(); i < n; i++) {
            char ch = v.charAt(i);
            if (ch == ',' || ch == '"' || ch == '\n' || ch == '\r' || ch == '\'') {
                return false;
            }
        }
        return true;
    }
}
