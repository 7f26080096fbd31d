package io.layeratlas.dashboard.web;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.javalin.json.JavalinJackson;
import io.javalin.json.JsonMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.stream.Stream;

/**
 * The API's JSON mapping: times are ISO-8601 UTC strings ({@code 2026-11-29T07:25:01.123Z}), and a time that is not
 * known is {@code null}, never a date in 1970. "Not known" is {@link Fmt#known}'s rule, the one the pages' "unknown"
 * follows: null, or at or before the Unix epoch (Go's zero {@code time.Time}, and the {@code "created":
 * "1970-01-01T00:00:00Z"} a pre-1.10 intermediate image's v1 JSON carries). Every answer, streamed exports included,
 * is written by this mapper. Handlers answer with {@code ctx.jsonStream(answer)}: {@link #javalin} writes it as UTF-8
 * bytes in one pass.
 */
final class ApiJson {
    private ApiJson() {
    }

    /** A new mapper for the API (thread-safe once built, as Jackson's mappers are). */
    static ObjectMapper mapper() {
        return new ObjectMapper()
                .registerModule(new JavaTimeModule())
                // registered after JavaTimeModule: the later module's serializer for a type wins
                .registerModule(new SimpleModule("known-times").addSerializer(Instant.class, new KnownInstant()))
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    }

    /**
     * Javalin's own Jackson mapping over {@code mapper} ({@link JavalinJackson}, final, so wrapped), but for one
     * method. {@code ctx.json} asks for a {@code String} (Jackson's char-based
     * generator, then a copy of the whole answer, then its encoding to UTF-8 bytes: a quarter of the dashboard's CPU for
     * the 0.9 MB layer page of the most shared layer, JFR); {@code ctx.jsonStream} asks for
     * {@link JsonMapper#toJsonStream}, which here is the answer serialized straight to UTF-8 bytes, on the request's
     * thread (Javalin's own runs the serializer on another thread and pipes it).
     */
    static JsonMapper javalin(ObjectMapper mapper) {
        JavalinJackson javalins = new JavalinJackson(mapper, false);
        return new JsonMapper() {
            @Override
            public String toJsonString(Object obj, Type type) {
                return javalins.toJsonString(obj, type);
            }

            @Override
            public InputStream toJsonStream(Object obj, Type type) {
                try {
                    return new ByteArrayInputStream(mapper.writeValueAsBytes(obj));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void writeToOutputStream(Stream<?> stream, OutputStream out) {
                javalins.writeToOutputStream(stream, out);
            }

            @Override
            public <T> T fromJsonString(String json, Type type) {
                return javalins.fromJsonString(json, type);
            }

            @Override
            public <T> T fromJsonStream(InputStream json, Type type) {
                return javalins.fromJsonStream(json, type);
            }
        };
    }

    /**
     * Writes {@code field}: {@code t} as this mapper writes an {@link Instant} (ISO-8601 in UTC, {@code Instant.toString},
     * which is InstantSerializer's ISO_INSTANT; null when not {@link Fmt#known}), for a writer on the generator itself.
     */
    static void instantField(JsonGenerator g, String field, Instant t) throws IOException {
        if (Fmt.known(t)) {
            g.writeStringField(field, iso(t));
        } else {
            g.writeNullField(field);
        }
    }

    /** Seconds of 10000-01-01T00:00:00Z: {@link #iso} writes the years before it itself. */
    private static final long YEAR_10000 = 253_402_300_800L;

    /**
     * {@code t.toString()} (ISO-8601 in UTC as {@code DateTimeFormatter.ISO_INSTANT} writes it: seconds always, the
     * fraction in groups of three digits, none when zero), written without the formatter's machinery for the years
     * 1970 to 9999: {@code Instant.toString} was most of the samples of writing a package search's JSON (100 hosts,
     * five times each, JFR). Other instants are left to {@code toString}.
     */
    static String iso(Instant t) {
        long seconds = t.getEpochSecond();
        if (seconds < 0 || seconds >= YEAR_10000) {
            return t.toString();
        }
        // The civil date of a day count: Howard Hinnant's days_from_civil inverted, as LocalDate.ofEpochDay does.
        long days = seconds / 86_400;
        int secondOfDay = (int) (seconds % 86_400);
        long z = days + 719_468;
        long era = z / 146_097;
        long dayOfEra = z - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long mp = (5 * dayOfYear + 2) / 153;
        int day = (int) (dayOfYear - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        int year = (int) (yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
        char[] out = new char[30];
        digits(out, 0, year, 4);
        out[4] = '-';
        digits(out, 5, month, 2);
        out[7] = '-';
        digits(out, 8, day, 2);
        out[10] = 'T';
        digits(out, 11, secondOfDay / 3_600, 2);
        out[13] = ':';
        digits(out, 14, secondOfDay / 60 % 60, 2);
        out[16] = ':';
        digits(out, 17, secondOfDay % 60, 2);
        int n = 19;
        int nano = t.getNano();
        if (nano != 0) {
            out[n++] = '.';
            if (nano % 1_000_000 == 0) {
                digits(out, n, nano / 1_000_000, 3);
                n += 3;
            } else if (nano % 1_000 == 0) {
                digits(out, n, nano / 1_000, 6);
                n += 6;
            } else {
                digits(out, n, nano, 9);
                n += 9;
            }
        }
        out[n++] = 'Z';
        return new String(out, 0, n);
    }

    private static void digits(char[] out, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (char) ('0' + value % 10);
            value /= 10;
        }
    }

    private static final class KnownInstant extends StdSerializer<Instant> {
        KnownInstant() {
            super(Instant.class);
        }

        @Override
        public void serialize(Instant t, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (Fmt.known(t)) {
                // InstantSerializer's text with WRITE_DATES_AS_TIMESTAMPS off (mapper()): ISO_INSTANT's, toString's
                gen.writeString(iso(t));
            } else {
                gen.writeNull();
            }
        }
    }
}
