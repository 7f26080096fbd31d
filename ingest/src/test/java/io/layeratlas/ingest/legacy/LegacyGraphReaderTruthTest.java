package io.layeratlas.ingest.legacy;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.DockerTruth;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The pre-1.10 graph/aufs layout of legacy-01 against {@code truth/legacy-01/images.json}. */
class LegacyGraphReaderTruthTest {
    static Path root;
    static HostInventory inv;
    static JsonNode truth;

    @BeforeAll
    static void scan() {
        root = Fixtures.dataRoot("legacy-01");
        inv = new LegacyGraphReader().read(root.toString(), "legacy-01").inventory();
        truth = DockerTruth.of("legacy-01").read("images.json");
    }

    static ImageRecord byTag(String tag) {
        return inv.images().stream().filter(i -> i.repoTags().contains(tag)).findFirst()
                .orElseThrow(() -> new AssertionError("no image tagged " + tag));
    }

    @Test
    void the_layout_is_detected_as_legacy_graph() {
        assertThat(Scanner.detect(root.toString())).contains(SourceKind.LEGACY_GRAPH);
        assertThat(inv.problems()).isEmpty();
    }

    @Test
    void tags_and_diff_ids_recomputed_from_tar_split_match_the_truth() {
        assertThat(truth).isNotEmpty();
        for (JsonNode want : truth) {
            List<String> tags = texts(want.get("repoTags"));
            ImageRecord got = byTag(tags.get(0));
            assertThat(got.repoTags()).containsExactlyElementsOf(tags);
            assertThat(got.diffIds().stream().map(Digest::toString).toList())
                    .containsExactlyElementsOf(texts(want.get("diffIds")));
        }
    }

    @Test
    void each_layers_own_aufs_diff_folder_is_read_for_packages_and_these_busybox_layers_have_none() {
        var scan = new LegacyGraphReader().read(root.toString(), "legacy-01");
        var contents = io.layeratlas.ingest.packages.LayerContents.of(scan, root.toString());
        assertThat(inv.layers()).isNotEmpty().allSatisfy(l -> assertThat(contents.read(l)).as("layer %s", l.v1Id())
                .contains(io.layeratlas.ingest.packages.LayerDatabases.NONE));
    }

    @Test
    void each_layer_carries_its_v1_layer_id_in_stack_order() {
        Map<Digest, LayerRecord> layers = inv.layers().stream().collect(Collectors.toMap(LayerRecord::chainId, Function.identity()));
        for (JsonNode want : truth) {
            ImageRecord got = byTag(texts(want.get("repoTags")).get(0));
            List<String> v1 = got.chainIds().stream().map(c -> layers.get(c).v1Id()).toList();
            assertThat(v1).containsExactlyElementsOf(texts(want.get("v1LayerIds")));
        }
    }

    @Test
    void every_v1_layer_is_an_image_whose_parent_is_the_v1_parent() throws Exception {
        long folders;
        try (var s = Files.list(root.resolve("graph"))) {
            folders = s.count();
        }
        assertThat(inv.images()).hasSize((int) folders);
        Map<Digest, ImageRecord> byId = inv.images().stream().collect(Collectors.toMap(ImageRecord::id, Function.identity()));
        for (ImageRecord img : inv.images()) {
            if (img.diffIds().size() == 1) {
                assertThat(img.parent()).isNull();
            } else {
                ImageRecord parent = byId.get(img.parent());
                assertThat(parent.chainIds()).isEqualTo(img.chainIds().subList(0, img.chainIds().size() - 1));
            }
        }
    }

    @Test
    void layer_sizes_are_the_layersize_files_and_image_size_their_sum() throws Exception {
        ImageRecord worker = byTag("127.0.0.1:5055/shop/worker:1.0");
        long sum = 0;
        for (String v1 : texts(truth.get(0).get("v1LayerIds"))) {
            sum += Long.parseLong(Files.readString(root.resolve("graph").resolve(v1).resolve("layersize")).trim());
        }
        assertThat(worker.size()).isEqualTo(sum).isPositive();
        assertThat(worker.history()).hasSize(worker.diffIds().size());
    }

    @Test
    void the_image_id_is_the_sha256_of_the_migrated_config_which_holds_the_recomputed_diff_ids() throws Exception {
        var scan = new LegacyGraphReader().read(root.toString(), "legacy-01");
        ImageRecord worker = byTag("127.0.0.1:5055/shop/worker:1.0");
        byte[] config = scan.configs().get(scan.inventory().images().stream()
                .filter(i -> i.repoTags().contains("127.0.0.1:5055/shop/worker:1.0")).findFirst().orElseThrow().id());
        assertThat(Digest.sha256Of(config)).isEqualTo(worker.id());
        JsonNode tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(config);
        assertThat(texts(tree.get("rootfs").get("diff_ids"))).containsExactlyElementsOf(
                worker.diffIds().stream().map(Digest::toString).toList());
        assertThat(tree.has("id")).isFalse();
        assertThat(tree.has("parent")).isFalse();
        assertThat(tree.get("history")).hasSize(4);
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
