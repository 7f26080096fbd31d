package io.layeratlas.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.db.testing.FleetLoader;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static io.layeratlas.dashboard.LayerApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/** Issue 16's operator views over the API, against fleet-main indexed through the write path; expectations from truth. */
class OperatorViewsApiTest {
    /** A tag two images carry: build-01 and web-02 hold the modern image, legacy-01 its v1-migrated twin. */
    static final String WORKER = "127.0.0.1:5055/shop/worker:1.0";
    private final TestFleet fleet = TestFleet.get();

    static String enc(String name) {
        return io.layeratlas.dashboard.web.Fmt.path(name);
    }

    @Test
    void an_unknown_created_time_is_null_in_the_api_never_1970() throws Exception {
        // legacy-01's truth: each v1 layer ID is an image of the pre-1.10 graph; those not tagged are the intermediate
        // images, whose v1 JSON says "created": "1970-01-01T00:00:00Z" (not recorded, as `docker history` shows it).
        JsonNode truth = LayerApiTest.JSONM.readTree(Fixtures.truth("legacy-01").resolve("images.json").toFile());
        Set<String> v1Ids = new TreeSet<>();
        truth.forEach(i -> i.path("v1LayerIds").forEach(v -> v1Ids.add(v.asText())));
        int intermediate = v1Ids.size() - truth.size();
        assertThat(intermediate).isPositive();

        JsonNode host = json(fleet.get("/api/v1/hosts/legacy-01?all=true"));
        List<String> unknown = new ArrayList<>();
        for (JsonNode i : host.path("images")) {
            assertThat(i.has("created")).isTrue();
            if (i.path("repoTags").isEmpty()) {
                assertThat(i.path("created").isNull()).as("created of %s", i.path("imageId")).isTrue();
                unknown.add(i.path("imageId").asText());
            } else {
                assertThat(i.path("created").asText()).as("created of %s", i.path("imageId")).startsWith("20");
            }
        }
        assertThat(unknown).hasSize(intermediate);
        JsonNode image = json(fleet.get("/api/v1/images/" + unknown.get(0)));
        assertThat(image.path("imageId").asText()).isEqualTo(unknown.get(0));
        assertThat(image.has("created")).isTrue();
        assertThat(image.path("created").isNull()).isTrue();
        assertThat(image.toString()).doesNotContain("1970-01-01");
    }

    @Test
    void the_overview_counts_hosts_and_the_images_docker_image_ls_shows_with_and_without_a() throws Exception {
        JsonNode o = json(fleet.get("/api/v1/overview"));
        List<String> hosts = Fixtures.fleetMainHosts();
        assertThat(o.path("totals").path("hosts").asInt()).isEqualTo(hosts.size() + 1); // and the hostile host
        assertThat(o.path("totals").path("staleHosts").asInt()).isEqualTo(1);
        List<String> stale = new ArrayList<>();
        o.path("staleHosts").forEach(h -> stale.add(h.path("hostId").asText()));
        assertThat(stale).containsExactly(TestFleet.STALE_HOST);

        Set<String> shown = new TreeSet<>();
        Set<String> all = new TreeSet<>();
        for (String host : hosts) {
            shown.addAll(DockerTruth.shown(host));
            DockerTruth.inspect(host).forEach(i -> all.add(i.id()));
        }
        // legacy-01's truth has no store IDs: its images docker image ls shows are its tagged ones (images.json).
        long legacyTagged = FleetLoader.truthImages().stream().filter(i -> i.host().equals(TestFleet.STALE_HOST)).count();
        assertThat(o.path("shownImages").asLong()).isEqualTo(shown.size() + legacyTagged + 1);
        assertThat(o.path("allImages").asLong()).isGreaterThan(all.size()).isGreaterThan(o.path("shownImages").asLong());
        assertThat(o.path("agentCommand").asText()).startsWith("layeratlas agent --bootstrap-servers");
    }

