package io.layeratlas.dashboard.web;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 16, point 9: times the trial showed wrongly. Fixed instants only. */
class FmtTest {
    private static final Instant NOW = Instant.parse("2026-11-29T07:25:07Z");

    @Test
    void an_unknown_time_is_unknown_never_1970() {
        assertThat(Fmt.time(null)).isEqualTo("unknown");
        assertThat(Fmt.time(Instant.EPOCH)).isEqualTo("unknown");
        // Go's zero time.Time, 0001-01-01T00:00:00Z, which Docker prints for an image without "created".
        assertThat(Fmt.time(Instant.parse("0001-01-01T00:00:00Z"))).isEqualTo("unknown");
        assertThat(Fmt.ago(Instant.EPOCH, NOW)).isEqualTo("unknown");
        assertThat(Fmt.time(NOW)).isEqualTo("2026-11-29 07:25:07 UTC");
    }

    @Test
    void a_report_from_the_future_is_flagged_as_clock_skew_not_just_now() {
        assertThat(Fmt.ago(NOW.plusSeconds(3600), NOW)).isEqualTo("1 h 0 min in the future (clock skew)");
        assertThat(Fmt.ago(NOW.plusSeconds(125), NOW)).isEqualTo("2 min in the future (clock skew)");
        assertThat(Fmt.skewed(NOW.plusSeconds(3600), NOW)).isTrue();
        // Within the tolerance two synchronised clocks may differ by.
        assertThat(Fmt.ago(NOW.plusSeconds(2), NOW)).isEqualTo("just now");
        assertThat(Fmt.ago(NOW.minusSeconds(180), NOW)).isEqualTo("3 min ago");
    }
}
