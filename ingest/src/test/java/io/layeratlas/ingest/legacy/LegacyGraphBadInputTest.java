package io.layeratlas.ingest.legacy;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.Problem;
import io.layeratlas.ingest.DockerTruth;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** A copy of legacy-01, damaged one way per test: the damaged layer and its descendants are left out, located. */
class LegacyGraphBadInputTest {
    @TempDir
    Path tmp;
    Path root;
    String workerTop;
    String cliTop;
    String base;

    @BeforeEach
    void copy() throws IOException {
        root = tmp.resolve("docker");
        Path src = Fixtures.dataRoot("legacy-01");
        try (var s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path dst = root.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dst);
                } else {
                    Files.copy(p, dst);
                }
            }
        }
        JsonNode truth = DockerTruth.of("legacy-01").read("images.json");
        for (JsonNode img : truth) {
            JsonNode ids = img.get("v1LayerIds");
            String top = ids.get(ids.size() - 1).asText();
            if (img.get("repoTags").get(0).asText().contains("worker")) {
                workerTop = top;
                base = ids.get(0).asText();
            } else {
                cliTop = top;
            }
        }
    }

    HostInventory scan() {
        return new LegacyGraphReader().read(root.toString(), "h").inventory();
    }

    List<String> tags(HostInventory inv) {
        return inv.images().stream().flatMap(i -> i.repoTags().stream()).sorted().toList();
    }

    @Test
    void a_changed_file_in_a_layer_is_caught_by_its_crc_and_only_that_layer_is_left_out() throws IOException {
        try (var s = Files.walk(root.resolve("aufs/diff").resolve(workerTop))) {
            Path file = s.filter(Files::isRegularFile).findFirst().orElseThrow();
            Files.writeString(file, "tampered");
        }
        HostInventory inv = scan();
        assertThat(tags(inv)).containsExactly("127.0.0.1:5055/tools/cli:0.3");
        assertThat(inv.problems()).anySatisfy(p -> {
            assertThat(p.path()).startsWith("aufs/diff/" + workerTop + "/");
            assertThat(p.reason()).contains("CRC-64 mismatch").endsWith("layer left out");
        });
    }

    @Test
    void a_zero_byte_v1_json_leaves_out_the_layer_and_everything_above_it() throws IOException {
        Files.write(root.resolve("graph").resolve(base).resolve("json"), new byte[0]);
        HostInventory inv = scan();
        assertThat(inv.images()).isEmpty();
        assertThat(inv.problems()).contains(new Problem("graph/" + base + "/json", "v1 image JSON is empty (0 bytes)"));
    }

    @Test
    void a_tar_split_name_that_leaves_the_layer_folder_is_refused() throws IOException {
        String line = "{\"type\":1,\"name\":\"../../../etc/passwd\",\"size\":10,\"payload\":null,\"position\":0}\n";
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(line.getBytes(StandardCharsets.UTF_8));
        }
        Files.write(root.resolve("graph").resolve(cliTop).resolve("tar-data.json.gz"), gz.toByteArray());
        HostInventory inv = scan();
        assertThat(tags(inv)).containsExactly("127.0.0.1:5055/shop/worker:1.0");
        assertThat(inv.problems()).first().satisfies(p -> {
            assertThat(p.path()).isEqualTo("graph/" + cliTop + "/tar-data.json.gz");
            assertThat(p.reason()).contains("leaves the layer folder");
        });
        assertThat(inv.problems()).hasSize(2).last().extracting(Problem::reason).asString().startsWith("tags [127.0.0.1:5055/tools/cli:0.3]");
    }

    @Test
    void a_missing_unpacked_layer_folder_is_a_problem() throws IOException {
        try (var s = Files.walk(root.resolve("aufs/diff").resolve(cliTop))) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        HostInventory inv = scan();
        assertThat(tags(inv)).containsExactly("127.0.0.1:5055/shop/worker:1.0");
        assertThat(inv.problems()).extracting(Problem::path).contains("graph/" + cliTop);
    }

    @Test
    void a_parent_loop_is_a_problem_not_a_stack_overflow() throws IOException {
        Path json = root.resolve("graph").resolve(base).resolve("json");
        String text = Files.readString(json);
        Files.writeString(json, text.replaceFirst("\\{", "{\"parent\":\"" + workerTop + "\","));
        HostInventory inv = scan();
        assertThat(inv.images()).isEmpty();
        assertThat(inv.problems()).filteredOn(p -> p.reason().startsWith("parent chain loops back to")).hasSize(1);
        assertThat(inv.problems()).extracting(Problem::path).filteredOn(p -> p.startsWith("graph/")).doesNotHaveDuplicates();
    }

    @Test
    void tags_pointing_at_an_unreadable_layer_are_reported() throws IOException {
        Files.writeString(root.resolve("graph").resolve(workerTop).resolve("json"), "{\"id\":");
        HostInventory inv = scan();
        assertThat(inv.images()).extracting(ImageRecord::repoTags).doesNotContain(List.of("127.0.0.1:5055/shop/worker:1.0"));
        assertThat(inv.problems()).extracting(Problem::reason).anySatisfy(r ->
                assertThat(r).startsWith("tags [127.0.0.1:5055/shop/worker:1.0] point at v1 layer " + workerTop));
    }
}
