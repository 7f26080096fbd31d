package io.layeratlas.ingest.dataroot;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.Problem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static io.layeratlas.ingest.dataroot.DataRootBuilder.config;
import static io.layeratlas.ingest.dataroot.DataRootBuilder.diffId;
import static org.assertj.core.api.Assertions.assertThat;

/** Bad and odd data-roots: each bad item is one located problem, and the rest of the scan goes on. */
class DataRootBadInputTest {

    private static final String T = "2024-05-06T07:08:09.123Z";

    @TempDir
    Path tmp;
    Path root;
    DataRootBuilder b;
    List<Digest> twoLayers;
    /** A good image in every data-root, to show the scan went on past the bad item. */
    Digest good;

    @BeforeEach
    void setUp() {
        root = tmp.resolve("docker");
        b = new DataRootBuilder(root, "vfs");
        twoLayers = List.of(diffId("a"), diffId("b"));
        b.layers(twoLayers, 100, 20);
        good = b.image(config(T, twoLayers));
    }

    HostInventory scan() {
        return new DataRootReader().read(root.toString(), "h").inventory();
    }

    static ImageRecord image(HostInventory inv, Digest id) {
        return inv.images().stream().filter(i -> i.id().equals(id)).findFirst().orElseThrow(
                () -> new AssertionError("image " + id + " not found in " + inv.images()));
    }

    String contentPath(Digest id) {
        return "image/vfs/imagedb/content/sha256/" + id.hex();
    }

    @Test
    void any_driver_name_is_read_and_the_good_image_is_complete() {
        HostInventory inv = scan();
        assertThat(inv.problems()).isEmpty();
        ImageRecord img = image(inv, good);
        assertThat(img.size()).isEqualTo(120);
        assertThat(img.history()).extracting(HistoryEntry::size).containsExactly(100L, 20L);
        assertThat(inv.layers()).hasSize(2);
        assertThat(inv.layers().get(0).cacheId()).startsWith("cache");
    }

    @Test
    void a_config_with_missing_history_created_and_rootfs_is_listed_with_problems_for_rootfs() {
        Digest id = b.image("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
        HostInventory inv = scan();
        ImageRecord img = image(inv, id);
        assertThat(img.created()).isNull();
        assertThat(img.history()).isEmpty();
        assertThat(img.diffIds()).isEmpty();
        assertThat(img.size()).isZero();
        assertThat(inv.problems()).containsExactly(
                new Problem(contentPath(id), "rootfs is missing: the image has no layers"));
        image(inv, good);
    }

    @Test
    void null_fields_in_a_config_are_taken_as_absent() {
        Digest id = b.image("{\"created\":null,\"os\":null,\"architecture\":null,\"history\":null,"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":null}}");
        HostInventory inv = scan();
        ImageRecord img = image(inv, id);
        assertThat(img.created()).isNull();
        assertThat(img.os()).isNull();
        assertThat(img.history()).isEmpty();
        assertThat(inv.problems()).extracting(Problem::path, Problem::reason).containsExactly(
                org.assertj.core.groups.Tuple.tuple(contentPath(id), "rootfs.diff_ids is missing: the image has no layers"));
    }

    @Test
    void an_image_with_zero_layers_and_empty_lists_has_size_zero_and_no_problem() {
        Digest id = b.image("{\"created\":\"" + T + "\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
                + "\"history\":[{\"created_by\":\"LABEL x=y\",\"empty_layer\":true}]}");
        HostInventory inv = scan();
        ImageRecord img = image(inv, id);
        assertThat(img.diffIds()).isEmpty();
        assertThat(img.chainIds()).isEmpty();
        assertThat(img.size()).isZero();
        assertThat(img.history()).singleElement().satisfies(h -> {
            assertThat(h.emptyLayer()).isTrue();
            assertThat(h.size()).isZero();
        });
        assertThat(inv.problems()).isEmpty();
    }

    @Test
    void history_shorter_than_the_layers_keeps_every_layer_and_says_so() {
        Digest id = b.image("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":" + DataRootBuilder.quoted(twoLayers) + "},"
                + "\"history\":[{\"created_by\":\"only one\"}]}");
        HostInventory inv = scan();
        ImageRecord img = image(inv, id);
        assertThat(img.diffIds()).containsExactlyElementsOf(twoLayers);
        assertThat(img.size()).isEqualTo(120);
        assertThat(img.history()).extracting(HistoryEntry::size).containsExactly(100L);
        assertThat(inv.problems()).containsExactly(new Problem(contentPath(id),
                "history has 1 non-empty steps but rootfs has 2 layers; every layer is kept"));
    }

