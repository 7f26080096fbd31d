package io.layeratlas.ingest.ocilayout;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.Problem;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.DockerTruth;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.ingest.UnreadableSourceException;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OciLayoutReaderTest {
    @TempDir
    Path tmp;

    @Test
    void the_skopeo_layout_of_shop_worker_has_the_layers_docker_inspected_on_build_01() {
        Path layout = Fixtures.extracted(Fixtures.root().resolve("fleet-main/archives/shop-worker-1.0.oci-layout.tar"),
                "fleet-main/oci-layout").resolve("oci-worker");
        assertThat(Scanner.detect(layout.toString())).contains(SourceKind.OCI_LAYOUT);
        HostInventory inv = new OciLayoutReader().read(layout.toString(), "h").inventory();
        JsonNode want = DockerTruth.of("build-01").inspect().values().stream()
                .filter(n -> n.get("RepoTags").toString().contains("127.0.0.1:5055/shop/worker:1.0")).findFirst().orElseThrow();
        assertThat(inv.problems()).isEmpty();
        ImageRecord img = inv.images().get(0);
        List<String> layers = new ArrayList<>();
        want.get("RootFS").get("Layers").forEach(n -> layers.add(n.asText()));
        assertThat(img.diffIds().stream().map(Digest::toString).toList()).containsExactlyElementsOf(layers);
        assertThat(img.size()).isEqualTo(want.get("Size").asLong());
        assertThat(inv.layers()).allSatisfy(l -> assertThat(l.compressedDigests()).hasSize(1));
    }

    /** Writes a blob under blobs/sha256 and returns its descriptor JSON. */
    String blob(Path layout, String mediaType, byte[] bytes, String extra) throws IOException {
        Digest d = Digest.sha256Of(bytes);
        Files.createDirectories(layout.resolve("blobs/sha256"));
        Files.write(layout.resolve("blobs/sha256").resolve(d.hex()), bytes);
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + d + "\",\"size\":" + bytes.length + extra + "}";
    }

    static byte[] gzipTar() throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(tar)) {
            byte[] data = "x".repeat(100).getBytes(StandardCharsets.UTF_8);
            var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("f");
            e.setSize(data.length);
            t.putArchiveEntry(e);
            t.write(data);
            t.closeArchiveEntry();
        }
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write(tar.toByteArray());
        }
        return gz.toByteArray();
    }

    static Digest diffIdOf(byte[] gz) throws IOException {
        try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            return Digest.sha256Of(in.readAllBytes());
        }
    }

    Path multiPlatformLayoutWithAttestation() throws IOException {
        Path layout = tmp.resolve("layout");
        Files.createDirectories(layout);
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        byte[] layer = gzipTar();
        String layerDesc = blob(layout, "application/vnd.oci.image.layer.v1.tar+gzip", layer, "");
        List<String> manifests = new ArrayList<>();
        for (String arch : List.of("amd64", "arm64")) {
            String cfg = blob(layout, "application/vnd.oci.image.config.v1+json", ("{\"architecture\":\"" + arch
                    + "\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffIdOf(layer) + "\"]}}")
                    .getBytes(StandardCharsets.UTF_8), "");
            manifests.add(blob(layout, "application/vnd.oci.image.manifest.v1+json", ("{\"schemaVersion\":2,"
                    + "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":" + cfg + ",\"layers\":["
                    + layerDesc + "]}").getBytes(StandardCharsets.UTF_8),
                    ",\"platform\":{\"os\":\"linux\",\"architecture\":\"" + arch + "\"}"));
        }
        String statement = blob(layout, "application/vnd.in-toto+json", "{\"_type\":\"https://in-toto.io/Statement/v0.1\"}"
                .getBytes(StandardCharsets.UTF_8), "");
        String attCfg = blob(layout, "application/vnd.oci.image.config.v1+json",
                "{\"architecture\":\"unknown\",\"os\":\"unknown\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}".getBytes(StandardCharsets.UTF_8), "");
        manifests.add(blob(layout, "application/vnd.oci.image.manifest.v1+json", ("{\"schemaVersion\":2,\"config\":"
                + attCfg + ",\"layers\":[" + statement + "]}").getBytes(StandardCharsets.UTF_8),
                ",\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"},\"annotations\":"
                        + "{\"vnd.docker.reference.type\":\"attestation-manifest\"}"));
        String nested = blob(layout, "application/vnd.oci.image.index.v1+json", ("{\"schemaVersion\":2,\"manifests\":["
                + String.join(",", manifests) + "]}").getBytes(StandardCharsets.UTF_8),
                ",\"annotations\":{\"io.containerd.image.name\":\"example.com/app:1\"}");
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[" + nested + "]}");
        return layout;
    }

    @Test
    void a_nested_multi_platform_index_gives_one_image_per_platform_and_no_attestation() throws IOException {
        HostInventory inv = new OciLayoutReader().read(multiPlatformLayoutWithAttestation().toString(), "h").inventory();
        assertThat(inv.problems()).isEmpty();
        assertThat(inv.images()).extracting(ImageRecord::architecture).containsExactlyInAnyOrder("amd64", "arm64");
        assertThat(inv.images()).allSatisfy(i -> assertThat(i.repoTags()).containsExactly("example.com/app:1"));
        assertThat(inv.layers()).hasSize(1);
        assertThat(inv.layers().get(0).size()).isEqualTo(100);
        assertThat(inv.images()).allSatisfy(i -> assertThat(i.sharedSize()).isEqualTo(100));
    }

    @Test
    void a_blob_that_does_not_match_its_digest_is_a_problem() throws IOException {
        Path layout = multiPlatformLayoutWithAttestation();
        Path layerBlob;
        try (var s = Files.list(layout.resolve("blobs/sha256"))) {
            layerBlob = s.filter(p -> {
                try {
                    byte[] b = Files.readAllBytes(p);
                    return b.length > 1 && (b[0] & 0xff) == 0x1f;
                } catch (IOException e) {
                    return false;
                }
            }).findFirst().orElseThrow();
        }
        Files.write(layerBlob, gzipTar().length > 0 ? "tampered".getBytes(StandardCharsets.UTF_8) : new byte[0]);
        HostInventory inv = new OciLayoutReader().read(layout.toString(), "h").inventory();
        assertThat(inv.images()).isEmpty();
        assertThat(inv.problems()).extracting(Problem::path).containsOnly("blobs/sha256/" + layerBlob.getFileName());
    }

    @Test
    void a_folder_without_index_json_is_refused() {
        assertThatThrownBy(() -> new OciLayoutReader().read(tmp.toString(), "h"))
                .isInstanceOf(UnreadableSourceException.class).hasMessageContaining("index.json");
    }
}
