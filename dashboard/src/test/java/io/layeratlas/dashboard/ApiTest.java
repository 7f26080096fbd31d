package io.layeratlas.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.db.testing.FleetLoader;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.layeratlas.dashboard.LayerApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/** Every endpoint of the API, against the fleet-main index. */
class ApiTest {
    private final TestFleet fleet = TestFleet.get();

    private static FleetLoader.TruthImage taggedImageOn(String host) {
        return FleetLoader.truthImages().stream().filter(i -> i.host().equals(host) && !i.repoTags().isEmpty())
                .findFirst().orElseThrow();
    }

    @Test
    void the_openapi_document_lists_every_api_path_the_dashboard_serves() throws Exception {
        HttpResponse<String> r = fleet.get("/api/v1/openapi.json");
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> paths = new ArrayList<>();
        json(r).path("paths").fieldNames().forEachRemaining(paths::add);
        assertThat(paths).containsExactlyInAnyOrder("/api/v1/search", "/api/v1/layers/{digest}", "/api/v1/layers/{digest}/hosts",
                "/api/v1/layers/{digest}/hosts.csv", "/api/v1/layers/{digest}/hosts.json", "/api/v1/reuse", "/api/v1/images/{id}", "/api/v1/hosts",
                "/api/v1/hosts/{hostId}", "/api/v1/openapi.json", "/api/v1/packages", "/api/v1/packages/hosts.csv",
                "/api/v1/packages/hosts.json", "/api/v1/images/{id}/packages", "/api/v1/overview", "/api/v1/tags/{name}",
                "/api/v1/layers/{digest}/origin", "/api/v1/bulk", "/api/v1/bulk.csv");
    }

    @Test
    void search_finds_an_image_by_id_prefix_by_repo_tag_and_by_repo_digest_and_a_host_by_name() throws Exception {
        FleetLoader.TruthImage img = taggedImageOn("web-01");
        JsonNode byId = json(fleet.get("/api/v1/search?q=" + img.imageId().substring(7, 7 + 12)));
        assertThat(byId.path("unique").asBoolean()).isTrue();
        assertThat(byId.path("matches").get(0).path("key").asText()).isEqualTo(img.imageId());
        assertThat(byId.path("matches").get(0).path("page").asText()).isEqualTo("/images/" + img.imageId());

        JsonNode byTag = json(fleet.get("/api/v1/search?q=" + img.repoTags().get(0)));
        List<String> keys = new ArrayList<>();
        byTag.path("matches").forEach(m -> keys.add(m.path("key").asText()));
        assertThat(keys).contains(img.imageId());

        JsonNode host = json(fleet.get("/api/v1/search?q=web-02"));
        assertThat(host.path("matches").get(0).path("kind").asText()).isEqualTo("HOST");

        HttpResponse<String> page = fleet.get("/search?q=web-02");
        assertThat(page.statusCode()).isEqualTo(302);
        assertThat(page.headers().firstValue("Location")).hasValue("/hosts/web-02");
    }

    @Test
    void search_by_repo_digest_chain_id_compressed_digest_and_v1_id_lands_on_the_right_page() throws Exception {
        JsonNode inspect = LayerApiTest.JSONM.readTree(Files.readString(Fixtures.truth("web-01").resolve("image-inspect.json")));
        JsonNode withDigest = null;
        for (JsonNode i : inspect) {
            if (i.path("RepoDigests").size() > 0) {
                withDigest = i;
                break;
            }
        }
        String repoDigest = withDigest.path("RepoDigests").get(0).asText();
        JsonNode r = json(fleet.get("/api/v1/search?q=" + repoDigest));
        assertThat(r.path("matches").get(0).path("key").asText()).isEqualTo(withDigest.path("Id").asText());

        // The layer API names chain IDs and compressed digests; each must lead back to a layer page.
        String diffId = withDigest.path("RootFS").path("Layers").get(0).asText();
        JsonNode layer = json(fleet.get("/api/v1/layers/" + diffId));
        for (JsonNode chain : layer.path("chains")) {
            JsonNode found = json(fleet.get("/api/v1/search?q=" + chain.path("chainId").asText()));
            assertThat(found.path("matches").get(0).path("kind").asText()).isEqualTo("LAYER");
        }
        assertThat(layer.path("blobs").size()).as("compressed digests from distribution/").isPositive();
        JsonNode byBlob = json(fleet.get("/api/v1/search?q=" + layer.path("blobs").get(0).path("compressedDigest").asText()));
        assertThat(byBlob.path("matches").get(0).path("key").asText()).isEqualTo(diffId);
        assertThat(byBlob.path("matches").get(0).path("what").asText()).isEqualTo("compressed digest");

        JsonNode legacy = LayerApiTest.JSONM.readTree(Files.readString(Fixtures.truth("legacy-01").resolve("images.json")));
        String v1 = legacy.get(0).path("v1LayerIds").get(0).asText();
        JsonNode byV1 = json(fleet.get("/api/v1/search?q=" + v1));
        assertThat(byV1.path("matches").get(0).path("what").asText()).isEqualTo("v1 layer ID");
    }

