package io.layeratlas.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.db.testing.FleetLoader;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

class LayerApiTest {
    static final ObjectMapper JSONM = new ObjectMapper();
    private final TestFleet fleet = TestFleet.get();

    /** For each diff ID in truth: host -> images on that host whose RootFS.Layers contain it. */
    static Map<String, Map<String, Set<String>>> truthHostsByDiffId() {
        Map<String, Map<String, Set<String>>> out = new TreeMap<>();
        for (FleetLoader.TruthImage img : FleetLoader.truthImages()) {
            for (String diffId : img.diffIds()) {
                out.computeIfAbsent(diffId, k -> new TreeMap<>()).computeIfAbsent(img.host(), k -> new TreeSet<>()).add(img.imageId());
            }
        }
        return out;
    }

    /** For a diff ID in truth: host -> tags of that host's images whose RootFS.Layers contain it. */
    static Map<String, Set<String>> truthTagsByHost(String diffId) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (FleetLoader.TruthImage img : FleetLoader.truthImages()) {
            if (img.diffIds().contains(diffId)) {
                out.computeIfAbsent(img.host(), k -> new TreeSet<>()).addAll(img.repoTags());
            }
        }
        return out;
    }

    /**
     * Checks one host of a layer's answer against truth: the image IDs Docker reported, or, for a host whose truth
     * has no store IDs (legacy-01, {@link FleetLoader#truthHasStoreIds}), the tags of its images containing the layer.
     */
    static void assertImagesMatchTruth(String diffId, JsonNode host, Set<String> truthImageIds) {
        String hostId = host.path("hostId").asText();
        if (FleetLoader.truthHasStoreIds(hostId)) {
            Set<String> images = new TreeSet<>();
            host.path("images").forEach(i -> images.add(i.asText()));
            assertThat(images).as("images of %s on %s", diffId, hostId).isEqualTo(truthImageIds);
        } else {
            Set<String> tags = new TreeSet<>();
            host.path("imageRefs").forEach(i -> i.path("repoTags").forEach(t -> tags.add(t.asText())));
            assertThat(tags).as("tags of images with %s on %s", diffId, hostId)
                    .isEqualTo(truthTagsByHost(diffId).get(hostId));
        }
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSONM.readTree(r.body());
    }

    @Test
    void every_diff_id_in_truth_lists_exactly_the_hosts_and_images_docker_reported() throws Exception {
        for (var e : truthHostsByDiffId().entrySet()) {
            HttpResponse<String> r = fleet.get("/api/v1/layers/" + e.getKey() + "/hosts?include=imageRefs");
            assertThat(r.statusCode()).as(e.getKey()).isEqualTo(200);
            JsonNode body = json(r);
            List<String> hosts = new ArrayList<>();
            body.path("hosts").forEach(h -> {
                hosts.add(h.path("hostId").asText());
                assertImagesMatchTruth(e.getKey(), h, e.getValue().get(h.path("hostId").asText()));
            });
            assertThat(hosts).as("hosts of %s", e.getKey()).containsExactlyElementsOf(e.getValue().keySet());
            assertThat(body.path("matchedBy").asText()).isEqualTo("DIFF_ID");
        }
    }

    /** The fields of the hosts page and of each of its hosts with {@code ?include=imageRefs}: the shape before issue 11's compact page. */
    static final List<String> FULL_ANSWER = List.of("digest", "matchedBy", "hostCount", "hosts", "limit", "next", "previous",
            "freshness");
    static final List<String> FULL_HOST = List.of("hostId", "images", "imageRefs", "firstSeen", "stale", "lastReportAt",
            "lastInventoryAt", "agentVersion", "sourceKind", "containers", "labels");

    @Test
    void the_compact_hosts_page_says_where_the_layer_sits_in_each_image_once_and_on_request_keeps_every_hosts_image_refs()
            throws Exception {
        // Docker's truth: per diff ID, each host's images containing it, and where it sits in each of them (position in
        // RootFS.Layers, chain ID there by the image spec's ChainID); image IDs of legacy-01 are not its store's.
        for (var e : truthHostsByDiffId().entrySet()) {
            Set<String> truthPlaces = new TreeSet<>();
            for (FleetLoader.TruthImage img : FleetLoader.truthImages()) {
                for (int p = 0; p < img.diffIds().size(); p++) {
                    if (img.diffIds().get(p).equals(e.getKey()) && FleetLoader.truthHasStoreIds(img.host())) {
                        truthPlaces.add(img.imageId() + " " + p + " " + img.chainId(p));
                    }
                }
            }
            JsonNode compact = json(fleet.get("/api/v1/layers/" + e.getKey() + "/hosts"));
            JsonNode full = json(fleet.get("/api/v1/layers/" + e.getKey() + "/hosts?include=imageRefs"));
            List<String> places = new ArrayList<>();
            compact.path("images").forEach(i -> places.add(i.path("imageId").asText() + " " + i.path("position").asInt()
                    + " " + i.path("chainId").asText()));
            assertThat(places).as("each (image, position) once: %s", e.getKey()).doesNotHaveDuplicates();
            Set<String> storeImages = new TreeSet<>();
            List<String> hosts = new ArrayList<>();
            compact.path("hosts").forEach(h -> {
                String hostId = h.path("hostId").asText();
                hosts.add(hostId);
                assertThat(h.has("imageRefs")).as("compact: no imageRefs on %s", hostId).isFalse();
                if (FleetLoader.truthHasStoreIds(hostId)) {
                    assertImagesMatchTruth(e.getKey(), h, e.getValue().get(hostId));
                    h.path("images").forEach(i -> storeImages.add(i.asText()));
                }
            });
            assertThat(hosts).as("hosts of %s", e.getKey()).containsExactlyElementsOf(e.getValue().keySet());
            assertThat(places.stream().filter(p -> storeImages.contains(p.substring(0, p.indexOf(' ')))))
                    .as("where %s sits in the images of hosts with store IDs", e.getKey())
                    .containsExactlyInAnyOrderElementsOf(truthPlaces);

            // The full shape: today's fields, each host the compact one plus its imageRefs, which place each image as
            // the compact page's images do.
            assertThat(fieldNames(full)).isEqualTo(FULL_ANSWER);
            Set<String> refPlaces = new TreeSet<>();
            for (int i = 0; i < full.path("hosts").size(); i++) {
                JsonNode h = full.path("hosts").get(i);
                assertThat(fieldNames(h)).isEqualTo(FULL_HOST);
                h.path("imageRefs").forEach(ref -> refPlaces.add(ref.path("imageId").asText() + " "
                        + ref.path("position").asInt() + " " + ref.path("chainId").asText()));
                com.fasterxml.jackson.databind.node.ObjectNode withoutRefs = h.deepCopy();
                withoutRefs.remove("imageRefs");
                assertThat(withoutRefs).as("host %d of %s", i, e.getKey()).isEqualTo(compact.path("hosts").get(i));
            }
            assertThat(refPlaces).containsExactlyInAnyOrderElementsOf(places);
            for (String field : List.of("digest", "matchedBy", "hostCount", "limit", "next", "previous")) {
                assertThat(full.path(field)).as(field).isEqualTo(compact.path(field));
            }
        }
        assertThat(fleet.get("/api/v1/layers/" + truthHostsByDiffId().keySet().iterator().next() + "/hosts?include=tags")
                .statusCode()).isEqualTo(400);
    }

    /** The layer answer's fields with {@code ?include=imageRefs}, and its hosts': the shape before the compact answer. */
    static final List<String> FULL_LAYER = List.of("digest", "matchedBy", "diffId", "chains", "blobs", "size", "hostCount",
            "hosts", "hostsPage", "imageCount", "images", "imagesPage", "freshness");
    static final List<String> FULL_LAYER_HOST = List.of("host", "firstSeen", "images", "containers");
    /** The compact layer answer's fields: the hosts' page's {@code images} are its {@code hostImages}. */
    static final List<String> COMPACT_LAYER = List.of("digest", "matchedBy", "diffId", "chains", "blobs", "size", "hostCount",
            "hostImages", "hosts", "hostsPage", "imageCount", "images", "imagesPage", "freshness");

    @Test
    void the_layer_answer_embeds_the_compact_hosts_page_docker_truth_gives_and_on_request_keeps_its_full_shape()
            throws Exception {
        for (var e : truthHostsByDiffId().entrySet()) {
            // Docker's truth: where the layer sits in each image of a host with store IDs (position in RootFS.Layers,
            // chain ID there by the image spec's ChainID), and the tags of each host's images containing it.
            Map<String, Set<String>> truthPlaces = new TreeMap<>();
            for (FleetLoader.TruthImage img : FleetLoader.truthImages()) {
                for (int p = 0; p < img.diffIds().size(); p++) {
                    if (img.diffIds().get(p).equals(e.getKey()) && FleetLoader.truthHasStoreIds(img.host())) {
                        truthPlaces.computeIfAbsent(img.host(), k -> new TreeSet<>())
                                .add(img.imageId() + " " + p + " " + img.chainId(p));
                    }
                }
            }
            Map<String, Set<String>> truthTags = truthTagsByHost(e.getKey());
            JsonNode compact = json(fleet.get("/api/v1/layers/" + e.getKey()));
            JsonNode full = json(fleet.get("/api/v1/layers/" + e.getKey() + "?include=imageRefs"));
            JsonNode hostsPage = json(fleet.get("/api/v1/layers/" + e.getKey() + "/hosts"));
            assertThat(fieldNames(compact)).as(e.getKey()).isEqualTo(COMPACT_LAYER);
            assertThat(fieldNames(full)).as(e.getKey()).isEqualTo(FULL_LAYER);

            // Compact: the hosts' page, and what truth says of each host.
            assertThat(compact.path("hosts")).as("the hosts' page's hosts: %s", e.getKey()).isEqualTo(hostsPage.path("hosts"));
            assertThat(compact.path("hostImages")).as("the hosts' page's images: %s", e.getKey())
                    .isEqualTo(hostsPage.path("images"));
            assertThat(compact.path("hostCount")).isEqualTo(hostsPage.path("hostCount"));
            Map<String, String> places = new TreeMap<>();
            compact.path("hostImages").forEach(i -> places.merge(i.path("imageId").asText(), i.path("imageId").asText()
                    + " " + i.path("position").asInt() + " " + i.path("chainId").asText(), (a, b) -> a + "\n" + b));
            List<String> hosts = new ArrayList<>();
            compact.path("hosts").forEach(h -> {
                String hostId = h.path("hostId").asText();
                hosts.add(hostId);
                // A host without store IDs in truth (legacy-01) is checked by its tags, in the full answer below.
                if (FleetLoader.truthHasStoreIds(hostId)) {
                    assertImagesMatchTruth(e.getKey(), h, e.getValue().get(hostId));
                    Set<String> mine = new TreeSet<>();
                    h.path("images").forEach(i -> mine.addAll(List.of(places.get(i.asText()).split("\n"))));
                    assertThat(mine).as("where %s sits in %s's images", e.getKey(), hostId)
                            .isEqualTo(truthPlaces.get(hostId));
                }
            });
            assertThat(hosts).as("hosts of %s", e.getKey()).containsExactlyElementsOf(e.getValue().keySet());

            // Full: the same hosts in the same order, each with its images placed as the compact answer places them
            // and the tags Docker reported on that host.
            JsonNode fullHosts = full.path("hosts");
            assertThat(fullHosts.size()).isEqualTo(hosts.size());
            for (int i = 0; i < fullHosts.size(); i++) {
                JsonNode h = fullHosts.get(i);
                JsonNode c = compact.path("hosts").get(i);
                String hostId = h.path("host").path("hostId").asText();
                assertThat(fieldNames(h)).isEqualTo(FULL_LAYER_HOST);
                assertThat(hostId).isEqualTo(hosts.get(i));
                Set<String> refPlaces = new TreeSet<>();
                Set<String> compactPlaces = new TreeSet<>();
                Set<String> tags = new TreeSet<>();
                h.path("images").forEach(ref -> {
                    refPlaces.add(ref.path("imageId").asText() + " " + ref.path("position").asInt() + " "
                            + ref.path("chainId").asText());
                    ref.path("repoTags").forEach(t -> tags.add(t.asText()));
                });
                c.path("images").forEach(id -> compactPlaces.addAll(List.of(places.get(id.asText()).split("\n"))));
                assertThat(refPlaces).as("%s on %s", e.getKey(), hostId).isEqualTo(compactPlaces);
                assertThat(tags).as("tags of images with %s on %s", e.getKey(), hostId).isEqualTo(truthTags.get(hostId));
                for (String field : List.of("firstSeen", "containers")) {
                    assertThat(h.path(field)).as(field).isEqualTo(c.path(field));
                }
                for (String field : List.of("stale", "lastReportAt", "lastInventoryAt", "agentVersion", "sourceKind", "labels")) {
                    assertThat(h.path("host").path(field)).as(field).isEqualTo(c.path(field));
                }
            }
            for (String field : List.of("digest", "matchedBy", "diffId", "chains", "blobs", "size", "hostCount",
                    "hostsPage", "imageCount", "images", "imagesPage")) {
                assertThat(full.path(field)).as(field).isEqualTo(compact.path(field));
            }
        }
        assertThat(fleet.get("/api/v1/layers/" + truthHostsByDiffId().keySet().iterator().next() + "?include=tags")
                .statusCode()).isEqualTo(400);
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void a_unique_twelve_character_prefix_finds_the_same_hosts_as_the_full_diff_id() throws Exception {
        var e = truthHostsByDiffId().entrySet().stream().filter(x -> x.getValue().size() > 2).findFirst().orElseThrow();
        String prefix = e.getKey().substring("sha256:".length(), "sha256:".length() + 12);
        JsonNode body = json(fleet.get("/api/v1/layers/" + prefix + "/hosts"));
        List<String> hosts = new ArrayList<>();
        body.path("hosts").forEach(h -> hosts.add(h.path("hostId").asText()));
        assertThat(hosts).containsExactlyElementsOf(e.getValue().keySet());
        assertThat(body.path("digest").asText()).isEqualTo(e.getKey());
    }

    @Test
    void an_unknown_layer_is_404_and_a_malformed_digest_is_400_without_a_stack_trace() throws Exception {
        HttpResponse<String> unknown = fleet.get("/api/v1/layers/sha256:" + "0".repeat(64) + "/hosts");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).path("error").asText()).contains("no layer");
        for (String bad : List.of("abc", "zzzzzzzzzzzzzzzz", "sha1:" + "a".repeat(40), "a".repeat(65))) {
            HttpResponse<String> r = fleet.get("/api/v1/layers/" + bad + "/hosts");
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }

    @Test
    void searching_a_diff_id_lands_on_the_layer_page_which_lists_its_hosts() throws Exception {
        var e = truthHostsByDiffId().entrySet().stream().filter(x -> x.getValue().size() > 2).findFirst().orElseThrow();
        HttpResponse<String> search = fleet.get("/search?q=" + e.getKey());
        assertThat(search.statusCode()).isEqualTo(302);
        assertThat(search.headers().firstValue("Location")).hasValue("/layers/" + e.getKey());
        HttpResponse<String> page = fleet.get("/layers/" + e.getKey());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        for (String host : e.getValue().keySet()) {
            assertThat(page.body()).contains("data-host=\"" + host + "\"");
        }
        assertThat(fleet.get("/").body()).contains("<form class=\"search big\" action=\"/search\"");
    }
}
