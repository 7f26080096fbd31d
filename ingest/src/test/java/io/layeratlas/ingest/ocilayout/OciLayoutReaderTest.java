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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
            // commons-compress stamps "now": a fixed mtime keeps the blob's digest the same on every build
            e.setModTime(java.nio.file.attribute.FileTime.from(java.time.Instant.parse("2024-01-01T00:00:00Z")));
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

    // --- the readers' "inputs that must not break it": foreign layers, unknown media types ---

    /** Writes a config naming {@code diffIds} and a manifest over {@code layerDescs}; returns the manifest's descriptor. */
    String image(Path layout, String arch, List<Digest> diffIds, List<String> layerDescs, String name) throws IOException {
        String cfg = blob(layout, "application/vnd.oci.image.config.v1+json", ("{\"architecture\":\"" + arch
                + "\",\"os\":\"windows\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + String.join(",", diffIds.stream().map(d -> "\"" + d + "\"").toList()) + "]}}").getBytes(StandardCharsets.UTF_8), "");
        return blob(layout, "application/vnd.oci.image.manifest.v1+json", ("{\"schemaVersion\":2,"
                + "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":" + cfg + ",\"layers\":["
                + String.join(",", layerDescs) + "]}").getBytes(StandardCharsets.UTF_8),
                ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + name + "\"}");
    }

    static Path index(Path layout, List<String> descs) throws IOException {
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[" + String.join(",", descs) + "]}");
        return layout;
    }

    /**
     * A Windows-style image whose base layer is foreign ({@code foreignType}, with {@code urls}) and not stored,
     * over a stored gzip layer; and a second image whose ordinary layer blob is missing.
     */
    private Digest ownDiffId;

    Path layoutWithAbsentForeignBase(String foreignType) throws IOException {
        Path layout = tmp.resolve("win");
        Files.createDirectories(layout);
        byte[] own = gzipTar();
        ownDiffId = diffIdOf(own);
        String ownDesc = blob(layout, "application/vnd.oci.image.layer.v1.tar+gzip", own, "");
        Digest foreignBlob = Digest.sha256Of("the base layer, served by mcr.microsoft.com".getBytes(StandardCharsets.UTF_8));
        Digest foreignDiff = Digest.sha256Of("its uncompressed tar".getBytes(StandardCharsets.UTF_8));
        String foreignDesc = "{\"mediaType\":\"" + foreignType + "\",\"digest\":\"" + foreignBlob + "\",\"size\":1234567890,"
                + "\"urls\":[\"https://mcr.microsoft.com/v2/windows/servercore/blobs/" + foreignBlob + "\"]}";
        String win = image(layout, "amd64", List.of(foreignDiff, diffIdOf(own)), List.of(foreignDesc, ownDesc), "win:1");
        Digest gone = Digest.sha256Of("an ordinary layer nobody stored".getBytes(StandardCharsets.UTF_8));
        String goneDesc = "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + gone + "\",\"size\":10}";
        String broken = image(layout, "arm64", List.of(gone), List.of(goneDesc), "broken:1");
        return index(layout, List.of(broken, win));
    }

    /** The layout folder as an OCI archive. */
    Path tarOf(Path layout) throws IOException {
        Path out = tmp.resolve(layout.getFileName() + ".tar");
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(Files.newOutputStream(out));
             var files = Files.walk(layout)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                byte[] b = Files.readAllBytes(f);
                var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(layout.relativize(f).toString().replace('\\', '/'));
                e.setSize(b.length);
                t.putArchiveEntry(e);
                t.write(b);
                t.closeArchiveEntry();
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"})
    void an_absent_foreign_base_layer_is_known_absent_and_the_image_keeps_its_diff_ids(String foreignType) throws IOException {
        Path layout = layoutWithAbsentForeignBase(foreignType);
        HostInventory folder = new OciLayoutReader().read(layout.toString(), "h").inventory();
        HostInventory archive = new io.layeratlas.ingest.archive.ArchiveReader().read(tarOf(layout).toString(), "h").inventory();
        for (HostInventory inv : List.of(folder, archive)) {
            ImageRecord win = inv.images().stream().filter(i -> i.repoTags().contains("win:1")).findFirst().orElseThrow();
            assertThat(win.diffIds()).hasSize(2);
            assertThat(win.diffIds().get(1)).isEqualTo(ownDiffId);
            assertThat(win.size()).isEqualTo(-1); // the base layer's size cannot be counted here
            // the stored layer is held; the foreign one is not claimed as a layer this source holds
            assertThat(inv.layers()).singleElement().satisfies(l -> assertThat(l.chainId()).isEqualTo(win.chainIds().get(1)));
            // not a problem (foreign layers are not required locally), unlike an ordinary missing blob
            assertThat(inv.images()).extracting(ImageRecord::repoTags).containsExactly(List.of("win:1"));
            assertThat(inv.problems()).singleElement().satisfies(p -> {
                assertThat(p.path()).endsWith("blobs/sha256/" + Digest.sha256Of("an ordinary layer nobody stored"
                        .getBytes(StandardCharsets.UTF_8)).hex());
                assertThat(p.reason()).contains(inv == folder ? "missing" : "no such entry");
            });
        }
    }

    @Test
    void unknown_media_types_are_located_problems_naming_the_type_and_the_rest_is_read() throws IOException {
        Path layout = tmp.resolve("odd");
        Files.createDirectories(layout);
        byte[] layer = gzipTar();
        String good = image(layout, "amd64", List.of(diffIdOf(layer)),
                List.of(blob(layout, "application/vnd.oci.image.layer.v1.tar+gzip", layer, "")), "good:1");
        String oddLayer = blob(layout, "application/x-something", layer, "");
        String odd = image(layout, "arm64", List.of(diffIdOf(layer)), List.of(oddLayer), "odd-layer:1");
        Digest thing = Digest.sha256Of("{\"what\":\"not a manifest\"}".getBytes(StandardCharsets.UTF_8));
        String unknown = "{\"mediaType\":\"application/vnd.example.thing.v1+json\",\"digest\":\"" + thing + "\",\"size\":25}";
        // a descriptor without a media type whose document declares an unknown one
        String undeclared = blob(layout, "", "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example.list+json\"}"
                .getBytes(StandardCharsets.UTF_8), "").replace("\"mediaType\":\"\",", "");
        index(layout, List.of(unknown, good, odd, undeclared));
        HostInventory inv = new OciLayoutReader().read(layout.toString(), "h").inventory();
        assertThat(inv.images()).extracting(i -> i.repoTags().get(0)).containsExactlyInAnyOrder("good:1", "odd-layer:1");
        Digest undeclaredDigest = Digest.parse(undeclared.replaceAll(".*\"digest\":\"([^\"]+)\".*", "$1"));
        Digest oddManifest = Digest.parse(odd.replaceAll(".*\"digest\":\"([^\"]+)\".*", "$1"));
        assertThat(inv.problems()).containsExactlyInAnyOrder(
                new Problem("index.json manifests[0]", "unknown media type application/vnd.example.thing.v1+json for " + thing
                        + ": neither an image index nor an image manifest; skipped"),
                new Problem("blobs/sha256/" + Digest.sha256Of(layer).hex(), "unknown layer media type application/x-something"
                        + " (blobs/sha256/" + oddManifest.hex() + " layers[0]); read as a layer by its magic bytes"),
                new Problem("blobs/sha256/" + undeclaredDigest.hex(), "unknown media type application/vnd.example.list+json"
                        + ": neither an image index nor an image manifest; skipped"));
    }
}
