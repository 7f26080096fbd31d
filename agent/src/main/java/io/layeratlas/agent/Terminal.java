package io.layeratlas.agent;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How the command line shows values to a person, as the Docker CLI shows them, and its table/CSV output. One place
 * for {@code scan --format table} and the query commands ({@code layer hosts}, {@code image hosts}, {@code hosts list}).
 * Stateless and thread-safe.
 */
public final class Terminal {
    private Terminal() {
    }

    /**
     * How long ago {@code t} was, as {@code docker ps} and {@code docker image ls} say it: go-units'
     * {@code HumanDuration} (docker/go-units {@code duration.go}) plus {@code " ago"}; {@code "unknown"} for null (or
     * Go's zero time, year 1); a time in the future by more than a second is {@code "in the future (clock skew?)"}.
     */
    public static String ago(Instant t, Instant now) {
        if (t == null || t.isBefore(Instant.parse("0002-01-01T00:00:00Z"))) {
            return "unknown";
        }
        Duration d = Duration.between(t, now);
        if (d.compareTo(Duration.ofSeconds(-1)) < 0) {
            return "in the future (clock skew?)";
        }
        return humanDuration(d.isNegative() ? Duration.ZERO : d) + " ago";
    }

    /** docker/go-units {@code HumanDuration}: "Less than a second", "About a minute", "3 hours", "2 weeks"… */
    public static String humanDuration(Duration d) {
        long seconds = d.toSeconds();
        long minutes = d.toMinutes();
        long hours = (long) (d.toNanos() / 3_600e9 + 0.5);
        if (seconds < 1) {
            return "Less than a second";
        } else if (seconds == 1) {
            return "1 second";
        } else if (seconds < 60) {
            return seconds + " seconds";
        } else if (minutes == 1) {
            return "About a minute";
        } else if (minutes < 60) {
            return minutes + " minutes";
        } else if (hours == 1) {
            return "About an hour";
        } else if (hours < 48) {
            return hours + " hours";
        } else if (hours < 24 * 7 * 2) {
            return hours / 24 + " days";
        } else if (hours < 24 * 30 * 2) {
            return hours / 24 / 7 + " weeks";
        } else if (hours < 24 * 365 * 2) {
            return hours / 24 / 30 + " months";
        }
        return d.toHours() / 24 / 365 + " years";
    }

    /**
     * Bytes as {@code docker image ls} prints SIZE: go-units {@code HumanSizeWithPrecision(size, 3)} (decimal units,
     * Go's {@code %.3g}: three significant digits, trailing zeros dropped: "1.98MB", "567kB", "0B"); "unknown" for a
     * negative size.
     */
    public static String humanSize(long bytes) {
        if (bytes < 0) {
            return "unknown";
        }
        String[] units = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
        double size = bytes;
        int i = 0;
        while (size >= 1000 && i < units.length - 1) {
            size /= 1000;
            i++;
        }
        // Go's %.3g keeps 3 significant digits and drops trailing zeros of the fraction
        java.math.BigDecimal v = new java.math.BigDecimal(size).round(new java.math.MathContext(3)).stripTrailingZeros();
        return v.toPlainString() + units[i];
    }

    /** A table as the Docker CLI prints one: upper-case headers, columns padded to the widest cell plus three spaces. */
    public static String table(List<String> headers, List<List<String>> rows) {
        int[] width = new int[headers.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(headers.stream().map(h -> h.toUpperCase(Locale.ROOT)).toList());
        all.addAll(rows);
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) {
                sb.append(r.get(i));
                if (i < r.size() - 1) {
                    sb.append(" ".repeat(width[i] - r.get(i).length() + 3));
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** RFC 4180 CSV: a header line, then one line per row; fields with a comma, quote or line break are quoted. */
    public static String csv(List<String> headers, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder();
        List<List<String>> all = new ArrayList<>();
        all.add(headers);
        all.addAll(rows);
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) {
                String f = r.get(i) == null ? "" : r.get(i);
                sb.append(i > 0 ? "," : "");
                if (f.contains(",") || f.contains("\"") || f.contains("\n") || f.contains("\r")) {
                    sb.append('"').append(f.replace("\"", "\"\"")).append('"');
                } else {
                    sb.append(f);
                }
            }
            sb.append("\r\n");
        }
        return sb.toString();
    }
}
