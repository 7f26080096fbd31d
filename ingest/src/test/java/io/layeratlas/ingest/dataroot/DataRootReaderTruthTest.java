package io.layeratlas.ingest.dataroot;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.ingest.DockerTruth;
import io.layeratlas.ingest.internal.Rfc3339;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The data-root reader against what Docker itself said about the same data-root ({@code truth/<host>/}). */
class DataRootReaderTruthTest {

    private static final Map<String, HostInventory> SCANS = new java.util.concurrent.ConcurrentHashMap<>();

    static HostInventory scan(String host) {
        return SCANS.computeIfAbsent(host, h ->
                new DataRootReader().read(Fixtures.dataRoot(h).toString(), h).inventory());
    }

    static Map<String, ImageRecord> images(String host) {
        return scan(host).images().stream().collect(Collectors.toMap(i -> i.id().toString(), Function.identity()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"batch-01", "build-01", "web-01", "web-02"})
    void every_image_docker_lists_is_found_and_no_other(String host) {
        assertThat(images(host).keySet()).containsExactlyInAnyOrderElementsOf(DockerTruth.of(host).inspect().keySet());
    }

    @ParameterizedTest
    @ValueSource(strings = {"batch-01", "build-01", "web-01", "web-02"})
    void a_clean_data_root_gives_no_problems(String host) {
        assertThat(scan(host).problems()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"batch-01", "build-01", "web-01", "web-02"})
    void images_match_docker_image_inspect(String host) {
        Map<String, ImageRecord> ours = images(host);
        DockerTruth.of(host).inspect().forEach((id, want) -> {
            ImageRecord got = ours.get(id);
            assertThat(got).as(id).isNotNull();
            assertThat(got.repoTags()).as("RepoTags of %s", id).containsExactlyElementsOf(texts(want.get("RepoTags")));
            assertThat(got.repoDigests()).as("RepoDigests of %s", id).containsExactlyElementsOf(texts(want.get("RepoDigests")));
            String parent = want.get("Parent").asText();
            assertThat(got.parent() == null ? "" : got.parent().toString()).as("Parent of %s", id).isEqualTo(parent);
            assertThat(got.created()).as("Created of %s", id).isEqualTo(Rfc3339.parse(want.get("Created").asText()));
            assertThat(got.diffIds().stream().map(Digest::toString).toList()).as("RootFS.Layers of %s", id)
                    .containsExactlyElementsOf(texts(want.get("RootFS").get("Layers")));
            assertThat(got.size()).as("Size of %s", id).isEqualTo(want.get("Size").asLong());
            assertThat(got.os()).isEqualTo(want.get("Os").asText());
            assertThat(got.architecture()).isEqualTo(want.get("Architecture").asText());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"batch-01", "build-01", "web-01", "web-02"})
    void history_matches_the_engine_api_history_oldest_first(String host) {
        Map<String, ImageRecord> ours = images(host);
        Map<String, List<JsonNode>> truth = DockerTruth.of(host).history();
        assertThat(truth.keySet()).containsExactlyInAnyOrderElementsOf(ours.keySet());
        truth.forEach((id, newestFirst) -> {
            List<JsonNode> want = new ArrayList<>(newestFirst);
            Collections.reverse(want);
            List<HistoryEntry> got = ours.get(id).history();
            assertThat(got).as("history of %s", id).hasSameSizeAs(want);
            for (int i = 0; i < want.size(); i++) {
                JsonNode w = want.get(i);
                HistoryEntry g = got.get(i);
                assertThat(nullToEmpty(g.createdBy())).as("CreatedBy of %s step %d", id, i).isEqualTo(w.get("CreatedBy").asText());
                assertThat(nullToEmpty(g.comment())).as("Comment of %s step %d", id, i).isEqualTo(w.get("Comment").asText());
                assertThat(g.size()).as("Size of %s step %d", id, i).isEqualTo(w.get("Size").asLong());
                assertThat(g.created().getEpochSecond()).as("Created of %s step %d", id, i).isEqualTo(w.get("Created").asLong());
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"batch-01", "build-01", "web-01", "web-02"})
    void containers_and_shared_size_match_system_df(String host) {
        Map<String, ImageRecord> ours = images(host);
        Map<String, JsonNode> df = DockerTruth.of(host).systemDfImages();
        assertThat(df).isNotEmpty();
        df.forEach((id, want) -> {
            ImageRecord got = ours.get(id);
            assertThat(got).as(id).isNotNull();
            assertThat(got.containers()).as("Containers of %s", id).isEqualTo(want.get("Containers").asInt());
            assertThat(got.sharedSize()).as("SharedSize of %s", id).isEqualTo(want.get("SharedSize").asLong());
            assertThat(got.size()).as("Size of %s", id).isEqualTo(want.get("Size").asLong());
            assertThat(got.uniqueSize()).isEqualTo(want.get("Size").asLong() - want.get("SharedSize").asLong());
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"batch-01", "build-01", "web-01", "web-02"})
    void every_layer_of_every_image_is_in_the_layer_list_with_its_parent(String host) {
        Map<Digest, LayerRecord> layers = scan(host).layers().stream()
                .collect(Collectors.toMap(LayerRecord::chainId, Function.identity()));
        for (ImageRecord image : scan(host).images()) {
            for (int i = 0; i < image.chainIds().size(); i++) {
                LayerRecord l = layers.get(image.chainIds().get(i));
                assertThat(l).isNotNull();
                assertThat(l.diffId()).isEqualTo(image.diffIds().get(i));
                assertThat(l.parentChainId()).isEqualTo(i == 0 ? null : image.chainIds().get(i - 1));
                assertThat(l.cacheId()).isNotBlank();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"batch-01", "build-01", "web-01", "web-02"})
    void containers_match_docker_ps_all(String host) {
        // containers.jsonl: docker ps -a --no-trunc --format '{{json .}}'; CreatedAt in whole seconds
        java.time.format.DateTimeFormatter psCreated = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss Z 'UTC'");
        List<String> want = DockerTruth.of(host).lines("containers.jsonl").stream()
                .map(c -> c.get("ID").asText() + " " + c.get("Names").asText() + " " + c.get("State").asText() + " "
                        + java.time.ZonedDateTime.parse(c.get("CreatedAt").asText(), psCreated).toInstant() + " "
                        + c.get("Image").asText()).toList();
        List<String> got = scan(host).containers().stream()
                .map(c -> c.id() + " " + c.name() + " " + c.state() + " "
                        + c.created().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " " + c.image()).toList();
        assertThat(got).containsExactlyInAnyOrderElementsOf(want);
        // the image each runs is the image docker image inspect gives for its reference, counted as docker does
        Map<String, ImageRecord> images = images(host);
        scan(host).containers().forEach(c -> assertThat(images.get(c.imageId().toString()).repoTags()).contains(c.image()));
        DockerTruth.of(host).inspect().keySet().forEach(id -> assertThat(images.get(id).containers()).isEqualTo(
                (int) scan(host).containers().stream().filter(c -> c.imageId().toString().equals(id)).count()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"batch-01", "build-01", "web-01", "web-02"})
    void the_storage_driver_is_the_one_docker_info_names_and_the_data_root_the_path_read(String host) {
        assertThat(scan(host).host().storageDriver()).isEqualTo(DockerTruth.of(host).read("info.json").get("Driver").asText());
        assertThat(scan(host).host().dataRoot()).isEqualTo(Fixtures.dataRoot(host).toString());
        assertThat(scan(host).host().dockerVersion()).isNull(); // not on disk
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
