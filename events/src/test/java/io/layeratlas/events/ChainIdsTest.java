package io.layeratlas.events;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChainIdsTest {

    @Test
    void chain_ids_follow_the_image_spec_formula_even_when_a_diff_id_repeats() throws Exception {
        // Reference values computed with coreutils: printf '%s' "<chain> <diff>" | sha256sum
        Digest a = Digest.parse("sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4");
        Digest b = Digest.parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        List<Digest> chain = ChainIds.of(List.of(a, b, a, a));
        assertThat(chain).hasSize(4);
        assertThat(chain.get(0)).isEqualTo(a);
        assertThat(chain.get(1)).isEqualTo(Digest.parse(sha256sum(a + " " + b)));
        assertThat(chain.get(2)).isEqualTo(Digest.parse(sha256sum(chain.get(1) + " " + a)));
        assertThat(chain.get(3)).isEqualTo(Digest.parse(sha256sum(chain.get(2) + " " + a)));
        assertThat(chain.get(2)).isNotEqualTo(chain.get(3));
    }

    @Test
    void digests_reject_what_is_not_a_digest() {
        assertThatThrownBy(() -> Digest.parse("sha256:ABC")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64 lower-case hex");
        assertThatThrownBy(() -> Digest.parse("md5:abc")).hasMessageContaining("unsupported");
        assertThatThrownBy(() -> Digest.parse("abc")).hasMessageContaining("no 'algorithm:' prefix");
    }

    /** sha256 from the system's coreutils, an implementation outside this project. */
    static String sha256sum(String text) throws Exception {
        Process p = new ProcessBuilder("sha256sum").start();
        p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        p.waitFor();
        return "sha256:" + out.toString(StandardCharsets.UTF_8).split(" ")[0];
    }
}
