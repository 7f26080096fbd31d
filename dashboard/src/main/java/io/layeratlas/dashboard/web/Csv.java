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
            sb.append(field(fields.get(i)));
        }
        return sb.append("\r\n").toString();
    }

    static String field(String value) {
        String v = value == null ? "" : value;
        if (!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0) {
            v = "'" + v;
        }
        if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r") || v.contains("'")) {
            return "\"" + v.replace("\"", "\"\"") + "\"";
        }
        return v;
    }
}
