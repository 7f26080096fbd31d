package io.layeratlas.ingest.dataroot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * google/docker-explorer's overlay2 test data-root (another machine, an older Docker, two driver folders:
 * an empty {@code overlay} and {@code overlay2}). Expected values are those docker-explorer's own
 * {@code tests.py} asserts (TestOverlay2Storage), and what the data-root's own files say.
 */
class DockerExplorerDataRootTest {
    static Path root;
    static HostInventory inv;

    @BeforeAll
    static void scan() {
        root = Fixtures.extracted(Fixtures.root().resolve("public/docker-explorer-overlay2.v2.tgz"),
                "public/docker-explorer-overlay2").resolve("docker");
        inv = new DataRootReader().read(root.toString(), "de").inventory();
    }

    @Test
    void the_one_image_is_busybox_latest_as_repositories_json_says() throws Exception {
        JsonNode repos = new ObjectMapper().readTree(root.resolve("image/overlay2/repositories.json").toFile());
        Digest busybox = Digest.parse(repos.get("Repositories").get("busybox").get("busybox:latest").asText());
        assertThat(inv.images()).singleElement().satisfies(img -> {
            assertThat(img.id()).isEqualTo(busybox);
            assertThat(img.repoTags()).containsExactly("busybox:latest");
            assertThat(img.repoDigests()).singleElement().asString().startsWith("busybox@sha256:");
        });
        assertThat(inv.problems()).isEmpty();
    }

    @Test
    void created_and_history_match_docker_explorer_tests() {
        ImageRecord img = inv.images().get(0);
        // tests.py TestOverlay2Storage.testGetLayerInfo / testGetHistory
        assertThat(img.created()).isEqualTo(Instant.parse("2018-04-05T10:41:28.876407948Z"));
        assertThat(img.history()).last().satisfies(h -> {
            assertThat(h.createdBy()).isEqualTo("/bin/sh -c #(nop)  CMD [\"sh\"]");
            assertThat(h.emptyLayer()).isTrue();
            assertThat(h.size()).isZero();
        });
    }

    @Test
    void all_five_containers_use_the_image() {
        // tests.py TestOverlay2Storage.testGetAllContainers: five containers, all busybox
        assertThat(inv.images().get(0).containers()).isEqualTo(5);
    }

    @Test
    void the_single_layer_is_the_bottom_of_the_stack_with_its_layerdb_size() throws Exception {
        ImageRecord img = inv.images().get(0);
        assertThat(img.diffIds()).hasSize(1);
        LayerRecord layer = inv.layers().stream().filter(l -> l.chainId().equals(img.chainIds().get(0))).findFirst().orElseThrow();
        long size = Long.parseLong(Files.readString(root.resolve("image/overlay2/layerdb/sha256")
                .resolve(layer.chainId().hex()).resolve("size")).trim());
        assertThat(size).isPositive();
        assertThat(img.size()).isEqualTo(size);
        assertThat(img.history().get(0).size()).isEqualTo(size);
        assertThat(img.sharedSize()).isZero();
        assertThat(layer.parentChainId()).isNull();
    }
}
