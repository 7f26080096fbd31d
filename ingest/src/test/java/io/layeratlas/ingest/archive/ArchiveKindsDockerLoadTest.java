package io.layeratlas.ingest.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.ingest.engine.DockerDaemon;
import io.layeratlas.testing.Fixtures;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Archive kinds that {@code docker load} accepts, made here and loaded into the tests' own dockerd 20.10
 * ({@link DockerDaemon}); every expected image ID, diff ID, tag and parent is what {@code docker image inspect}
 * says after {@code docker load -i}. Issue 12: pre-1.10 archives ({@code repositories} and
 * {@code <v1 id>/{VERSION,json,layer.tar}}, no {@code manifest.json}), a {@code manifest.json} spelled as some
 * image builders spell it (member names in other cases, a duplicate member, an unknown one), and stores one
 * folder down. Docker itself refuses the last kind and a pre-1.10 archive without {@code repositories}; for
 * those the test records Docker's refusal, and the expected values come from loading the same store at the top.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchiveKindsDockerLoadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BASE_V1 = hex("legacy-base");
    private static final String CHILD_V1 = hex("legacy-child");

    private DockerDaemon daemon;
    private Path work;
    private Path legacy;
    private Path legacyUntagged;
    private Path saved;
    private Path quirky;
    private Path nested;
    private Path nestedOci;
    private String nestedRefusal;
    private String untaggedRefusal;
    private String ociRefusal;

    @BeforeAll
    void start_a_daemon_make_the_archives_and_load_them() throws IOException {
        daemon = DockerDaemon.startOrSkip(Path.of("target").toAbsolutePath());
        work = Files.createDirectories(daemon.dataRoot().resolveSibling("work"));
        Path rootfs = DockerDaemon.busyboxRootfs(work.resolve("rootfs.tar"), "ID=atlas-legacy");

        // A pre-1.10 `docker save`: two v1 images, the child's layer gzipped (Docker decompresses it), its json
        // spelling "Parent" as Go's struct decoding allows, its Cmd a single string, its author needing escapes.
        legacy = work.resolve("legacy.tar");
        byte[] childLayer = gzip(tarOf(Map.of("hi", "hello from 2015\n")));
        String baseJson = "{\"id\":\"" + BASE_V1 + "\",\"created\":\"2015-11-04T12:00:00.123456789Z\","
                + "\"container\":\"" + hex("c1") + "\",\"container_config\":{\"Hostname\":\"\",\"Cmd\":[\"/bin/sh\",\"-c\","
                + "\"#(nop) ADD file:0123 in /\"],\"Image\":\"\"},\"docker_version\":\"1.9.1\",\"config\":{\"Cmd\":[\"/bin/sh\"],"
                + "\"Env\":[\"PATH=/bin\"]},\"architecture\":\"amd64\",\"os\":\"linux\",\"Size\":" + Files.size(rootfs) + "}";
        String childJson = "{\"id\":\"" + CHILD_V1 + "\",\"Parent\":\"" + BASE_V1 + "\",\"created\":\"2015-11-05T09:30:00+02:00\","
                + "\"container\":\"" + hex("c2") + "\",\"container_config\":{\"Cmd\":\"/bin/sh -c echo hi > /hi\"},"
                + "\"author\":\"Ops <ops@example.com> & co\",\"comment\":\"made by hand\",\"docker_version\":\"1.9.1\","
                + "\"config\":{\"Cmd\":[\"/bin/sh\"]},\"architecture\":\"amd64\",\"os\":\"linux\",\"Size\":16}";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(BASE_V1 + "/VERSION", utf8("1.0"));
        files.put(BASE_V1 + "/json", utf8(baseJson));
        files.put(BASE_V1 + "/layer.tar", Files.readAllBytes(rootfs));
        files.put(CHILD_V1 + "/VERSION", utf8("1.0"));
        files.put(CHILD_V1 + "/json", utf8(childJson));
        files.put(CHILD_V1 + "/layer.tar", childLayer);
        Map<String, byte[]> withRepositories = new LinkedHashMap<>(files);
        withRepositories.put("repositories", utf8("{\"legacy/app\":{\"1.0\":\"" + CHILD_V1 + "\",\"latest\":\"" + CHILD_V1
                + "\"},\"legacy/base\":{\"1.0\":\"" + BASE_V1 + "\"}}"));
        write(legacy, withRepositories);
        daemon.docker("load", "-q", "-i", legacy.toString());

        legacyUntagged = work.resolve("legacy-no-repositories.tar");
        write(legacyUntagged, files);
        untaggedRefusal = refusal("load", "-i", legacyUntagged.toString());

        // docker save of an imported image, then its manifest.json rewritten as other builders write it.
        daemon.docker("import", "-c", "CMD [\"/bin/sh\"]", "-m", "quirky manifest", rootfs.toString(), "atlas/quirk:1");
        saved = work.resolve("saved.tar");
        daemon.docker("save", "-o", saved.toString(), "atlas/quirk:1");
        Map<String, byte[]> savedEntries = entries(saved);
        JsonNode item = JSON.readTree(savedEntries.get("manifest.json")).get(0);
        String manifest = "[{\"Config\":\"no-such-config.json\",\"config\":" + item.get("Config") + ","
                + "\"repoTags\":[\"atlas/quirk:2\"],\"layers\":" + item.get("Layers") + ",\"BuiltBy\":\"some tool\"}]";
        Map<String, byte[]> quirkyEntries = new LinkedHashMap<>(savedEntries);
        quirkyEntries.put("manifest.json", utf8(manifest));
        quirky = work.resolve("quirky.tar");
        write(quirky, quirkyEntries);
        daemon.docker("load", "-q", "-i", quirky.toString());

        // The tar of the folder the docker save output was unpacked into: Docker refuses it.
        nested = work.resolve("nested.tar");
        write(nested, prefixed("out/", savedEntries));
        nestedRefusal = refusal("load", "-i", nested.toString());

        // The tar of an OCI layout folder (build-01's worker image): Docker 20.10 loads no OCI layout at all.
        nestedOci = work.resolve("nested-oci.tar");
        write(nestedOci, prefixed("layout/", entries(Fixtures.root().resolve("fleet-main/archives/shop-worker-1.0.oci-archive.tar"))));
        ociRefusal = refusal("load", "-i", nestedOci.toString());
    }

    @AfterAll
    void stop_the_daemon() {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void a_pre_1_10_archive_gives_the_image_ids_diff_ids_tags_and_parents_docker_load_gave() throws IOException {
        HostInventory inv = scan(legacy);
        assertThat(inv.problems()).isEmpty();
        assertThat(inv.images()).hasSize(2);
        for (String ref : List.of("legacy/app:1.0", "legacy/base:1.0")) {
            JsonNode want = inspect(ref);
            ImageRecord got = image(inv, want.get("Id").asText());
            assertThat(got.repoTags()).as(ref).containsExactlyElementsOf(texts(want.get("RepoTags")));
            assertThat(got.diffIds().stream().map(Digest::toString).toList()).as(ref)
                    .containsExactlyElementsOf(texts(want.get("RootFS").get("Layers")));
            String parent = want.get("Parent").asText();
            assertThat(got.parent() == null ? "" : got.parent().toString()).as(ref).isEqualTo(parent);
            assertThat(got.created()).as(ref).isEqualTo(java.time.Instant.parse(want.get("Created").asText()));
            assertThat(got.history()).hasSize(history(ref).size());
        }
        ImageRecord app = image(inv, inspect("legacy/app:1.0").get("Id").asText());
        assertThat(app.chainIds().stream().map(c -> ArchiveReaderTest.layer(inv, c).v1Id()).toList())
                .containsExactly(BASE_V1, CHILD_V1);
        assertThat(app.history().get(1).createdBy()).isEqualTo("/bin/sh -c echo hi > /hi");
        assertThat(Scanner.detect(legacy.toString())).contains(SourceKind.ARCHIVE);
    }

    @Test
    void the_layer_sizes_of_a_pre_1_10_archive_are_those_docker_counted() throws IOException {
        HostInventory inv = scan(legacy);
        for (String ref : List.of("legacy/app:1.0", "legacy/base:1.0")) {
            JsonNode want = inspect(ref);
            assertThat(image(inv, want.get("Id").asText()).size()).as(ref).isEqualTo(want.get("Size").asLong());
        }
    }

    @Test
    void a_pre_1_10_archive_without_repositories_is_read_untagged_with_a_problem_where_docker_refuses_it() {
        // docker load: "open …/docker-import-…/repositories: no such file or directory"
        assertThat(untaggedRefusal).contains("/repositories: no such file or directory");
        HostInventory inv = scan(legacyUntagged);
        assertThat(inv.images()).hasSize(2).allSatisfy(i -> assertThat(i.repoTags()).isEmpty());
        assertThat(inv.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("legacy-no-repositories.tar!repositories");
            assertThat(p.reason()).startsWith("missing: the images are read without tags");
        });
    }

    @Test
    void a_manifest_with_other_cases_a_duplicate_and_an_unknown_member_reads_as_docker_load_read_it() throws IOException {
        JsonNode want = inspect("atlas/quirk:2");
        HostInventory inv = scan(quirky);
        assertThat(inv.problems()).isEmpty();
        ImageRecord got = inv.images().get(0);
        assertThat(got.id().toString()).isEqualTo(want.get("Id").asText());
        assertThat(got.repoTags()).containsExactly("atlas/quirk:2");
        assertThat(got.diffIds().stream().map(Digest::toString).toList()).containsExactlyElementsOf(texts(want.get("RootFS").get("Layers")));
        assertThat(got.size()).isEqualTo(want.get("Size").asLong());
    }

    @Test
    void a_docker_save_one_folder_down_reads_like_the_same_archive_at_the_top_which_docker_refuses() throws IOException {
        // docker load takes the folder for a v1 image: "open …/docker-import-…/out/json: no such file or directory"
        assertThat(nestedRefusal).contains("/out/json: no such file or directory");
        JsonNode want = inspect("atlas/quirk:1");
        HostInventory inv = scan(nested);
        assertThat(inv.problems()).isEmpty();
        ImageRecord got = inv.images().get(0);
        assertThat(got.id().toString()).isEqualTo(want.get("Id").asText());
        assertThat(got.repoTags()).containsExactly("atlas/quirk:1");
        assertThat(got.diffIds().stream().map(Digest::toString).toList()).containsExactlyElementsOf(texts(want.get("RootFS").get("Layers")));
        assertThat(inv.layers()).extracting(LayerRecord::v1Id).doesNotContainNull();
    }

    @Test
    void an_oci_layout_one_folder_down_reads_like_the_oci_archive_at_the_top_which_docker_20_10_refuses() {
        assertThat(ociRefusal).contains("/layout/json: no such file or directory");
        JsonNode want = ArchiveReaderTest.buildWorker();
        HostInventory inv = scan(nestedOci);
        assertThat(inv.problems()).isEmpty();
        ImageRecord got = inv.images().get(0);
        // the OCI archive's config is not byte-equal to build-01's (its ID differs there too): same as at the top
        HostInventory top = ArchiveReaderTest.scan("fleet-main/archives/shop-worker-1.0.oci-archive.tar");
        assertThat(got.id()).isEqualTo(top.images().get(0).id());
        assertThat(got.diffIds().stream().map(Digest::toString).toList()).containsExactlyElementsOf(texts(want.get("RootFS").get("Layers")));
        assertThat(got.size()).isEqualTo(want.get("Size").asLong());
        assertThat(inv.layers()).extracting(LayerRecord::compressedDigests).isEqualTo(top.layers().stream()
                .map(LayerRecord::compressedDigests).toList());
    }

    @Test
    void a_tar_with_no_image_store_at_the_top_or_one_folder_down_is_not_an_image_archive() throws IOException {
        Path p = work.resolve("photos.tar");
        write(p, Map.of("deep/er/manifest.json", utf8("[]"), "readme.txt", utf8("hi")));
        assertThatThrownBy(() -> scan(p)).hasMessageContaining("not an image archive: no manifest.json, index.json, "
                + "repositories or <v1 id>/json, at the top or one folder down");
        Problem problem = new Scanner().scanOrReport(p.toString(), Optional.empty(), "h").problems().get(0);
        assertThat(problem.path()).isEqualTo(p.toString());
    }

    // --- helpers ---

    private String refusal(String... args) {
        try {
            daemon.docker(args);
            return "";
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    private JsonNode inspect(String ref) throws IOException {
        return JSON.readTree(daemon.docker("image", "inspect", ref)).get(0);
    }

    private JsonNode history(String ref) throws IOException {
        return JSON.readTree("[" + String.join(",", daemon.docker("history", "--no-trunc", "--format", "{{json .}}", ref)
                .strip().split("\n")) + "]");
    }

    private static HostInventory scan(Path p) {
        return new ArchiveReader().read(p.toString(), "h").inventory();
    }

    private static ImageRecord image(HostInventory inv, String id) {
        return inv.images().stream().filter(i -> i.id().toString().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no image " + id + " in " + inv.images()));
    }

    private static List<String> texts(JsonNode a) {
        return ArchiveReaderTest.texts(a);
    }

    private static String hex(String seed) {
        return Digest.sha256Of(utf8(seed)).hex();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) {
            g.write(b);
        }
        return out.toByteArray();
    }

    private static byte[] tarOf(Map<String, String> files) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                put(t, f.getKey(), utf8(f.getValue()));
            }
        }
        return out.toByteArray();
    }

    private static void write(Path p, Map<String, byte[]> files) throws IOException {
        try (OutputStream out = Files.newOutputStream(p); TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                put(t, f.getKey(), f.getValue());
            }
        }
    }

    private static void put(TarArchiveOutputStream t, String name, byte[] data) throws IOException {
        TarArchiveEntry e = ArchiveBadInputTest.fixedTime(new TarArchiveEntry(name, true));
        e.setSize(data.length);
        e.setMode(0644);
        t.putArchiveEntry(e);
        t.write(data);
        t.closeArchiveEntry();
    }

    /** The regular files of a tar, by name (links are not used by the archives read here). */
    private static Map<String, byte[]> entries(Path tar) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(tar); TarArchiveInputStream t = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = t.getNextEntry()) != null) {
                if (e.isFile()) {
                    out.put(e.getName(), t.readAllBytes());
                }
            }
        }
        return out;
    }

    private static Map<String, byte[]> prefixed(String prefix, Map<String, byte[]> entries) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        entries.forEach((k, v) -> out.put(prefix + k, v));
        return out;
    }
}
