package io.layeratlas.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.db.testing.FleetLoader;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16, points 4 and 6 in the API: containers per host in the host, image and layer answers and the remediation
 * CSV, compared with Docker's {@code truth/<host>/containers.jsonl} ({@code docker ps -a}) and {@code image-inspect.json};
 * host metadata with {@code info.json}; labels ({@link FleetLoader#labelsOf}, what the tests' agents were given) and
 * the {@code label=} filter, paged by keyset.
 */
class ContainersAndLabelsApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final TestFleet fleet = TestFleet.get();

    /** A container as docker ps -a printed it, with the image ID its reference names on that host. */
    record TruthContainer(String host, String id, String name, String state, String image, String imageId) {
    }

    static List<TruthContainer> truthContainers() {
        List<TruthContainer> out = new ArrayList<>();
        for (String host : Fixtures.fleetMainHosts()) {
            Path ps = Fixtures.truth(host).resolve("containers.jsonl");
            if (!Files.exists(ps) || !FleetLoader.truthHasStoreIds(host)) {
                continue;
            }
            Map<String, String> idByTag = new TreeMap<>();
            FleetLoader.truthImages().stream().filter(i -> i.host().equals(host))
                    .forEach(i -> i.repoTags().forEach(t -> idByTag.put(t, i.imageId())));
            try {
                for (String line : Files.readAllLines(ps)) {
                    if (!line.isBlank()) {
                        JsonNode c = JSON.readTree(line);
                        out.add(new TruthContainer(host, c.get("ID").asText(), c.get("Names").asText(),
                                c.get("State").asText(), c.get("Image").asText(), idByTag.get(c.get("Image").asText())));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    private JsonNode get(String path) throws IOException {
        HttpResponse<String> r = fleet.get(path);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void the_fixture_fleet_has_containers_to_show() {
        assertThat(truthContainers()).extracting(TruthContainer::host).contains("web-01", "build-01");
    }

    @Test
    void a_host_answer_lists_the_containers_docker_ps_showed_and_the_host_s_metadata() throws IOException {
        for (String host : Fixtures.fleetMainHosts()) {
            JsonNode h = get("/api/v1/hosts/" + host);
            List<String> got = new ArrayList<>();
            h.path("containers").forEach(c -> got.add(c.path("containerId").asText() + " " + c.path("name").asText() + " "
                    + c.path("state").asText() + " " + c.path("image").asText() + " " + c.path("imageId").asText()));
            List<String> want = truthContainers().stream().filter(c -> c.host().equals(host))
                    .map(c -> c.id() + " " + c.name() + " " + c.state() + " " + c.image() + " " + c.imageId()).toList();
            assertThat(got).as(host).containsExactlyInAnyOrderElementsOf(want);

            JsonNode status = h.path("status");
            Path info = Fixtures.truth(host).resolve("info.json");
            if (Files.exists(info)) {
                assertThat(status.path("storageDriver").asText()).isEqualTo(JSON.readTree(info.toFile()).path("Driver").asText());
            }
            assertThat(status.path("dataRoot").asText()).isEqualTo(Fixtures.dataRoot(host).toString());
            Map<String, String> labels = new TreeMap<>();
            status.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            assertThat(labels).as(host).isEqualTo(FleetLoader.labelsOf(host));
        }
    }

    @Test
    void image_and_layer_answers_say_which_containers_run_the_image_on_each_host() throws IOException {
        for (TruthContainer c : truthContainers()) {
            JsonNode image = get("/api/v1/images/" + c.imageId());
            Set<String> hostsWithContainers = new TreeSet<>();
            image.path("hosts").forEach(h -> {
                if (h.path("containerList").size() > 0) {
                    hostsWithContainers.add(h.path("host").path("hostId").asText());
                }
                if (h.path("host").path("hostId").asText().equals(c.host())) {
                    List<String> names = new ArrayList<>();
                    h.path("containerList").forEach(k -> names.add(k.path("name").asText()));
                    assertThat(names).contains(c.name());
                }
            });
            Set<String> truthHosts = new TreeSet<>();
            truthContainers().stream().filter(t -> t.imageId().equals(c.imageId())).forEach(t -> truthHosts.add(t.host()));
            assertThat(hostsWithContainers).as("hosts running %s", c.image()).isEqualTo(truthHosts);

            // every layer of the image: the host's entry names the container; the CSV line says name:state
            String diffId = image.path("layers").get(0).path("diffId").asText();
            JsonNode layer = get("/api/v1/layers/" + diffId + "/hosts");
            List<String> names = new ArrayList<>();
            layer.path("hosts").forEach(h -> {
                if (h.path("hostId").asText().equals(c.host())) {
                    h.path("containers").forEach(k -> names.add(k.path("name").asText()));
                }
            });
            assertThat(names).contains(c.name());
            String csv = fleet.get("/api/v1/layers/" + diffId + "/hosts.csv").body();
            assertThat(csv.lines().findFirst().orElseThrow()).endsWith(",containers,labels");
            assertThat(csv.lines().filter(l -> l.startsWith(c.host() + ",")).findFirst().orElseThrow())
                    .contains(c.name() + ":" + c.state())
                    .endsWith(String.join(";", new TreeMap<>(FleetLoader.labelsOf(c.host())).entrySet().stream()
                            .map(e -> e.getKey() + "=" + e.getValue()).toList()));
        }
    }

    @Test
    void host_lists_filtered_by_label_page_by_keyset_through_exactly_the_labelled_hosts() throws IOException {
        Set<String> prod = new TreeSet<>();
        Fixtures.fleetMainHosts().stream().filter(h -> "prod".equals(FleetLoader.labelsOf(h).get("env"))).forEach(prod::add);
        assertThat(prod).hasSizeGreaterThan(1);
        List<String> seen = new ArrayList<>();
        String path = "/api/v1/hosts?limit=1&label=" + enc("env=prod");
        JsonNode page = get(path);
        while (true) {
            assertThat(page.path("total").asLong()).isEqualTo(prod.size());
            page.path("hosts").forEach(h -> seen.add(h.path("status").path("hostId").asText()));
            if (page.path("next").isNull() || page.path("next").isMissingNode()) {
                break;
            }
            page = get(path + "&cursor=" + enc(page.path("next").asText()));
        }
        assertThat(seen).containsExactlyElementsOf(prod);

        JsonNode both = get("/api/v1/hosts?label=" + enc("env=prod") + "&label=" + enc("team=web"));
        List<String> web = new ArrayList<>();
        both.path("hosts").forEach(h -> web.add(h.path("status").path("hostId").asText()));
        assertThat(web).containsExactly("web-01", "web-02");
        assertThat(fleet.get("/api/v1/hosts?label=env").statusCode()).isEqualTo(400);
    }

    @Test
    void layer_and_image_host_answers_filter_by_label_too() throws IOException {
        String diffId = LayerApiTest.truthHostsByDiffId().entrySet().stream()
                .filter(e -> e.getValue().keySet().containsAll(List.of("web-01", "build-01"))).findFirst().orElseThrow().getKey();
        JsonNode layer = get("/api/v1/layers/" + diffId + "/hosts?label=" + enc("team=web"));
        List<String> hosts = new ArrayList<>();
        layer.path("hosts").forEach(h -> hosts.add(h.path("hostId").asText()));
        Set<String> want = new TreeSet<>(LayerApiTest.truthHostsByDiffId().get(diffId).keySet());
        want.removeIf(h -> !"web".equals(FleetLoader.labelsOf(h).get("team")));
        assertThat(hosts).containsExactlyElementsOf(want);
        assertThat(layer.path("hostCount").asInt()).isEqualTo(want.size());

        String csv = fleet.get("/api/v1/layers/" + diffId + "/hosts.csv?label=" + enc("env=build")).body();
        assertThat(csv.lines().skip(1).map(l -> l.substring(0, l.indexOf(','))).toList()).containsExactly("build-01");

        String imageId = FleetLoader.truthImages().stream().filter(i -> i.host().equals("web-01") && i.diffIds().contains(diffId))
                .findFirst().orElseThrow().imageId();
        JsonNode image = get("/api/v1/images/" + imageId + "?label=" + enc("team=web"));
        image.path("hosts").forEach(h -> assertThat(h.path("host").path("labels").path("team").asText()).isEqualTo("web"));
        assertThat(image.path("hostCount").asInt()).isEqualTo(image.path("hosts").size());
    }
}
