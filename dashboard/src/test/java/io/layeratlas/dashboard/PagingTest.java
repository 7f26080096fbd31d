package io.layeratlas.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.db.testing.FleetLoader;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static io.layeratlas.dashboard.LayerApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/** Keyset paging of the lists that grow with the fleet, against the fleet-main index: every row once, totals exact. */
class PagingTest {
    private final TestFleet fleet = TestFleet.get();

    private static Map.Entry<String, Map<String, Set<String>>> mostSharedLayer() {
        return LayerApiTest.truthHostsByDiffId().entrySet().stream()
                .max((a, b) -> Integer.compare(a.getValue().size(), b.getValue().size())).orElseThrow();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Follows {@code next} from the first page; returns the pages' answers. */
    private List<JsonNode> forward(String path, String listField) throws Exception {
        List<JsonNode> pages = new ArrayList<>();
        String cursor = null;
        do {
            HttpResponse<String> r = fleet.get(path + (path.contains("?") ? "&" : "?") + "limit=2"
                    + (cursor == null ? "" : "&cursor=" + enc(cursor)));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode page = json(r);
            assertThat(page.path(listField).size()).isLessThanOrEqualTo(2);
            pages.add(page);
            cursor = page.path("next").isNull() || page.path("next").isMissingNode() ? null : page.path("next").asText();
        } while (cursor != null && pages.size() < 100);
        return pages;
    }

    @Test
    void paging_two_at_a_time_through_the_hosts_of_the_most_shared_layer_lists_every_host_docker_reported_once() throws Exception {
        var layer = mostSharedLayer();
        // A page is read by gathering the holders while PostgreSQL has no estimate of the fleet, and by walking the
        // hosts in ID order once it has one and the layer is on enough of them (LayerQuery.walk): both, each page.
        pageThroughHosts(layer);
        double estimate;
        try (var c = fleet.database.dataSource().getConnection(); var st = c.createStatement()) {
            st.execute("ANALYZE hosts");
            try (var rs = st.executeQuery("SELECT reltuples FROM pg_class WHERE oid = 'hosts'::regclass")) {
                rs.next();
                estimate = rs.getDouble(1);
            }
        }
        assertThat((double) layer.getValue().size() * layer.getValue().size()).as("a layer walked with pages of 2")
                .isGreaterThan(3 * estimate);
        pageThroughHosts(layer);
    }

    private void pageThroughHosts(Map.Entry<String, Map<String, Set<String>>> layer) throws Exception {
        List<JsonNode> pages = forward("/api/v1/layers/" + layer.getKey() + "/hosts", "hosts");
        List<String> seen = new ArrayList<>();
        pages.forEach(p -> p.path("hosts").forEach(h -> seen.add(h.path("hostId").asText())));
        assertThat(seen).containsExactlyElementsOf(layer.getValue().keySet());
        assertThat(pages).allSatisfy(p -> assertThat(p.path("hostCount").asInt()).isEqualTo(layer.getValue().size()));
        assertThat(pages.get(0).path("previous").isNull()).isTrue();

        // Back from the last page with `previous`: the same pages in reverse.
        JsonNode last = pages.get(pages.size() - 1);
        List<String> back = new ArrayList<>();
        last.path("hosts").forEach(h -> back.add(0, h.path("hostId").asText()));
        String cursor = last.path("previous").asText(null);
        while (cursor != null) {
            JsonNode page = json(fleet.get("/api/v1/layers/" + layer.getKey() + "/hosts?limit=2&cursor=" + enc(cursor)));
            List<String> ids = new ArrayList<>();
            page.path("hosts").forEach(h -> ids.add(h.path("hostId").asText()));
            back.addAll(0, ids);
            cursor = page.path("previous").isNull() ? null : page.path("previous").asText();
        }
        assertThat(back).containsExactlyElementsOf(layer.getValue().keySet());
    }

    @Test
    void the_host_list_pages_in_every_sort_without_losing_or_repeating_a_host() throws Exception {
        Set<String> truth = new TreeSet<>();
        FleetLoader.truthImages().forEach(i -> truth.add(i.host()));
        truth.add(fleet.hostile.hostId());
        for (String sort : List.of("host", "heartbeat", "inventory", "version", "kind", "images", "layers", "bytes", "stale")) {
            for (String desc : List.of("false", "true")) {
                List<String> seen = new ArrayList<>();
                forward("/api/v1/hosts?sort=" + sort + "&desc=" + desc, "hosts")
                        .forEach(p -> p.path("hosts").forEach(h -> seen.add(h.path("status").path("hostId").asText())));
                assertThat(seen).as("sort=%s desc=%s", sort, desc).doesNotHaveDuplicates()
                        .containsExactlyInAnyOrderElementsOf(truth);
            }
        }
    }

    @Test
    void a_hosts_change_log_and_images_page_with_their_totals() throws Exception {
        long images = FleetLoader.truthImages().stream().filter(i -> i.host().equals("web-01")).count();
        JsonNode first = json(fleet.get("/api/v1/hosts/web-01?limit=2"));
        assertThat(first.path("imagesPage").path("total").asLong()).isEqualTo(images);
        Set<String> seen = new TreeSet<>();
        JsonNode page = first;
        while (true) {
            page.path("images").forEach(i -> assertThat(seen.add(i.path("imageId").asText())).isTrue());
            if (page.path("imagesPage").path("next").isNull()) {
                break;
            }
            page = json(fleet.get("/api/v1/hosts/web-01?limit=2&images_cursor=" + enc(page.path("imagesPage").path("next").asText())));
        }
        assertThat(seen).hasSize((int) images);

        long changes = first.path("changesPage").path("total").asLong();
        assertThat(changes).isPositive();
        long counted = 0;
        page = first;
        while (true) {
            counted += page.path("changes").size();
            if (page.path("changesPage").path("next").isNull()) {
                break;
            }
            page = json(fleet.get("/api/v1/hosts/web-01?limit=2&changes_cursor=" + enc(page.path("changesPage").path("next").asText())));
        }
        assertThat(counted).isEqualTo(changes);
    }

    @Test
    void the_json_export_streams_every_host_of_a_layer_with_its_images() throws Exception {
        var layer = mostSharedLayer();
        JsonNode all = json(fleet.get("/api/v1/layers/" + layer.getKey() + "/hosts.json"));
        List<String> hosts = new ArrayList<>();
        all.path("hosts").forEach(h -> {
            hosts.add(h.path("hostId").asText());
            LayerApiTest.assertImagesMatchTruth(layer.getKey(), h, layer.getValue().get(h.path("hostId").asText()));
        });
        assertThat(hosts).containsExactlyElementsOf(layer.getValue().keySet());
        assertThat(all.path("hostCount").asInt()).isEqualTo(hosts.size());
    }

    @Test
    void the_json_export_writes_each_host_as_the_hosts_page_with_image_refs_does_for_every_layer() throws Exception {
        // The export writes its hosts field by field on the generator, the page through Jackson's databind of the same
        // record: every layer Docker reported, every host in both, compared value for value (containers and labels
        // too: the fixtures' hosts run containers of these images and carry labels).
        int withContainers = 0;
        int withLabels = 0;
        for (var layer : LayerApiTest.truthHostsByDiffId().entrySet()) {
            JsonNode export = json(fleet.get("/api/v1/layers/" + layer.getKey() + "/hosts.json"));
            List<JsonNode> paged = new ArrayList<>();
            forward("/api/v1/layers/" + layer.getKey() + "/hosts?include=imageRefs", "hosts")
                    .forEach(p -> p.path("hosts").forEach(paged::add));
            List<JsonNode> exported = new ArrayList<>();
            export.path("hosts").forEach(exported::add);
            assertThat(exported).as(layer.getKey()).containsExactlyElementsOf(paged);
            List<String> hosts = exported.stream().map(h -> h.path("hostId").asText()).toList();
            assertThat(hosts).as(layer.getKey()).containsAll(layer.getValue().keySet());
            withContainers += (int) exported.stream().filter(h -> !h.path("containers").isEmpty()).count();
            withLabels += (int) exported.stream().filter(h -> !h.path("labels").isEmpty()).count();
        }
        assertThat(withContainers).isPositive();
        assertThat(withLabels).isPositive();
    }

    @Test
    void a_cursor_that_is_not_one_or_a_limit_out_of_range_is_a_400_and_limit_0_is_the_total_alone() throws Exception {
        var layer = mostSharedLayer();
        for (String q : List.of("cursor=nonsense", "cursor=" + enc("WyJhZnRlciJd"), "limit=-1", "limit=1001", "limit=x")) {
            HttpResponse<String> r = fleet.get("/api/v1/layers/" + layer.getKey() + "/hosts?" + q);
            assertThat(r.statusCode()).as(q).isEqualTo(400);
            assertThat(r.body()).as(q).doesNotContain("Exception");
        }
        // limit=0 is the total alone: no host, no cursor.
        JsonNode none = json(fleet.get("/api/v1/layers/" + layer.getKey() + "/hosts?limit=0"));
        assertThat(none.path("hosts").size()).isZero();
        assertThat(none.path("hostCount").asInt()).isEqualTo(layer.getValue().size());
        assertThat(none.path("next").isNull()).isTrue();
        // A cursor of another list (the host list sorted by heartbeat: two keys) given to this one (one key).
        String other = json(fleet.get("/api/v1/hosts?sort=heartbeat&limit=1")).path("next").asText();
        assertThat(fleet.get("/api/v1/layers/" + layer.getKey() + "/hosts?cursor=" + enc(other)).statusCode()).isEqualTo(400);
    }

    @Test
    void search_results_page_one_at_a_time_with_their_total_and_find_every_host_with_the_prefix_once() throws Exception {
        Set<String> truth = new TreeSet<>();
        FleetLoader.truthImages().stream().map(FleetLoader.TruthImage::host).filter(h -> h.startsWith("web-0")).forEach(truth::add);
        assertThat(truth).hasSizeGreaterThan(1);
        List<String> seen = new ArrayList<>();
        List<JsonNode> pages = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = json(fleet.get("/api/v1/search?q=web-0&limit=1" + (cursor == null ? "" : "&cursor=" + enc(cursor))));
            pages.add(page);
            page.path("matches").forEach(m -> seen.add(m.path("kind").asText() + " " + m.path("key").asText()));
            cursor = page.path("next").isNull() ? null : page.path("next").asText();
        } while (cursor != null && pages.size() < 100);
        assertThat(seen).doesNotHaveDuplicates().containsAll(truth.stream().map(h -> "HOST " + h).toList());
        assertThat(pages).allSatisfy(p -> assertThat(p.path("total").asInt()).isEqualTo(seen.size()));
        assertThat(pages.get(0).path("unique").asBoolean()).isFalse();
        // The HTML page shows the total and the next link.
        String html = fleet.get("/search?q=web-0&limit=1").body();
        assertThat(html).contains(seen.size() + " matches").contains("rel=\"next\"");
    }

    @Test
    void an_images_children_page_one_at_a_time_to_the_same_list() throws Exception {
        String busy = json(fleet.get("/api/v1/search?q=" + enc("127.0.0.1:5055/base/busy:1.36"))).path("matches").get(0).path("key").asText();
        JsonNode first = json(fleet.get("/api/v1/images/" + busy));
        List<String> all = new ArrayList<>();
        first.path("children").forEach(c -> all.add(c.path("imageId").asText()));
        assertThat(all).hasSizeGreaterThan(1);
        assertThat(first.path("childrenPage").path("total").asInt()).isEqualTo(all.size());
        List<String> paged = new ArrayList<>();
        JsonNode page = json(fleet.get("/api/v1/images/" + busy + "?limit=1"));
        while (true) {
            page.path("children").forEach(c -> paged.add(c.path("imageId").asText()));
            if (page.path("childrenPage").path("next").isNull()) {
                break;
            }
            page = json(fleet.get("/api/v1/images/" + busy + "?limit=1&children_cursor="
                    + enc(page.path("childrenPage").path("next").asText())));
        }
        assertThat(paged).containsExactlyElementsOf(all);
    }
}
