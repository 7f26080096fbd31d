package io.layeratlas.ingest.agent;

import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;
import io.layeratlas.events.SnapshotChunker;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SnapshotChunkerTest {

    @Test
    void chunks_stay_under_the_limit_and_put_together_give_back_the_inventory() {
        HostInventory inv = TestInventories.generated("h", 500, "chunker").inventory();
        for (int limit : new int[]{2_000, 10_000, 100_000, 10_000_000}) {
            List<SnapshotChunker.EncodedChunk> chunks = SnapshotChunker.chunk(inv, "h", 7, "dev", limit);
            List<ImageRecord> images = new ArrayList<>();
            List<LayerRecord> layers = new ArrayList<>();
            List<Problem> problems = new ArrayList<>();
            for (int i = 0; i < chunks.size(); i++) {
                SnapshotChunker.EncodedChunk c = chunks.get(i);
                assertThat(c.value().length).isLessThanOrEqualTo(limit);
                HostSnapshot decoded = (HostSnapshot) EventCodec.decode(c.value());
                assertThat(decoded).isEqualTo(c.snapshot());
                assertThat(decoded.chunk()).isEqualTo(i);
                assertThat(decoded.chunkCount()).isEqualTo(chunks.size());
                assertThat(decoded.generation()).isEqualTo(7);
                images.addAll(decoded.images());
                layers.addAll(decoded.layers());
                problems.addAll(decoded.problems());
            }
            assertThat(images).isEqualTo(inv.images());
            assertThat(layers).isEqualTo(inv.layers());
            assertThat(problems).isEqualTo(inv.problems());
            if (limit == 10_000_000) {
                assertThat(chunks).hasSize(1);
            }
        }
    }

    @Test
    void an_empty_host_is_one_empty_chunk() {
        HostInventory empty = new HostInventory("/var/lib/docker", "data-root", "h", Instant.now(), List.of(), List.of(), List.of());
        List<SnapshotChunker.EncodedChunk> chunks = SnapshotChunker.chunk(empty, "h", 1, "dev", 5_000);
        assertThat(chunks).singleElement().satisfies(c -> {
            assertThat(c.snapshot().chunkCount()).isEqualTo(1);
            assertThat(c.snapshot().images()).isEmpty();
        });
    }

    @Test
    void an_image_too_large_for_any_message_is_left_out_with_a_problem_saying_so() {
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            tags.add("example.invalid/a-very-long-repository-name/number-" + i + ":tag");
        }
        HostInventory inv = TestInventories.generated("h", 3, "huge").inventory();
        ImageRecord huge = inv.images().get(1);
        ImageRecord withTags = new ImageRecord(huge.id(), tags, huge.repoDigests(), huge.parent(), huge.created(), huge.size(),
                huge.diffIds(), huge.chainIds(), huge.history(), huge.containers(), huge.sharedSize(), huge.uniqueSize(), huge.os(), huge.architecture());
        HostInventory withHuge = new HostInventory(inv.source(), inv.kind(), "h", inv.scannedAt(),
                List.of(inv.images().get(0), withTags, inv.images().get(2)), inv.layers(), List.of());
        List<SnapshotChunker.EncodedChunk> chunks = SnapshotChunker.chunk(withHuge, "h", 1, "dev", 8_000);
        List<ImageRecord> images = chunks.stream().flatMap(c -> c.snapshot().images().stream()).toList();
        List<Problem> problems = chunks.stream().flatMap(c -> c.snapshot().problems().stream()).toList();
        assertThat(images).extracting(ImageRecord::id).containsExactly(inv.images().get(0).id(), inv.images().get(2).id());
        assertThat(problems).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("image " + huge.id());
            assertThat(p.reason()).contains("left out");
        });
    }

    @Test
    void a_limit_below_the_envelope_is_refused() {
        HostInventory inv = TestInventories.generated("h", 1, "tiny").inventory();
        assertThatThrownBy(() -> SnapshotChunker.chunk(inv, "h", 1, "dev", 100)).isInstanceOf(IllegalArgumentException.class);
    }
}
