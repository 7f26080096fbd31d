package io.layeratlas.ingest.packages;

import io.layeratlas.events.Problem;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Splits a text database into paragraphs of {@code key → value} fields, the shape dpkg's status file (deb822:
 * Debian Policy 5.1, {@code deb-control(5)}) and apk's installed file share. One rule for both, with the two
 * differences as parameters: dpkg separates key and value by {@code ": "} and continues a value on lines that start
 * with a space or tab (kept out of the value: only the first line matters here); apk writes {@code K:value}, one
 * letter, no continuation lines. Paragraphs are separated by lines that are empty or hold only spaces and tabs.
 * A field repeated within a paragraph keeps its first value (apk repeats file fields, which are not read).
 * A line that is neither a field nor a continuation is a problem naming its line number; the rest goes on.
 * Thread-safe (stateless).
 */
final class Stanzas {
    private Stanzas() {
    }

    /** One paragraph and the line (1-based) it starts on. */
    record Stanza(int line, Map<String, String> fields) {
        String get(String key) {
            return fields.get(key);
        }
    }

    /**
     * @param text            UTF-8 bytes of the whole file
     * @param path            the file inside the layer, for problems
     * @param continuations   true for deb822 (continuation lines), false for apk
     * @param each            called per paragraph, in file order
     */
    static void parse(byte[] text, String path, boolean continuations, List<Problem> problems,
                      BiConsumer<Stanza, List<Problem>> each) {
        String s = new String(text, StandardCharsets.UTF_8);
        Map<String, String> fields = new LinkedHashMap<>();
        int lineNo = 0;
        int stanzaLine = 1;
        int pos = 0;
        while (pos <= s.length()) {
            int nl = s.indexOf('\n', pos);
            int end = nl < 0 ? s.length() : nl;
            String line = s.substring(pos, end);
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            lineNo++;
            if (line.isBlank()) {
                if (!fields.isEmpty()) {
                    each.accept(new Stanza(stanzaLine, fields), problems);
                    fields = new LinkedHashMap<>();
                }
                stanzaLine = lineNo + 1;
            } else if (continuations && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
                if (fields.isEmpty()) {
                    problems.add(new Problem(path, "line " + lineNo + ": a continuation line with no field before it"));
                }
            } else {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    problems.add(new Problem(path, "line " + lineNo + ": not a field ('Name: value'): '" + abbreviate(line) + "'"));
                } else {
                    fields.putIfAbsent(line.substring(0, colon), line.substring(colon + 1).strip());
                }
            }
            if (nl < 0) {
                break;
            }
            pos = nl + 1;
        }
        if (!fields.isEmpty()) {
            each.accept(new Stanza(stanzaLine, fields), problems);
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