    @Test
    void the_change_feed_names_each_host_s_new_images_with_their_tags() throws Exception {
        JsonNode o = json(fleet.get("/api/v1/overview"));
        for (String host : List.of("web-01", "web-02", "batch-01")) {
            List<DockerTruth.Inspect> truth = DockerTruth.inspect(host);
            JsonNode line = null;
            for (JsonNode f : o.path("feed")) {
                if (f.path("hostId").asText().equals(host) && f.path("subject").asText().equals("image")) {
                    line = f;
                }
            }
            assertThat(line).as(host).isNotNull();
            assertThat(line.path("change").asText()).isEqualTo("added");
            assertThat(line.path("count").asInt()).isEqualTo(truth.size());
            for (JsonNode i : line.path("images")) {
                DockerTruth.Inspect t = truth.stream().filter(x -> x.id().equals(i.path("imageId").asText())).findFirst().orElseThrow();
                List<String> tags = new ArrayList<>();
                i.path("repoTags").forEach(x -> tags.add(x.asText()));
                // The host's own names, as its `docker image inspect` gives them: not another host's tags.
                assertThat(tags).as("tags of %s on %s", t.id(), host).containsExactlyInAnyOrderElementsOf(t.repoTags());
                List<String> digests = new ArrayList<>();
                i.path("repoDigests").forEach(x -> digests.add(x.asText()));
                assertThat(digests).as("repo digests of %s on %s", t.id(), host)
                        .containsExactlyInAnyOrderElementsOf(t.repoDigests());
            }
        }
    }

    @Test
    void a_host_hides_intermediate_images_unless_all_is_asked_for_and_says_which_set_it_counts() throws Exception {
        for (String host : List.of("build-01", "web-01", "batch-01")) {
            JsonNode d = json(fleet.get("/api/v1/hosts/" + host + "?limit=1000"));
            Set<String> ids = new TreeSet<>();
            d.path("images").forEach(i -> ids.add(i.path("imageId").asText()));
            assertThat(ids).as(host).isEqualTo(DockerTruth.shown(host));
            assertThat(d.path("allImages").asBoolean()).isFalse();
            assertThat(d.path("shownImageCount").asLong()).isEqualTo(DockerTruth.shown(host).size());
            assertThat(d.path("imageCount").asLong()).isEqualTo(DockerTruth.inspect(host).size());

            JsonNode a = json(fleet.get("/api/v1/hosts/" + host + "?limit=1000&all=true"));
            Set<String> allIds = new TreeSet<>();
            a.path("images").forEach(i -> allIds.add(i.path("imageId").asText()));
            Set<String> truthAll = new TreeSet<>();
            DockerTruth.inspect(host).forEach(i -> truthAll.add(i.id()));
            assertThat(allIds).as(host + " -a").isEqualTo(truthAll);
            assertThat(a.path("imagesPage").path("total").asLong()).isEqualTo(truthAll.size());
        }
        assertThat(DockerTruth.shown("build-01")).hasSizeLessThan(DockerTruth.inspect("build-01").size());
    }

    @Test
    void an_image_pulled_by_digest_only_is_shown_with_its_repo_digest() throws Exception {
        DockerTruth.Inspect byDigest = DockerTruth.inspect("batch-01").stream()
                .filter(i -> i.repoTags().isEmpty() && !i.repoDigests().isEmpty()).findFirst().orElseThrow();
        JsonNode d = json(fleet.get("/api/v1/hosts/batch-01"));
        JsonNode row = null;
        for (JsonNode i : d.path("images")) {
            if (i.path("imageId").asText().equals(byDigest.id())) {
                row = i;
            }
        }
        assertThat(row).isNotNull();
        List<String> digests = new ArrayList<>();
        row.path("repoDigests").forEach(x -> digests.add(x.asText()));
        assertThat(digests).isEqualTo(byDigest.repoDigests());
    }

    @Test
    void a_tag_naming_two_images_groups_its_hosts_by_image_and_the_legacy_one_says_it_is_the_same_content() throws Exception {
        Map<String, Set<String>> truth = DockerTruth.hostsByImageForTag(WORKER);
        assertThat(truth).hasSize(1);
        String modern = truth.keySet().iterator().next();
        Set<String> legacyHosts = DockerTruth.legacyHostsWithTag(WORKER);
        assertThat(legacyHosts).containsExactly(TestFleet.STALE_HOST);

        HttpResponse<String> r = fleet.get("/api/v1/tags/" + enc(WORKER));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode t = json(r);
        assertThat(t.path("repository").asBoolean()).isFalse();
        assertThat(t.path("images")).hasSize(2);
        Set<String> seen = new HashSet<>();
        for (JsonNode image : t.path("images")) {
            Set<String> hosts = new TreeSet<>();
            image.path("hosts").forEach(h -> hosts.add(h.path("host").path("hostId").asText()));
            assertThat(image.path("hostCount").asInt()).isEqualTo(hosts.size());
            String id = image.path("imageId").asText();
            seen.add(id);
            if (id.equals(modern)) {
                assertThat(hosts).isEqualTo(truth.get(modern));
            } else {
                assertThat(hosts).isEqualTo(legacyHosts);
                // Docker's truth: the legacy image's diff IDs are the modern image's.
                List<String> legacyDiffs = FleetLoader.truthImages().stream()
                        .filter(i -> i.host().equals(TestFleet.STALE_HOST) && i.repoTags().contains(WORKER))
                        .findFirst().orElseThrow().diffIds();
                assertThat(DockerTruth.inspect("build-01").stream().filter(i -> i.id().equals(modern)).findFirst()
                        .orElseThrow().diffIds()).isEqualTo(legacyDiffs);
                List<String> same = new ArrayList<>();
                image.path("sameContent").forEach(s -> same.add(s.path("imageId").asText()));
                assertThat(same).contains(modern);
            }
        }
        assertThat(seen).contains(modern);
        assertThat(t.path("hostCount").asInt()).isEqualTo(truth.get(modern).size() + legacyHosts.size());
    }

