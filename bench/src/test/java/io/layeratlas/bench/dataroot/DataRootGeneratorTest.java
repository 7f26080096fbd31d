package io.layeratlas.bench.dataroot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.events.ChainIds;
import io.layeratlas.events.Digest;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Compares a generated data-root with the one Docker wrote for fleet-main's web-01. */
class DataRootGeneratorTest {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final Map<String, Pattern> CONTENT = Map.of(
            "cache-id", Pattern.compile("[0-9a-f]{64}"),
            "diff", Pattern.compile("sha256:[0-9a-f]{64}"),
            "parent", Pattern.compile("sha256:[0-9a-f]{64}"),
            "size", Pattern.compile("[0-9]+"),
            "mount-id", Pattern.compile("[0-9a-f]{64}"),
            "init-id", Pattern.compile("[0-9a-f]{64}-init"),
            "link", Pattern.compile("[A-Z2-7]{26}"),
            "lastUpdated", Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,9})?Z"));

    @TempDir
    static Path dir;
    private static Path generated;
    private static Path docker;
    private static DataRootGenerator.Result result;

    @BeforeAll
    static void generate() {
        result = DataRootGenerator.generate(dir.resolve("docker"), 60, 3);
        generated = result.dataRoot();
        docker = Fixtures.dataRoot("web-01");
    }

    @Test
    void the_image_store_has_the_same_kinds_of_files_as_dockers() throws IOException {
        Set<String> ours = shapes(generated.resolve("image/overlay2"));
        Set<String> theirs = shapes(docker.resolve("image/overlay2"));
        // Docker writes imagedb/metadata/<id>/parent only for locally built images (build-01 has them; web-01 pulled all).
        Set<String> allowedExtra = Set.of("imagedb/metadata/sha256/<hex>/parent", "layerdb/tmp/");
        assertThat(ours).containsAll(theirs);
        Set<String> extra = new TreeSet<>(ours);
        extra.removeAll(theirs);
        assertThat(allowedExtra).containsAll(extra);
        assertThat(shapes(generated.resolve("overlay2"))).containsAll(shapes(docker.resolve("overlay2")));
    }

    @Test
    void metadata_files_have_dockers_formats_without_trailing_newlines() throws IOException {
        for (Path root : List.of(docker, generated)) {
            try (Stream<Path> files = Files.walk(root.resolve("image/overlay2")).filter(Files::isRegularFile)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Pattern p = CONTENT.get(f.getFileName().toString());
                    if (p != null) {
                        String text = Files.readString(f, StandardCharsets.US_ASCII);
                        assertThat(text).as("%s", root.relativize(f)).matches(p);
                    }
                }
            }
        }
    }

    @Test
    void configs_hash_to_their_names_and_layers_sit_under_their_chain_ids() throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path image = generated.resolve("image/overlay2");
        List<Path> configs;
        try (Stream<Path> s = Files.list(image.resolve("imagedb/content/sha256"))) {
            configs = s.toList();
        }
        assertThat(configs).hasSize(60);
        for (Path config : configs) {
            byte[] bytes = Files.readAllBytes(config);
            assertThat(Digest.sha256Of(bytes).hex()).isEqualTo(config.getFileName().toString());
            List<Digest> diffIds = new ArrayList<>();
            json.readTree(bytes).get("rootfs").get("diff_ids").forEach(d -> diffIds.add(Digest.parse(d.asText())));
            List<Digest> chainIds = ChainIds.of(diffIds);
            for (int i = 0; i < chainIds.size(); i++) {
                Path layer = image.resolve("layerdb/sha256").resolve(chainIds.get(i).hex());
                assertThat(Files.readString(layer.resolve("diff"))).isEqualTo(diffIds.get(i).toString());
                if (i == 0) {
                    assertThat(layer.resolve("parent")).doesNotExist();
                } else {
                    assertThat(Files.readString(layer.resolve("parent"))).isEqualTo(chainIds.get(i - 1).toString());
                }
                String cacheId = Files.readString(layer.resolve("cache-id"));
                Path driverDir = generated.resolve("overlay2").resolve(cacheId);
                String link = Files.readString(driverDir.resolve("link"));
                assertThat(generated.resolve("overlay2/l").resolve(link).toRealPath())
                        .isEqualTo(driverDir.resolve("diff").toRealPath());
            }
        }
    }

    @Test
    void repositories_and_parents_point_at_images_that_exist() throws IOException {
        Path image = generated.resolve("image/overlay2");
        Set<String> ids = new HashSet<>();
        try (Stream<Path> s = Files.list(image.resolve("imagedb/content/sha256"))) {
            s.forEach(p -> ids.add("sha256:" + p.getFileName()));
        }
        JsonNode repos = new ObjectMapper().readTree(image.resolve("repositories.json").toFile()).get("Repositories");
        int refs = 0;
        for (var repo : (Iterable<Map.Entry<String, JsonNode>>) repos::fields) {
            for (var ref : (Iterable<Map.Entry<String, JsonNode>>) repo.getValue()::fields) {
                assertThat(ref.getKey()).startsWith(repo.getKey()).matches(".*(:[\\w.-]+|@sha256:[0-9a-f]{64})$");
                assertThat(ids).contains(ref.getValue().asText());
                refs++;
            }
        }
        assertThat(refs).isGreaterThan(60);
        try (Stream<Path> s = Files.walk(image.resolve("imagedb/metadata"))) {
            for (Path parent : (Iterable<Path>) s.filter(p -> p.getFileName().toString().equals("parent"))::iterator) {
                assertThat(ids).contains(Files.readString(parent));
            }
        }
    }

    @Test
    void tar_split_streams_are_gzipped_json_lines_describing_a_tar_of_the_layers_size() throws IOException {
        Path layerdb = generated.resolve("image/overlay2/layerdb/sha256");
        Path layer;
        try (Stream<Path> s = Files.list(layerdb)) {
            layer = s.findFirst().orElseThrow();
        }
        long size = Long.parseLong(Files.readString(layer.resolve("size")));
        String text;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(layer.resolve("tar-split.json.gz")))) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        ObjectMapper json = new ObjectMapper();
        long fileBytes = 0;
        for (String line : text.strip().split("\n")) {
            JsonNode entry = json.readTree(line);
            assertThat(entry.get("type").asInt()).isIn(1, 2);
            if (entry.get("type").asInt() == 1) {
                fileBytes += entry.get("size").asLong();
            }
        }
        assertThat(fileBytes).isEqualTo(size);
    }

    /** Relative paths with digests and link IDs replaced by placeholders; folders end with '/'. */
    private static Set<String> shapes(Path root) throws IOException {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (p.equals(root)) {
                    continue;
                }
                String rel = root.relativize(p).toString();
                rel = HEX64.matcher(rel).replaceAll("<hex>").replaceAll("l/[A-Z2-7]{26}", "l/<link>")
                        .replaceAll("<hex>(-init)?/(diff|work)/.+", "<hex>$1/$2/…");
                if (rel.endsWith("…")) {
                    continue; // layer content and overlay work folders: not materialised
                }
                out.add(Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? rel + "/" : rel);
            }
        }
        return out;
    }
}
