package io.layeratlas.indexer;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerRecord;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Chain IDs checked against {@code sha256sum} of "parent diffID" (OCI image-spec, config.md "Layer ChainID"), also
 * once the validator remembers a chain ID it checked.
 */
class EventValidatorTest {
    // The FIPS 180-4 vectors of "" and "abc", as two diff IDs.
    private static final Digest BASE = Digest.parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    private static final Digest TOP = Digest.parse("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    @Test
    void a_chain_id_is_accepted_only_for_the_parent_and_diff_id_it_hashes_also_after_it_was_remembered() throws Exception {
        IndexerConfig config = IndexerConfig.defaults("127.0.0.1:9");
        EventValidator validator = new EventValidator(config);
        Digest chain = sha256sum(BASE + " " + TOP);
        LayerRecord right = new LayerRecord(chain, TOP, BASE, 3, List.of(), null, null);
        // The same chain ID claimed for another diff ID: sha256sum of "BASE BASE" is not it.
        LayerRecord wrongDiff = new LayerRecord(chain, BASE, BASE, 3, List.of(), null, null);
        LayerRecord wrongParent = new LayerRecord(chain, TOP, TOP, 3, List.of(), null, null);

        assertThat(problem(validator, config, right)).isEmpty();
        assertThat(problem(validator, config, wrongDiff)).get().asString().contains("is not the chain ID of parent");
        assertThat(problem(validator, config, wrongParent)).get().asString().contains("is not the chain ID of parent");
        assertThat(problem(validator, config, right)).isEmpty();
        assertThat(problem(new EventValidator(config), config, wrongDiff)).isPresent();
    }

    private static Optional<String> problem(EventValidator v, IndexerConfig config, LayerRecord layer) {
        LayerRecord base = new LayerRecord(BASE, BASE, null, 0, List.of(), null, null);
        HostSnapshot s = new HostSnapshot(LayerAtlasEvent.SCHEMA_VERSION, "host-a", 1, 0, 1, Instant.parse("2026-01-01T00:00:00Z"),
                "test", "data-root", "/var/lib/docker", List.of(), List.of(base, layer), List.of());
        return v.problem(config.hostLayersTopic(), "host-a".getBytes(StandardCharsets.UTF_8), s);
    }

    /** What {@code sha256sum} prints for the text, as a digest. */
    private static Digest sha256sum(String text) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sha256sum").start();
        try (var in = p.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertThat(p.waitFor()).isZero();
        return Digest.parse("sha256:" + out.substring(0, 64));
    }
}