    @Test
    void a_repository_page_also_lists_the_host_that_pulled_it_by_digest_only() throws Exception {
        JsonNode t = json(fleet.get("/api/v1/tags/" + enc("shop/worker")));
        assertThat(t.path("repository").asBoolean()).isTrue();
        Set<String> hosts = new TreeSet<>();
        t.path("images").forEach(i -> i.path("hosts").forEach(h -> hosts.add(h.path("host").path("hostId").asText())));
        Set<String> expected = new TreeSet<>();
        for (String host : Fixtures.fleetMainHosts()) {
            for (DockerTruth.Inspect i : DockerTruth.inspect(host)) {
                if (i.repoTags().stream().anyMatch(x -> x.startsWith("127.0.0.1:5055/shop/worker:"))
                        || i.repoDigests().stream().anyMatch(x -> x.startsWith("127.0.0.1:5055/shop/worker@"))) {
                    expected.add(host);
                }
            }
        }
        expected.addAll(DockerTruth.legacyHostsWithTag(WORKER));
        assertThat(expected).contains("batch-01");
        assertThat(hosts).isEqualTo(expected);
    }

    @Test
    void the_image_api_takes_a_repo_tag_with_an_encoded_slash_and_says_when_it_names_several_images() throws Exception {
        String tag = "127.0.0.1:5055/shop/api:1.0";
        Map<String, Set<String>> truth = DockerTruth.hostsByImageForTag(tag);
        assertThat(truth).hasSize(1);
        HttpResponse<String> r = fleet.get("/api/v1/images/" + enc(tag));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).path("imageId").asText()).isEqualTo(truth.keySet().iterator().next());
        HttpResponse<String> page = fleet.get("/images/" + enc(tag));
        assertThat(page.statusCode()).isEqualTo(302);
        assertThat(page.headers().firstValue("Location")).hasValue("/images/" + truth.keySet().iterator().next());

        HttpResponse<String> several = fleet.get("/api/v1/images/" + enc(WORKER));
        assertThat(several.statusCode()).isEqualTo(409);
        assertThat(json(several).path("candidates")).hasSize(2);
        assertThat(fleet.get("/images/" + enc(WORKER)).headers().firstValue("Location")).hasValue("/tags/" + enc(WORKER));
    }

    @Test
    void an_invalid_boolean_parameter_is_a_400() throws Exception {
        for (String path : List.of("/api/v1/hosts?desc=maybe", "/api/v1/hosts/web-01?all=yes", "/hosts?desc=2",
                "/api/v1/hosts/web-01?all=true&all=false")) {
            HttpResponse<String> r = fleet.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(400);
        }
        assertThat(json(fleet.get("/api/v1/hosts?desc=maybe")).path("error").asText()).contains("desc must be true or false");
        assertThat(fleet.get("/api/v1/hosts?desc=TRUE").statusCode()).isEqualTo(200);
    }

    @Test
    void jetty_s_own_refusals_answer_the_api_s_json_error_body() throws Exception {
        for (String target : List.of("/api/v1/hosts/web%00-01", "/api/v1/search?q=" + "a".repeat(20_000))) {
            HostileRequestsTest.Response r = HostileRequestsTest.send(target);
            assertThat(r.status()).as(target).isBetween(400, 499);
            assertThat(r.contentType()).as(target).startsWith("application/json");
            JsonNode body = LayerApiTest.JSONM.readTree(r.body());
            assertThat(body.path("status").asInt()).isEqualTo(r.status());
            assertThat(body.path("error").asText()).isNotBlank();
        }
    }

    @Test
    void the_layer_origin_is_the_history_step_docker_reports_for_it_and_its_family_root() throws Exception {
        // shop/worker:1.0 on build-01: its top layer was created by the worker's own Dockerfile step.
        DockerTruth.Inspect worker = DockerTruth.inspect("build-01").stream()
                .filter(i -> i.repoTags().contains(WORKER)).findFirst().orElseThrow();
        JsonNode history = null;
        for (String line : Files.readAllLines(Fixtures.truth("build-01").resolve("api/history.jsonl"))) {
            JsonNode n = LayerApiTest.JSONM.readTree(line);
            if (n.path("id").asText().equals(worker.id())) {
                history = n.path("history");
            }
        }
        // Docker's history, newest first; the entries with a size are the layers, when they are as many as the diff IDs.
        List<String> layerSteps = new ArrayList<>();
        for (int i = history.size() - 1; i >= 0; i--) {
            if (history.get(i).path("Size").asLong() > 0) {
                layerSteps.add(history.get(i).path("CreatedBy").asText());
            }
        }
        assertThat(layerSteps).hasSameSizeAs(worker.diffIds());
        String top = worker.diffIds().get(worker.diffIds().size() - 1);
        JsonNode origin = json(fleet.get("/api/v1/layers/" + top + "/origin"));
        List<String> steps = new ArrayList<>();
        origin.path("steps").forEach(s -> steps.add(s.path("createdBy").asText()));
        assertThat(steps).containsExactly(layerSteps.get(layerSteps.size() - 1));

        // The family root: the image with the shortest diff-ID list that is a prefix of the worker's.
        List<String> rootDiffs = FleetLoader.truthImages().stream()
                .filter(i -> FleetLoader.truthHasStoreIds(i.host()) && !i.diffIds().isEmpty()
                        && worker.diffIds().subList(0, Math.min(i.diffIds().size(), worker.diffIds().size())).equals(i.diffIds()))
                .map(FleetLoader.TruthImage::diffIds).min((a, b) -> Integer.compare(a.size(), b.size())).orElseThrow();
        String root = origin.path("familyRoot").asText();
        assertThat(json(fleet.get("/api/v1/images/" + root)).path("layers")).hasSize(rootDiffs.size());
        assertThat(json(fleet.get("/api/v1/images/" + root)).path("layers").get(0).path("diffId").asText())
                .isEqualTo(rootDiffs.get(0));
    }

    @Test
    void a_bulk_question_answers_every_item_and_lists_every_host_once() throws Exception {
        var shared = LayerApiTest.truthHostsByDiffId().entrySet().stream()
                .max((a, b) -> Integer.compare(a.getValue().size(), b.getValue().size())).orElseThrow();
        String tag = "127.0.0.1:5055/tools/cli:0.3";
        String body = shared.getKey() + "\n" + tag + "\nnobody/here:1\n";
        HttpResponse<String> r = post("/api/v1/bulk", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode a = json(r);
        assertThat(a.path("items")).hasSize(3);
        assertThat(a.path("items").get(0).path("kind").asText()).isEqualTo("layer");
        assertThat(a.path("items").get(0).path("hostCount").asInt()).isEqualTo(shared.getValue().size());
        assertThat(a.path("items").get(2).path("error").asText()).contains("nobody/here:1");
        Set<String> expected = new TreeSet<>(shared.getValue().keySet());
        expected.addAll(DockerTruth.hostsByImageForTag(tag).values().stream().flatMap(Set::stream).toList());
        expected.addAll(DockerTruth.legacyHostsWithTag(tag));
        List<String> hosts = new ArrayList<>();
        a.path("hosts").forEach(h -> hosts.add(h.path("host").path("hostId").asText()));
        assertThat(hosts).doesNotHaveDuplicates();
        assertThat(new TreeSet<>(hosts)).isEqualTo(expected);

        HttpResponse<String> csv = post("/api/v1/bulk.csv", body);
        assertThat(csv.statusCode()).isEqualTo(200);
        String[] lines = csv.body().split("\r\n");
        assertThat(lines[0]).isEqualTo("host_id,stale,last_report_at,items,image_ids,repo_tags");
        assertThat(lines).hasSize(expected.size() + 1);
        assertThat(post("/api/v1/bulk", "  \n").statusCode()).isEqualTo(400);

        // A JSON body is refused with what is taken, not read line by line as items.
        HttpResponse<String> asJson = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(fleet.base
                        + "/api/v1/bulk")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"items\":[\"" + tag + "\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(asJson.statusCode()).isEqualTo(415);
        assertThat(json(asJson).path("error").asText()).contains("text/plain").contains("application/json");
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(fleet.base + path))
                .header("Content-Type", "text/plain; charset=utf-8").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
