package io.layeratlas.ingest.dataroot;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A thousand-image data-root scans completely; the figures it prints are informative, the benchmark is `layeratlas bench`. */
class DataRootThousandImagesTest {

    @Test
    void a_thousand_image_data_root_scans_completely(@TempDir Path tmp) {
        DataRootBuilder b = new DataRootBuilder(tmp, "overlay2");
        StringBuilder repos = new StringBuilder("{\"Repositories\":{\"app\":{");
        List<Digest> base = List.of(DataRootBuilder.diffId("base"), DataRootBuilder.diffId("runtime"));
        for (int i = 0; i < 1000; i++) {
            List<Digest> stack = new ArrayList<>(base);
            stack.add(DataRootBuilder.diffId("app " + i));
            stack.add(DataRootBuilder.diffId("config " + i));
            b.layers(stack, 5_000_000, 1_000_000, 1000 + i, 10);
            Digest id = b.image(DataRootBuilder.config("2024-01-01T00:00:00.123456789Z", stack));
            repos.append(i == 0 ? "" : ",").append("\"app:").append(i).append("\":\"").append(id).append('"');
        }
        b.repositories(repos.append("}}}").toString());

        new DataRootReader().read(tmp.toString(), "warm-up");
        long start = System.nanoTime();
        HostInventory inv = new DataRootReader().read(tmp.toString(), "h").inventory();
        long millis = (System.nanoTime() - start) / 1_000_000;
        long rawMillis = readEveryFile(tmp);

        assertThat(inv.images()).hasSize(1000);
        assertThat(inv.layers()).hasSize(2 + 2000);
        assertThat(inv.problems()).isEmpty();
        System.out.println("scanned 1000 images, " + inv.layers().size() + " layers in " + millis
                + " ms; reading every file raw took " + rawMillis + " ms");
        // Speed itself is measured by `layeratlas bench` (agent.scan vs the read floor), not asserted here:
        // on a shared 2-core machine a timed assertion only measures the neighbours.
    }

    private static long readEveryFile(Path root) {
        long start = System.nanoTime();
        try (var s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                Files.readAllBytes(p);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }
}
