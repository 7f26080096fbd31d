package io.layeratlas.dashboard.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The API's times are written as Jackson's JavaTimeModule and the JDK write them (ISO_INSTANT). */
class ApiJsonTest {
    private static final ObjectMapper JACKSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    @Test
    void an_instant_is_written_as_jacksons_java_time_module_writes_it() throws Exception {
        ObjectMapper api = ApiJson.mapper();
        SplittableRandom rng = new SplittableRandom(15);
        for (int i = 0; i < 200_000; i++) {
            long seconds = rng.nextLong(1, 253_402_300_800L + 100_000L); // past 9999-12-31 too
            int nano = switch (i % 4) {
                case 0 -> 0;
                case 1 -> rng.nextInt(1_000) * 1_000_000;
                case 2 -> rng.nextInt(1_000_000) * 1_000;
                default -> rng.nextInt(1_000_000_000);
            };
            Instant t = Instant.ofEpochSecond(seconds, nano);
            assertThat(api.writeValueAsString(t)).as("%s", t).isEqualTo(JACKSON.writeValueAsString(t));
        }
    }

    @Test
    void calendar_edges_are_written_as_the_jdk_writes_them() {
        for (String s : new String[] {"1970-01-01T00:00:00.000000001Z", "1972-02-29T23:59:59Z", "2000-02-29T12:00:00.5Z",
                "2000-03-01T00:00:00Z", "2024-12-31T23:59:59.999999999Z", "2100-02-28T00:00:00.010Z",
                "2100-03-01T00:00:00.000100Z", "9999-12-31T23:59:59.999Z", "+10000-01-01T00:00:00Z"}) {
            Instant t = Instant.parse(s);
            assertThat(ApiJson.iso(t)).isEqualTo(t.toString());
        }
    }
}
