package io.layeratlas.events;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Digests kept as words: parsed, printed, hashed, compared and ordered as their text. */
class DigestTest {
    // FIPS 180-4 / FIPS 180-2 test vectors, as `sha256sum` and `sha512sum` print them.
    private static final String EMPTY = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static final String ABC = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    private static final String ABC_512 = "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

    @Test
    void parses_and_prints_the_spec_vectors_and_equals_the_computed_digest() {
        Digest empty = Digest.parse(EMPTY);
        assertThat(empty.toString()).isEqualTo(EMPTY);
        assertThat(empty.algorithm()).isEqualTo("sha256");
        assertThat(empty.hex()).isEqualTo(EMPTY.substring(7));
        assertThat(empty.shortHex()).isEqualTo("e3b0c44298fc");
        assertThat(Digest.sha256Of(new byte[0])).isEqualTo(empty).hasSameHashCodeAs(empty);
        assertThat(Digest.sha256Of(new byte[0]).toString()).isEqualTo(EMPTY);
        assertThat(Digest.sha256Of("abc")).isEqualTo(Digest.parse(ABC));
        assertThat(Digest.sha256Of("abc".getBytes(StandardCharsets.UTF_8)).toString()).isEqualTo(ABC);
        assertThat(new Digest("sha256", EMPTY.substring(7))).isEqualTo(empty);
        assertThat(Digest.sha256Hex(ABC.substring(7)).toString()).isEqualTo(ABC);

        Digest abc512 = Digest.parse(ABC_512);
        assertThat(abc512.toString()).isEqualTo(ABC_512);
        assertThat(abc512.algorithm()).isEqualTo("sha512");
        assertThat(abc512).isNotEqualTo(Digest.parse(ABC));
    }

    @Test
    void refuses_what_is_not_a_digest() {
        assertThatThrownBy(() -> Digest.parse("sha256:E3B0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Digest.parse(EMPTY.toUpperCase().replace("SHA256", "sha256")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lower-case hex");
        assertThatThrownBy(() -> Digest.parse(EMPTY + "0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Digest.parse(EMPTY.substring(7))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no 'algorithm:' prefix");
        assertThatThrownBy(() -> Digest.parse("md5:d41d8cd98f00b204e9800998ecf8427e"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unsupported digest algorithm");
        assertThatThrownBy(() -> Digest.parse("sha256:" + "g".repeat(64))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parses_from_a_decoders_character_buffer_as_from_its_text() throws Exception {
        for (String text : List.of(EMPTY, ABC, ABC_512, "sha256:" + "f".repeat(64), "sha256:" + "0".repeat(64))) {
            char[] buffer = ("{\"diffId\":\"" + text + "\"}").toCharArray();
            Digest d = Digest.parse(buffer, 11, text.length());
            assertThat(d).isEqualTo(Digest.parse(text)).hasSameHashCodeAs(Digest.parse(text));
            assertThat(d.toString()).isEqualTo(text);
        }
        for (String bad : List.of("sha256:E3B0", EMPTY.replace('e', 'E'), EMPTY.substring(0, 70) + "g", EMPTY.substring(7),
                "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256:" + "\u00e9".repeat(64))) {
            char[] buffer = ("  " + bad + "  ").toCharArray();
            assertThatThrownBy(() -> Digest.parse(buffer, 2, bad.length())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(catchMessage(() -> Digest.parse(bad)));
        }
        // Through the events' mapper, from JSON bytes (sha256sum's digest of "abc").
        LayerRecord layer = EventCodec.mapper().readValue(("{\"chainId\":\"" + ABC + "\",\"diffId\":\"" + ABC + "\"}")
                .getBytes(StandardCharsets.UTF_8), LayerRecord.class);
        assertThat(layer.diffId()).isEqualTo(Digest.sha256Of("abc"));
        assertThat(layer.diffId().toString()).isEqualTo(ABC);
    }

    private static String catchMessage(Runnable r) {
        try {
            r.run();
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("not refused");
    }

    @Test
    void orders_as_the_text_sorts() {
        // sha256 of "0".."199" and the vectors: the texts' own order (String.compareTo) is the truth.
        List<String> texts = new ArrayList<>(List.of(EMPTY, ABC, ABC_512, "sha256:" + "f".repeat(64), "sha256:" + "0".repeat(64),
                "sha256:8" + "0".repeat(63), "sha256:7" + "f".repeat(63)));
        for (int i = 0; i < 200; i++) {
            texts.add(Digest.sha256Of(Integer.toString(i)).toString());
        }
        List<String> byText = texts.stream().sorted().toList();
        List<String> byDigest = texts.stream().map(Digest::parse).sorted(Comparator.naturalOrder()).map(Digest::toString).toList();
        assertThat(byDigest).isEqualTo(byText);
    }
}
