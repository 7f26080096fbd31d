package io.layeratlas.ingest.archive;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.CompressedDigest;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.DockerTruth;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.ingest.internal.Rfc3339;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Image archives written by docker save, skopeo, kaniko, jib, ggcr and others. */
class ArchiveReaderTest {

    static HostInventory scan(String fixture) {
        return new ArchiveReader().read(Fixtures.root().resolve(fixture).toString(), "h").inventory();
    }

    static JsonNode buildWorker() {
        return DockerTruth.of("build-01").inspect().values().stream()
                .filter(n -> texts(n.get("RepoTags")).contains("127.0.0.1:5055/shop/worker:1.0")).findFirst().orElseThrow();
    }

    @ParameterizedTest
    @ValueSource(strings = {"fleet-main/archives/shop-worker-1.0.docker.tar", "fleet-main/archives/shop-worker-1.0.oci-archive.tar",
            "public/dive-oci-gzip-image.tar", "public/dive-oci-zstd-image.tar", "public/dive-oci-uncompressed-image.tar",
            "public/dive-kaniko-image.tar", "public/jib-docker-save.tar", "public/ggcr-test-link.tar"})
    void the_configs_diff_ids_equal_the_hashes_of_the_layer_streams(String fixture) {
        HostInventory inv = scan(fixture);
        assertThat(inv.images()).isNotEmpty();
        assertThat(inv.problems()).isEmpty(); // a stream that hashes differently is a problem naming it
        assertThat(inv.images()).allSatisfy(i -> assertThat(i.diffIds()).isNotEmpty());
        assertThat(Scanner.detect(Fixtures.root().resolve(fixture).toString())).contains(SourceKind.ARCHIVE);
    }

    @Test
    void a_docker_save_archive_matches_the_image_docker_inspected_on_build_01() {
        JsonNode want = buildWorker();
        ImageRecord got = scan("fleet-main/archives/shop-worker-1.0.docker.tar").images().get(0);
        assertThat(got.id().toString()).isEqualTo(want.get("Id").asText());
        assertThat(got.repoTags()).containsExactlyElementsOf(texts(want.get("RepoTags")));
        assertThat(got.diffIds().stream().map(Digest::toString).toList()).containsExactlyElementsOf(texts(want.get("RootFS").get("Layers")));
        assertThat(got.size()).isEqualTo(want.get("Size").asLong());
        assertThat(got.created()).isEqualTo(Rfc3339.parse(want.get("Created").asText()));
    }

    @Test
    void legacy_layer_folders_give_the_v1_layer_ids() {
        JsonNode legacy = DockerTruth.of("legacy-01").read("images.json");
        JsonNode worker = null;
        for (JsonNode n : legacy) {
            if (texts(n.get("repoTags")).contains("127.0.0.1:5055/shop/worker:1.0")) {
                worker = n;
            }
        }
        HostInventory inv = scan("fleet-main/archives/shop-worker-1.0.docker.tar");
        List<String> v1 = inv.images().get(0).chainIds().stream().map(c -> layer(inv, c).v1Id()).toList();
        assertThat(v1).containsExactlyElementsOf(texts(worker.get("v1LayerIds")));
    }

    @Test
    void an_oci_archive_has_the_same_layers_and_their_gzip_blob_digests() {
        JsonNode want = buildWorker();
        HostInventory inv = scan("fleet-main/archives/shop-worker-1.0.oci-archive.tar");
        ImageRecord got = inv.images().get(0);
        assertThat(got.diffIds().stream().map(Digest::toString).toList()).containsExactlyElementsOf(texts(want.get("RootFS").get("Layers")));
        assertThat(got.size()).isEqualTo(want.get("Size").asLong());
        for (Digest c : got.chainIds()) {
            assertThat(layer(inv, c).compressedDigests()).singleElement()
                    .extracting(CompressedDigest::mediaType).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
        }
    }

    @Test
    void gzip_zstd_and_plain_layers_of_one_image_give_the_same_diff_ids() {
        ImageRecord gz = scan("public/dive-oci-gzip-image.tar").images().get(0);
        HostInventory zstd = scan("public/dive-oci-zstd-image.tar");
        HostInventory plain = scan("public/dive-oci-uncompressed-image.tar");
        assertThat(zstd.images().get(0).diffIds()).isEqualTo(gz.diffIds());
        assertThat(plain.images().get(0).diffIds()).isEqualTo(gz.diffIds());
        assertThat(zstd.layers().get(0).compressedDigests()).singleElement()
                .extracting(CompressedDigest::mediaType).asString().contains("zstd");
        assertThat(plain.layers().get(0).compressedDigests()).isEmpty();
    }

    @Test
    void two_images_in_one_archive_with_a_symlinked_layer_and_a_parent() {
        HostInventory inv = scan("public/ggcr-test-link.tar");
        assertThat(inv.images()).hasSize(2);
        ImageRecord one = inv.images().stream().filter(i -> i.repoTags().contains("bazel/v1/tarball:test_image_1")).findFirst().orElseThrow();
        ImageRecord three = inv.images().stream().filter(i -> i.repoTags().contains("bazel/v1/tarball:test_image_3")).findFirst().orElseThrow();
        assertThat(three.parent()).isEqualTo(one.id());
        assertThat(three.diffIds()).hasSize(2);
    }

    @Test
    void a_gzipped_windows_archive_with_links_out_of_layer_folders_is_read() {
        HostInventory inv = scan("public/ci-windows-mini-image.tar.gz");
        ImageRecord img = inv.images().get(0);
        assertThat(img.repoTags()).isEmpty();
        assertThat(img.os()).isEqualTo("windows");
        assertThat(img.created()).isEqualTo(Rfc3339.parse("2021-04-30T07:20:45.4345264Z"));
        // the config spells it "rootfS": Go's JSON decoder, and so Docker, matches member names ignoring case
        assertThat(img.diffIds()).hasSize(1);
        // The fixture's layer is a cut-down stand-in: its stream does not hash to the config's diff ID.
        assertThat(inv.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).startsWith("ci-windows-mini-image.tar.gz!").endsWith(".tar");
            assertThat(p.reason()).contains("but the config's diff_ids[0] is " + img.diffIds().get(0));
        });
    }

    static LayerRecord layer(HostInventory inv, Digest chain) {
        return inv.layers().stream().filter(l -> l.chainId().equals(chain)).findFirst().orElseThrow();
    }

    static List<String> texts(JsonNode a) {
        List<String> out = new ArrayList<>();
        if (a != null) {
            a.forEach(n -> out.add(n.asText()));
        }
        return out;
    }
}
