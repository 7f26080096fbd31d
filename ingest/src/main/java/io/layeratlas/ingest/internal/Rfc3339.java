package io.layeratlas.ingest.internal;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;

/**
 * Parses the times image configs carry: RFC 3339 as Go's {@code time.RFC3339Nano} writes them
 * ({@code 2026-11-29T07:25:01.030363116Z}): 0 to 9 fractional digits, {@code Z} or any {@code ±hh:mm} offset,
 * any year from 0001 (Go's zero time, written by tools that leave {@code created} unset).
 */
public final class Rfc3339 {
    private static final DateTimeFormatter FORMAT = new DateTimeFormatterBuilder()
            .parseCaseInsensitive() // RFC 3339 section 5.6 allows 't' and 'z'
            .append(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
            .toFormatter();

    private Rfc3339() {
    }

    /** @throws IllegalArgumentException if the text is not an RFC 3339 date-time with an offset */
    public static Instant parse(String text) {
        try {
            return OffsetDateTime.parse(text, FORMAT).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not an RFC 3339 time: '" + text + "'", e);
        }
    }
}
