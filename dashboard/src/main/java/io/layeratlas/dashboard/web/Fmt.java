package io.layeratlas.dashboard.web;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * Formatting for the pages. Returns plain text: the templates escape it. Sizes are bytes, shown in SI units as the
 * Docker CLI shows them ({@code 1.98MB} = 1 980 000 bytes).
 */
public final class Fmt {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);
    private static final String[] UNITS = {"B", "kB", "MB", "GB", "TB", "PB"};

    private Fmt() {
    }

    /** Bytes in SI units with three significant digits, "–" for unknown (null or negative). */
    public static String bytes(Long bytes) {
        if (bytes == null || bytes < 0) {
            return "–";
        }
        double v = bytes;
        int unit = 0;
        while (v >= 1000 && unit < UNITS.length - 1) {
            v /= 1000;
            unit++;
        }
        if (unit == 0) {
            return bytes + " B";
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, UNITS[unit]);
    }

    public static String bytes(long bytes) {
        return bytes((Long) bytes);
    }

    /** Exact bytes with thousands separators, for tooltips. */
    public static String exactBytes(Long bytes) {
        return bytes == null || bytes < 0 ? "unknown" : String.format(Locale.ROOT, "%,d bytes", bytes);
    }

    /**
     * How far in the future a report may be before it is flagged as clock skew: the dashboard's, the database's and
     * the agents' clocks are NTP-synchronised, but not to the millisecond.
     */
    static final Duration SKEW_TOLERANCE = Duration.ofSeconds(30);

    /**
     * {@code 2026-11-29 07:25:01 UTC}, or "unknown" for a time not known: null, or at or before the Unix epoch
     * (Go's zero {@code time.Time} and a {@code created} of 0 both mean "not recorded", never a date in 1970).
     */
    public static String time(Instant t) {
        return known(t) ? TIME.format(t) : "unknown";
    }

    /** Whether a time is a real one: not null and after the Unix epoch (see {@link #time}). */
    public static boolean known(Instant t) {
        return t != null && t.isAfter(Instant.EPOCH);
    }

    /** Whether {@code t} lies further in the future of {@code now} than clocks disagree: a skewed agent clock. */
    public static boolean skewed(Instant t, Instant now) {
        return t != null && t.isAfter(now.plus(SKEW_TOLERANCE));
    }

    /**
     * ISO-8601, for {@code <time datetime>} and the CSV exports; empty for a time not {@link #known}. The text is
     * {@code Instant.toString}'s, written by {@link ApiJson#iso} as the API's JSON writes it.
     */
    public static String iso(Instant t) {
        return known(t) ? ApiJson.iso(t) : "";
    }

    /**
     * "3 min ago" relative to now, "never" for null, "unknown" for a time at or before the epoch, and for a time more
     * than {@link #SKEW_TOLERANCE} in the future "5 min in the future (clock skew)": a report from the future says a
     * clock is wrong, not that the host reported just now.
     */
    public static String ago(Instant t, Instant now) {
        if (t == null) {
            return "never";
        }
        if (!known(t)) {
            return "unknown";
        }
        if (skewed(t, now)) {
            return span(Duration.between(now, t).toSeconds()) + " in the future (clock skew)";
        }
        Duration d = Duration.between(t, now);
        if (d.isNegative()) {
            return "just now";
        }
        long s = d.toSeconds();
        if (s < 60) {
            return s + " s ago";
        }
        if (s < 3600) {
            return s / 60 + " min ago";
        }
        if (s < 86400) {
            return s / 3600 + " h " + (s % 3600) / 60 + " min ago";
        }
        return s / 86400 + " days ago";
    }

    private static String span(long s) {
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min";
        }
        if (s < 86400) {
            return s / 3600 + " h " + (s % 3600) / 60 + " min";
        }
        return s / 86400 + " days";
    }

    /** The first 12 hex characters of a digest, as {@code docker image ls} shows IDs. */
    public static String shortId(String digest) {
        if (digest == null) {
            return "";
        }
        int colon = digest.indexOf(':');
        String hex = colon < 0 ? digest : digest.substring(colon + 1);
        return hex.length() <= 12 ? hex : hex.substring(0, 12);
    }

    /** A value for one URL path segment. */
    public static String path(String segment) {
        // ':' and '@' are legal in a path segment (RFC 3986 "pchar"); keeping them keeps digests readable.
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20").replace("%3A", ":").replace("%40", "@");
    }

    /** A value for a query parameter. */
    public static String param(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** Joins, or "–" when empty. */
    public static String join(List<String> values) {
        return values == null || values.isEmpty() ? "–" : String.join(", ", values);
    }

    /**
     * How a related image is known, for the image page: one label per lineage source ({@code docker-parent},
     * {@code inferred-base}), so an image that is both Docker's local parent and the inferred base is listed once.
     *
     * @param child true for the children table (the related image is built on this one)
     */
    public static String lineage(List<String> sources, boolean child) {
        List<String> labels = new java.util.ArrayList<>();
        for (String source : sources) {
            labels.add(switch (source) {
                case "docker-parent" -> "Docker's local parent";
                case "inferred-base" -> child ? "built on it (layer prefix)" : "base (layer prefix)";
                default -> source;
            });
        }
        return labels.isEmpty() ? "–" : String.join(" and ", labels);
    }

    /** Percent with one decimal. */
    public static String percent(double part, double whole) {
        return whole <= 0 ? "–" : String.format(Locale.ROOT, "%.1f %%", 100.0 * part / whole);
    }

    /**
     * A repo digest ({@code name@sha256:<64 hex>}) as a table cell shows it: the name and the digest's first 12 hex
     * characters, as {@link #shortId} gives IDs; the full reference stays in a title attribute. Anything else as is.
     */
    public static String shortRepoDigest(String ref) {
        if (ref == null) {
            return "";
        }
        int at = ref.lastIndexOf('@');
        return at < 0 ? ref : ref.substring(0, at + 1) + ref.substring(at + 1, ref.indexOf(':', at) + 1)
                + shortId(ref.substring(at + 1)) + (ref.length() - at - 1 > "sha256:".length() + 12 ? "…" : "");
    }

    /** Long values cut for table cells (the full value stays in a title attribute). */
    public static String cut(String s, int max) {
        if (s == null) {
            return "";
        }
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
