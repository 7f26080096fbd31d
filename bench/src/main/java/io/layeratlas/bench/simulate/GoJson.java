package io.layeratlas.bench.simulate;

/**
 * JSON string quoting as Go's {@code encoding/json} does it, which is what Docker writes: {@code <}, {@code >} and
 * {@code &} become {@code \u003c}, {@code \u003e}, {@code \u0026}, and U+2028/U+2029 are escaped too.
 */
public final class GoJson {
    private GoJson() {
    }

    /** Appends {@code s} as a quoted JSON string; {@code null} as {@code null}. */
    public static StringBuilder quote(StringBuilder out, String s) {
        if (s == null) {
            return out.append("null");
        }
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '<' -> out.append("\\u003c");
                case '>' -> out.append("\\u003e");
                case '&' -> out.append("\\u0026");
                case '\u2028' -> out.append("\\u2028");
                case '\u2029' -> out.append("\\u2029");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"');
    }

    public static String quote(String s) {
        return quote(new StringBuilder(), s).toString();
    }
}