    @Test
    void history_longer_than_the_layers_gives_the_extra_steps_size_zero_and_says_so() {
        Digest id = b.image("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":" + DataRootBuilder.quoted(twoLayers) + "},"
                + "\"history\":[{\"created_by\":\"1\"},{\"created_by\":\"e\",\"empty_layer\":true},"
                + "{\"created_by\":\"2\"},{\"created_by\":\"3\"}]}");
        HostInventory inv = scan();
        assertThat(image(inv, id).history()).extracting(HistoryEntry::size).containsExactly(100L, 0L, 20L, 0L);
        assertThat(inv.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo(contentPath(id));
            assertThat(p.reason()).startsWith("history has 3 non-empty steps but rootfs has 2 layers");
        });
    }

    @Test
    void a_zero_size_layer_is_still_a_layer_not_an_empty_step() {
        List<Digest> stack = List.of(diffId("a"), diffId("zero"));
        b.layers(stack, 100, 0);
        Digest id = b.image(config(T, stack));
        HostInventory inv = scan();
        ImageRecord img = image(inv, id);
        assertThat(img.diffIds()).hasSize(2);
        assertThat(img.history().get(1).emptyLayer()).isFalse();
        assertThat(img.history().get(1).size()).isZero();
        assertThat(img.size()).isEqualTo(100);
        assertThat(inv.problems()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "2024-01-02T03:04:05Z,                    2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.1Z,                  2024-01-02T03:04:05.100Z",
            "2024-01-02T03:04:05.123456789Z,          2024-01-02T03:04:05.123456789Z",
            "2024-01-02T03:04:05.12345+05:30,         2024-01-01T21:34:05.12345Z",
            "2024-01-02T03:04:05-08:00,               2024-01-02T11:04:05Z",
            "2024-01-02T03:04:05.000000001+00:00,     2024-01-02T03:04:05.000000001Z",
            "0001-01-01T00:00:00Z,                    0001-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z,                    1970-01-01T00:00:00Z",
    })
    void created_is_read_with_any_fraction_and_offset(String created, String instant) {
        Digest id = b.image(config(created, List.of()).replace("\"diff_ids\":[]", "\"diff_ids\":[]"));
        HostInventory inv = scan();
        assertThat(image(inv, id).created()).isEqualTo(Instant.parse(instant));
        assertThat(inv.problems()).isEmpty();
    }

    @Test
    void a_created_that_is_not_a_time_is_a_problem_and_the_image_stays() {
        Digest id = b.image(config("yesterday", List.of()));
        HostInventory inv = scan();
        assertThat(image(inv, id).created()).isNull();
        assertThat(inv.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo(contentPath(id));
            assertThat(p.reason()).startsWith("created is not an RFC 3339 time: 'yesterday'");
        });
    }

    @Test
    void untagged_and_digest_only_images_are_listed_with_what_they_have() {
        List<Digest> one = List.of(diffId("x"));
        b.layers(one, 5);
        Digest untagged = b.image(config("2024-01-01T00:00:00Z", one));
        Digest digestOnly = b.image(config("2024-01-01T00:00:01Z", one));
        Digest manifest = Digest.sha256Of("manifest");
        b.repositories("{\"Repositories\":{\"docker.io/library/busybox\":{"
                + "\"docker.io/library/busybox:1.36\":\"" + good + "\","
                + "\"docker.io/library/busybox@" + manifest + "\":\"" + digestOnly + "\"},"
                + "\"127.0.0.1:5055/shop/api\":{\"127.0.0.1:5055/shop/api:1.0\":\"" + good + "\"}}}");
        HostInventory inv = scan();
        assertThat(image(inv, untagged).repoTags()).isEmpty();
        assertThat(image(inv, untagged).repoDigests()).isEmpty();
        assertThat(image(inv, digestOnly).repoTags()).isEmpty();
        assertThat(image(inv, digestOnly).repoDigests()).containsExactly("busybox@" + manifest);
        assertThat(image(inv, good).repoTags()).containsExactly("127.0.0.1:5055/shop/api:1.0", "busybox:1.36");
        assertThat(inv.problems()).isEmpty();
    }

    @Test
    void a_zero_byte_config_is_a_problem_and_the_scan_goes_on() throws IOException {
        Path empty = b.driver.resolve("imagedb/content/sha256").resolve(Digest.sha256Of("gone").hex());
        Files.write(empty, new byte[0]);
        HostInventory inv = scan();
        assertThat(inv.images()).extracting(ImageRecord::id).containsExactly(good);
        assertThat(inv.problems()).containsExactly(new Problem(
                "image/vfs/imagedb/content/sha256/" + empty.getFileName(), "image config is empty (0 bytes)"));
    }

    @Test
    void a_truncated_config_does_not_match_its_name_and_is_left_out() throws IOException {
        byte[] full = config(T, twoLayers).replace("amd64", "arm64").getBytes(StandardCharsets.UTF_8);
        Digest id = b.image(full);
        Files.write(b.contentFile(id), Arrays.copyOf(full, full.length / 2));
        HostInventory inv = scan();
        assertThat(inv.images()).extracting(ImageRecord::id).containsExactly(good);
        assertThat(inv.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo(contentPath(id));
            assertThat(p.reason()).contains("does not match its name").contains((full.length / 2) + " bytes");
        });
    }

    @Test
    void a_truncated_config_stored_under_its_own_hash_is_not_json() {
        byte[] full = config(T, twoLayers).getBytes(StandardCharsets.UTF_8);
        Digest id = b.image(Arrays.copyOf(full, 40));
        HostInventory inv = scan();
        assertThat(inv.images()).extracting(ImageRecord::id).containsExactly(good);
        assertThat(inv.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo(contentPath(id));
            assertThat(p.reason()).startsWith("image config is not valid JSON");
        });
    }

    @Test
    void a_config_that_is_not_an_object_is_a_problem() {
        Digest id = b.image("[1,2,3]");
        HostInventory inv = scan();
        assertThat(inv.problems()).containsExactly(new Problem(contentPath(id), "image config is a JSON array, not an object"));
    }

    @Test
    void a_zero_byte_repositories_json_leaves_images_untagged_with_a_problem() {
        b.repositories("");
        HostInventory inv = scan();
        assertThat(image(inv, good).repoTags()).isEmpty();
        assertThat(inv.problems()).containsExactly(new Problem("image/vfs/repositories.json", "repositories.json is empty (0 bytes)"));
    }

    @Test
    void a_truncated_repositories_json_leaves_images_untagged_with_a_problem() {
        b.repositories("{\"Repositories\":{\"busybox\":{\"busybox:1\":\"" + good);
        HostInventory inv = scan();
        assertThat(image(inv, good).repoTags()).isEmpty();
        assertThat(inv.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("image/vfs/repositories.json");
            assertThat(p.reason()).startsWith("repositories.json is not valid JSON");
        });
    }

    @Test
    void bad_references_are_problems_and_good_ones_still_count() {
        b.repositories("{\"Repositories\":{\"r\":{\"r:1\":\"" + good + "\",\"r\":\"" + good + "\",\"r:2\":\"nope\","
                + "\"r:3\":\"" + Digest.sha256Of("absent") + "\"}}}");
        HostInventory inv = scan();
        assertThat(image(inv, good).repoTags()).containsExactly("r:1");
        assertThat(inv.problems()).extracting(Problem::reason).containsExactlyInAnyOrder(
                "reference r is neither name:tag nor name@digest",
                "reference r:2 points at \"nope\", not an image ID",
                "references [r:3] point at image " + Digest.sha256Of("absent") + ", which is not in imagedb");
    }

    @Test
    void a_symlink_loop_is_a_problem_not_a_hang() throws IOException {
        Path loop = b.driver.resolve("imagedb/content/sha256").resolve(Digest.sha256Of("loop").hex());
        Files.createSymbolicLink(loop, loop.getFileName());
        Path layerLoop = b.driver.resolve("layerdb/sha256").resolve(Digest.sha256Of("layer loop").hex());
        Files.createSymbolicLink(layerLoop, layerLoop.getFileName());
        HostInventory inv = scan();
        assertThat(inv.images()).extracting(ImageRecord::id).containsExactly(good);
        assertThat(inv.problems()).containsExactlyInAnyOrder(
                new Problem("image/vfs/imagedb/content/sha256/" + loop.getFileName(), "symbolic link loop"),
                new Problem("image/vfs/layerdb/sha256/" + layerLoop.getFileName(), "symbolic link loop"));
    }

    @Test
    void a_symlink_out_of_the_data_root_is_not_followed() throws IOException {
        byte[] outsideConfig = config(T, twoLayers).replace("linux", "outside").getBytes(StandardCharsets.UTF_8);
        Path outside = tmp.resolve("outside.json");
        Files.write(outside, outsideConfig);
        Digest id = Digest.sha256Of(outsideConfig);
        Files.createSymbolicLink(b.contentFile(id), outside);
        Files.createDirectories(root.resolve("containers/c1"));
        Files.createSymbolicLink(root.resolve("containers/c1/config.v2.json"), Path.of("/etc/hostname"));
        HostInventory inv = scan();
        assertThat(inv.images()).extracting(ImageRecord::id).containsExactly(good);
        assertThat(inv.problems()).extracting(Problem::path).containsExactlyInAnyOrder(
                contentPath(id), "containers/c1/config.v2.json");
        assertThat(inv.problems()).allSatisfy(p -> assertThat(p.reason()).startsWith("symbolic link escapes the root"));
    }

    @Test
    void a_layer_missing_from_layerdb_makes_sizes_unknown_not_wrong() {
        List<Digest> stack = List.of(diffId("a"), diffId("missing"));
        Digest id = b.image(config(T, stack));
        HostInventory inv = scan();
        ImageRecord img = image(inv, id);
        assertThat(img.size()).isEqualTo(-1);
        assertThat(img.sharedSize()).isEqualTo(-1);
        assertThat(img.uniqueSize()).isEqualTo(-1);
        assertThat(img.diffIds()).containsExactlyElementsOf(stack);
        assertThat(inv.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo(contentPath(id));
            assertThat(p.reason()).startsWith("layer 1 (chain ID ").endsWith("is not in layerdb; the image's size is unknown");
        });
    }

    @Test
    void a_layerdb_entry_whose_files_disagree_with_its_name_is_left_out() throws IOException {
        Path dir = b.driver.resolve("layerdb/sha256").resolve(Digest.sha256Of("bogus").hex());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("diff"), diffId("other").toString());
        Files.writeString(dir.resolve("size"), "12");
        Path noDiff = b.driver.resolve("layerdb/sha256").resolve(Digest.sha256Of("nodiff").hex());
        Files.createDirectories(noDiff);
        HostInventory inv = scan();
        assertThat(inv.layers()).hasSize(2);
        assertThat(inv.problems()).extracting(Problem::path).containsExactlyInAnyOrder(
                "image/vfs/layerdb/sha256/" + dir.getFileName(), "image/vfs/layerdb/sha256/" + noDiff.getFileName() + "/diff");
    }

    @Test
    void shared_size_counts_layers_other_listed_images_use_and_containers_are_counted() {
        List<Digest> three = List.of(diffId("a"), diffId("b"), diffId("c"));
        b.layers(three, 100, 20, 3);
        Digest child = b.image(config("2024-01-01T00:00:00Z", three));
        b.container("c1", child).container("c2", child).container("c3", good);
        HostInventory inv = scan();
        assertThat(image(inv, child).sharedSize()).isEqualTo(120);
        assertThat(image(inv, child).uniqueSize()).isEqualTo(3);
        assertThat(image(inv, child).containers()).isEqualTo(2);
        assertThat(image(inv, good).sharedSize()).isEqualTo(120);
        assertThat(image(inv, good).uniqueSize()).isZero();
        assertThat(image(inv, good).containers()).isEqualTo(1);
    }

    @Test
    void an_untagged_parent_of_another_image_does_not_make_its_layers_shared() {
        List<Digest> three = List.of(diffId("a"), diffId("b"), diffId("c"));
        b.layers(three, 100, 20, 3);
        Digest child = b.image(config("2024-01-01T00:00:00Z", three));
        b.parent(child, good);
        HostInventory inv = scan();
        assertThat(image(inv, child).parent()).isEqualTo(good);
        // `good` is now an intermediate image (untagged, has a child): Docker 20.10 does not count it.
        assertThat(image(inv, child).sharedSize()).isZero();
    }

    @Test
    void several_driver_folders_are_all_read() {
        DataRootBuilder other = new DataRootBuilder(root, "overlay2");
        List<Digest> one = List.of(diffId("o"));
        other.layers(one, 7);
        Digest id = other.image(config(T, one));
        HostInventory inv = scan();
        assertThat(inv.images()).extracting(ImageRecord::id).containsExactlyInAnyOrder(good, id);
        assertThat(image(inv, id).size()).isEqualTo(7);
    }

    @Test
    void scanning_writes_nothing_under_the_data_root() throws IOException {
        b.repositories("{\"Repositories\":{}}").container("c1", good);
        Map<String, String> before = snapshot(root);
        scan();
        assertThat(snapshot(root)).isEqualTo(before);
    }

    private static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                var attrs = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                        java.nio.file.LinkOption.NOFOLLOW_LINKS);
                out.put(root.relativize(p).toString(), attrs.size() + "@" + attrs.lastModifiedTime().toMillis());
            }
        }
        return out;
    }
}
