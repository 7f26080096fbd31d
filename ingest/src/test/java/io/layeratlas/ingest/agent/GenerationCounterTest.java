package io.layeratlas.ingest.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class GenerationCounterTest {

    @Test
    void generations_grow_even_when_the_clock_steps_back(@TempDir Path state) {
        AtomicLong clock = new AtomicLong(1_000_000);
        GenerationCounter counter = new GenerationCounter(state, clock::get);
        long a = counter.next();
        clock.set(5);
        long b = counter.next();
        assertThat(b).isGreaterThan(a);
        GenerationCounter restarted = new GenerationCounter(state, clock::get);
        assertThat(restarted.last()).isEqualTo(b);
        assertThat(restarted.next()).isGreaterThan(b);
    }

    @Test
    void without_a_usable_state_folder_generations_follow_the_wall_clock(@TempDir Path dir) throws Exception {
        Path notAFolder = Files.writeString(dir.resolve("file"), "x");
        AtomicLong clock = new AtomicLong(1_000);
        GenerationCounter counter = new GenerationCounter(notAFolder.resolve("state"), clock::get);
        assertThat(counter.next()).isEqualTo(1_000);
        assertThat(counter.next()).isEqualTo(1_001);
        clock.set(2_000);
        assertThat(new GenerationCounter(notAFolder.resolve("state"), clock::get).next()).isEqualTo(2_000);
    }

    @Test
    void a_garbled_counter_file_is_ignored(@TempDir Path state) throws Exception {
        Files.writeString(state.resolve(GenerationCounter.FILE_NAME), "not a number");
        assertThat(new GenerationCounter(state, () -> 42).next()).isEqualTo(42);
    }
}