    @Test
    void search_errors_are_400_for_empty_or_short_text_and_404_for_nothing() {
        assertThat(fleet.get("/api/v1/search?q=").statusCode()).isEqualTo(400);
        assertThat(fleet.get("/api/v1/search?q=sha256:abc").statusCode()).isEqualTo(400);
        assertThat(fleet.get("/api/v1/search?q=no-such-host-or-tag").statusCode()).isEqualTo(404);
        assertThat(fleet.get("/search?q=no-such-host-or-tag").body()).contains("nothing in the index matches");
    }

    @Test
    void the_layer_answer_names_all_identities_sizes_and_images_and_the_csv_lists_the_same_hosts() throws Exception {
        var e = LayerApiTest.truthHostsByDiffId().entrySet().stream().filter(x -> x.getValue().size() >= 3).findFirst().orElseThrow();
        JsonNode layer = json(fleet.get("/api/v1/layers/" + e.getKey()));
        assertThat(layer.path("diffId").asText()).isEqualTo(e.getKey());
        assertThat(layer.path("size").asLong()).isPositive();
        assertThat(layer.path("hostCount").asInt()).isEqualTo(e.getValue().size());
        assertThat(layer.path("freshness").path("staleHosts").toString()).contains(
                e.getValue().containsKey(TestFleet.STALE_HOST) ? TestFleet.STALE_HOST : "[");

        HttpResponse<String> csv = fleet.get("/api/v1/layers/" + e.getKey() + "/hosts.csv");
        assertThat(csv.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/csv"));
        List<String> lines = csv.body().lines().toList();
        assertThat(lines.get(0)).startsWith("host_id,stale");
        assertThat(lines.subList(1, lines.size()).stream().map(l -> l.substring(0, l.indexOf(','))).toList())
                .containsExactlyElementsOf(e.getValue().keySet());
    }

    @Test
    void reuse_gives_totals_a_host_share_distribution_top_layers_and_families() throws Exception {
        JsonNode reuse = json(fleet.get("/api/v1/reuse?limit=5"));
        JsonNode t = reuse.path("totals");
        assertThat(t.path("hosts").asInt()).isEqualTo(Fixtures.fleetMainHosts().size() + 1); // + the hostile host
        assertThat(t.path("staleHosts").asInt()).isEqualTo(1);
        assertThat(t.path("savedBytes").asLong()).isEqualTo(t.path("unsharedBytes").asLong() - t.path("storedBytes").asLong());
        assertThat(reuse.path("topLayers").size()).isEqualTo(5);
        long layersInDistribution = 0;
        for (JsonNode b : reuse.path("distribution")) {
            layersInDistribution += b.path("layers").asLong();
        }
        assertThat(layersInDistribution).isEqualTo(t.path("distinctLayers").asLong());
        assertThat(reuse.path("families").size()).isPositive();
        assertThat(fleet.get("/api/v1/reuse?limit=0").statusCode()).isEqualTo(400);
        assertThat(fleet.get("/api/v1/reuse?limit=x").statusCode()).isEqualTo(400);
    }

    @Test
    void the_image_answer_has_history_config_stack_and_the_hosts_with_their_tags() throws Exception {
        FleetLoader.TruthImage img = taggedImageOn("web-01");
        JsonNode image = json(fleet.get("/api/v1/images/" + img.imageId()));
        assertThat(image.path("imageId").asText()).isEqualTo(img.imageId());
        List<String> diffIds = new ArrayList<>();
        image.path("layers").forEach(l -> diffIds.add(l.path("diffId").asText()));
        assertThat(diffIds).containsExactlyElementsOf(img.diffIds());
        assertThat(image.path("history").size()).isGreaterThanOrEqualTo(img.diffIds().size());
        Map<String, List<String>> tagsByHost = new TreeMap<>();
        image.path("hosts").forEach(h -> {
            List<String> tags = new ArrayList<>();
            h.path("repoTags").forEach(x -> tags.add(x.asText()));
            tagsByHost.put(h.path("host").path("hostId").asText(), tags);
        });
        Map<String, List<String>> truth = new TreeMap<>();
        FleetLoader.truthImages().stream().filter(i -> i.imageId().equals(img.imageId()))
                .forEach(i -> truth.put(i.host(), i.repoTags()));
        assertThat(tagsByHost).isEqualTo(truth);
        assertThat(fleet.get("/api/v1/images/sha256:" + "0".repeat(64)).statusCode()).isEqualTo(404);
    }

    @Test
    void an_image_that_is_both_dockers_parent_and_the_base_is_listed_once_with_both_sources_and_its_tag() throws Exception {
        String busyTag = "127.0.0.1:5055/base/busy:1.36";
        String busy = FleetLoader.truthImages().stream().filter(i -> i.repoTags().contains(busyTag)).findFirst().orElseThrow().imageId();
        String child = null;
        for (JsonNode c : json(fleet.get("/api/v1/images/" + busy)).path("children")) {
            if (c.path("sources").size() == 2) {
                child = c.path("imageId").asText();
            }
        }
        assertThat(child).as("a child whose Docker parent is also its base").isNotNull();
        JsonNode parents = json(fleet.get("/api/v1/images/" + child)).path("parents");
        assertThat(parents).hasSize(1);
        assertThat(parents.get(0).path("imageId").asText()).isEqualTo(busy);
        assertThat(parents.get(0).path("sources").toString()).isEqualTo("[\"docker-parent\",\"inferred-base\"]");
        assertThat(parents.get(0).path("repoTags").toString()).isEqualTo("[\"" + busyTag + "\"]");

        String page = fleet.get("/images/" + child).body();
        int start = page.indexOf("id=\"image-parents\"");
        String table = page.substring(start, page.indexOf("</table>", start));
        assertThat(table.split("href=\"/images/", -1)).as("one row").hasSize(2);
        assertThat(table).contains("local parent and base (layer prefix)", busyTag);
    }

    @Test
    void hosts_list_every_agent_sorted_as_asked_and_one_host_shows_docker_system_df_sizes() throws Exception {
        JsonNode byImages = json(fleet.get("/api/v1/hosts?sort=images&desc=true"));
        List<Long> counts = new ArrayList<>();
        byImages.path("hosts").forEach(h -> counts.add(h.path("images").asLong()));
        assertThat(counts).isSortedAccordingTo((a, b) -> Long.compare(b, a));
        assertThat(fleet.get("/api/v1/hosts?sort=bogus").statusCode()).isEqualTo(400);

        JsonNode df = LayerApiTest.JSONM.readTree(Files.readString(Fixtures.truth("web-01").resolve("api/system-df.json")));
        JsonNode host = json(fleet.get("/api/v1/hosts/web-01"));
        Map<String, Long> shared = new TreeMap<>();
        host.path("images").forEach(i -> shared.put(i.path("imageId").asText(), i.path("sharedSize").asLong()));
        Map<String, Long> truth = new TreeMap<>();
        for (Iterator<JsonNode> it = df.path("Images").elements(); it.hasNext(); ) {
            JsonNode i = it.next();
            truth.put(i.path("Id").asText(), i.path("SharedSize").asLong());
        }
        assertThat(shared).isEqualTo(truth);
        assertThat(host.path("changes").size()).isPositive();
        assertThat(host.path("status").path("stale").asBoolean()).isFalse();
        assertThat(fleet.get("/api/v1/hosts/no-such-host").statusCode()).isEqualTo(404);

        // limit=0: the host's status and its lists' totals, no row (what a script polling for a scan asks).
        JsonNode bare = json(fleet.get("/api/v1/hosts/web-01?limit=0"));
        assertThat(bare.path("status").path("generation").asLong()).isEqualTo(host.path("status").path("generation").asLong());
        assertThat(bare.path("images").size()).isZero();
        assertThat(bare.path("layers").size()).isZero();
        assertThat(bare.path("changes").size()).isZero();
        assertThat(bare.path("imagesPage").path("total").asLong()).isEqualTo(DockerTruth.shown("web-01").size());
        assertThat(json(fleet.get("/api/v1/hosts/web-01?limit=0&all=true")).path("imagesPage").path("total").asLong())
                .isEqualTo(DockerTruth.inspect("web-01").size());
        assertThat(bare.path("layersPage").path("total").asLong()).isEqualTo(host.path("layersPage").path("total").asLong())
                .isPositive();
        assertThat(bare.path("imagesPage").path("next").isNull()).isTrue();
        assertThat(fleet.get("/api/v1/hosts/web-01?limit=-1").statusCode()).isEqualTo(400);
    }

    @Test
    void every_page_renders_and_an_unknown_page_is_a_404_page() {
        FleetLoader.TruthImage img = taggedImageOn("build-01");
        for (String path : List.of("/", "/reuse", "/hosts", "/hosts?sort=heartbeat&desc=true", "/hosts/build-01",
                "/hosts/legacy-01", "/images/" + img.imageId(), "/layers/" + img.diffIds().get(0))) {
            HttpResponse<String> r = fleet.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.body()).as(path).contains("</html>");
        }
        HttpResponse<String> missing = fleet.get("/no/such/page");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("no such page");
        assertThat(fleet.get("/api/v1/nothing").body()).contains("\"status\":404");
    }
}
