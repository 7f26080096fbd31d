package io.layeratlas.events;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Parsing digests, with and without the indexer's interning. */
class DigestTest {
    // sha256 of the empty string (FIPS 180-4 test vector, as `sha256sum < /dev/null` prints it).
    private static final String EMPTY = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @AfterEach
    void off() {
        Digest.internParsed(false);
    }

    @Test
    void interning_gives_one_instance_per_text_equal_to_a_fresh_parse_and_still_refuses_bad_text() {
        Digest fresh = Digest.parse(EMPTY);
        assertThat(Digest.parse(EMPTY)).isEqualTo(fresh).isNotSameAs(fresh);
        assertThat(Digest.sha256Of(new byte[0])).isEqualTo(fresh);

        Digest.internParsed(true);
        Digest first = Digest.parse(EMPTY);
        assertThat(Digest.parse(EMPTY)).isSameAs(first).isEqualTo(fresh).hasSameHashCodeAs(fresh);
        assertThat(first.toString()).isEqualTo(EMPTY);
        assertThatThrownBy(() -> Digest.parse("sha256:E3B0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Digest.parse("sha256:E3B0")).isInstanceOf(IllegalArgumentException.class);

        Digest.internParsed(false);
        assertThat(Digest.parse(EMPTY)).isEqualTo(first).isNotSameAs(first);
    }
}
