package io.layeratlas.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.agent.SourceSpec;
import io.layeratlas.dashboard.testing.Chromium;
import io.layeratlas.ingest.engine.DockerDaemon;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 16's "done when" on a live host: a real {@code dockerd} (the test's own, {@link DockerDaemon}) runs a
 * container from a tiny imported busybox image; {@code up}'s stack ({@link LocalStack}: the real agents, the embedded
 * Kafka broker, the indexer, embedded PostgreSQL, the dashboard) reads that daemon twice, as host {@code live-api}
 * through its Engine API socket and as host {@code live-disk} from its data-root on disk, beside the five fleet-main
 * data-roots. In Chromium, the layer, image and host pages show the container as running under the name and state
 * {@code docker inspect} reports, the layer's remediation CSV carries it, and the host page's Docker version, storage
 * driver and data-root are {@code docker info}'s. With the environment variable {@code LAYERATLAS_SCREENS} set to a
 * folder, the overview, the tag page and the layer page with the running container are saved there as PNGs.
 * Then {@code docker rmi} of one of the image's two tags shows on both hosts' change logs and the overview's feed as
 * that tag's removal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunningContainerBrowserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TAG = "live/busybox:1";
    private static final String OLD_TAG = "live/busybox:old";
    private static final String API_HOST = "live-api";
    private static final String DISK_HOST = "live-disk";

    private final HttpClient http = HttpClient.newHttpClient();
    private DockerDaemon docker;
    private LocalStack stack;
    private Chromium browser;
    private WebDriver driver;
    /** {@code docker image inspect TAG}. */
    private JsonNode image;
    /** {@code docker inspect} of the running container. */
    private JsonNode container;
    /** {@code docker info}. */
    private JsonNode info;

    @BeforeAll
    void start() throws Exception {
        Path target = Path.of("target").toAbsolutePath();
        docker = DockerDaemon.startOrSkip(target);
        Path rootfs = DockerDaemon.busyboxRootfs(Files.createTempFile(target, "live-rootfs-", ".tar"), "live");
        docker.docker("import", rootfs.toString(), TAG);
        // A second tag, removed while the agents run (the tag removal test).
        docker.docker("tag", TAG, OLD_TAG);
        String id = docker.docker("run", "-d", "--network", "host", "--name", "live-sleeper", TAG,
                "/bin/busybox", "sleep", "600").strip();
        // The truth: what this daemon says about its image, its container and itself.
        image = JSON.readTree(docker.docker("image", "inspect", TAG)).get(0);
        container = JSON.readTree(docker.docker("container", "inspect", id)).get(0);
        info = JSON.readTree(docker.docker("info", "--format", "{{json .}}"));
        assertThat(container.path("State").path("Status").asText()).isEqualTo("running");

        List<SourceSpec> sources = new ArrayList<>();
        sources.add(new SourceSpec(Optional.of(API_HOST), docker.host()));
        sources.add(new SourceSpec(Optional.of(DISK_HOST), docker.dataRoot().toString()));
        for (String host : Fixtures.fleetMainHosts()) {
            sources.add(new SourceSpec(Optional.of(host), Fixtures.dataRoot(host).toString()));
        }
        stack = LocalStack.start(new LocalStack.Settings(Files.createTempDirectory(target, "live-state-"), 0, 0, sources,
                Optional.empty(), Duration.ofMinutes(10), false), new PrintStream(new ByteArrayOutputStream()));
        browser = Chromium.start();
        driver = browser.driver();
        // Indexed: both live hosts answer the image's layer with the container, and every fleet-main host reported.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(csvContainers()).containsKeys(API_HOST, DISK_HOST);
            JsonNode hosts = JSON.readTree(get("/api/v1/hosts?limit=100").body());
            assertThat(hosts.toString()).contains(Fixtures.fleetMainHosts().toArray(String[]::new));
        });
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (stack != null) {
            stack.close();
        }
        if (docker != null) {
            docker.close();
        }
    }

    private String name() {
        return container.path("Name").asText().replaceFirst("^/", "");
    }

    private String state() {
        return container.path("State").path("Status").asText();
    }

    private String diffId() {
        JsonNode layers = image.path("RootFS").path("Layers");
        return layers.get(layers.size() - 1).asText();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String base() {
        return "http://localhost:" + stack.dashboardPort();
    }

    /** The layer's remediation CSV: host → its {@code containers} cell. */
    private Map<String, String> csvContainers() throws Exception {
        HttpResponse<String> r = get("/api/v1/layers/" + diffId() + "/hosts.csv");
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> lines = r.body().lines().toList();
        List<String> header = Arrays.asList(lines.get(0).split(","));
        int host = header.indexOf("host_id");
        int containers = header.indexOf("containers");
        Map<String, String> out = new TreeMap<>();
        // The cells this test reads hold no comma or quote (host IDs, "name:state" pairs); labels come last.
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            out.put(cells[host], cells[containers]);
        }
        return out;
    }

    private void shot(String name) {
        String dir = System.getenv("LAYERATLAS_SCREENS");
        if (dir != null && !dir.isBlank()) {
            browser.screenshot(Path.of(dir), name);
        }
    }

    @Test
    void the_layer_page_and_its_remediation_csv_show_the_running_container_on_both_live_hosts() throws Exception {
        driver.get(base() + "/layers/" + diffId());
        for (String host : List.of(API_HOST, DISK_HOST)) {
            WebElement row = driver.findElement(By.cssSelector("#layer-hosts tbody tr[data-host='" + host + "']"));
            List<String> names = row.findElements(By.cssSelector(".container-line")).stream()
                    .map(c -> c.getAttribute("data-container")).toList();
            assertThat(names).as(host).containsExactly(name());
            assertThat(row.findElement(By.cssSelector(".container-line .badge")).getText()).as(host).isEqualTo(state());
        }
        // Fleet-main's hosts do not hold this layer: only the live daemon's two readings of it.
        List<String> hosts = driver.findElements(By.cssSelector("#layer-hosts tbody tr[data-host]")).stream()
                .map(r -> r.getAttribute("data-host")).sorted().toList();
        assertThat(hosts).containsExactly(API_HOST, DISK_HOST);
        shot("layer-page-running-container");

        assertThat(csvContainers()).containsEntry(API_HOST, name() + ":" + state())
                .containsEntry(DISK_HOST, name() + ":" + state()).hasSize(2);
    }

    @Test
    void the_image_page_shows_the_running_container_per_host() {
        driver.get(base() + "/images/" + image.path("Id").asText());
        for (String host : List.of(API_HOST, DISK_HOST)) {
            WebElement cell = driver.findElement(By.cssSelector("#image-hosts tr[data-host='" + host + "'] .containers"));
            assertThat(cell.findElement(By.cssSelector(".container-line")).getAttribute("data-container")).as(host).isEqualTo(name());
            assertThat(cell.findElement(By.cssSelector(".badge")).getText()).as(host).isEqualTo(state());
        }
    }

    @Test
    void the_host_pages_show_the_container_as_docker_inspect_does_and_the_facts_docker_info_gives() {
        for (String host : List.of(API_HOST, DISK_HOST)) {
            driver.get(base() + "/hosts/" + host);
            List<WebElement> rows = driver.findElements(By.cssSelector("#host-containers tbody tr[data-container]"));
            assertThat(rows).as(host).hasSize(1);
            assertThat(rows.get(0).getAttribute("data-container")).as(host).isEqualTo(name());
            assertThat(rows.get(0).findElements(By.tagName("td")).get(1).getText()).as(host).isEqualTo(state());
            assertThat(rows.get(0).findElement(By.cssSelector("a[title]")).getAttribute("title")).as(host)
                    .isEqualTo(container.path("Image").asText());
            assertThat(driver.findElement(By.id("host-storage-driver")).getText()).as(host).isEqualTo(info.path("Driver").asText());
            assertThat(driver.findElement(By.id("host-data-root")).getText()).as(host).isEqualTo(info.path("DockerRootDir").asText());
        }
        // Only the Engine API tells the daemon's version; a data-root on disk does not say which dockerd wrote it.
        driver.get(base() + "/hosts/" + API_HOST);
        assertThat(driver.findElement(By.id("host-docker-version")).getText()).isEqualTo(info.path("ServerVersion").asText());
    }

    @Test
    void the_tag_page_lists_both_live_hosts_under_the_one_image_and_the_overview_s_change_feed_names_it() {
        driver.get(base() + "/tags/" + URLEncoder.encode(TAG, StandardCharsets.UTF_8));
        List<WebElement> sections = driver.findElements(By.cssSelector("section.tag-image"));
        assertThat(sections).hasSize(1);
        assertThat(sections.get(0).getAttribute("data-image")).isEqualTo(image.path("Id").asText());
        List<String> hosts = sections.get(0).findElements(By.cssSelector("tr[data-host]")).stream()
                .map(r -> r.getAttribute("data-host")).sorted().toList();
        assertThat(hosts).containsExactly(API_HOST, DISK_HOST);
        // The review's tag page: fleet-main's tag that names two images (a modern one and its v1-migrated twin).
        driver.get(base() + "/tags/" + URLEncoder.encode("127.0.0.1:5055/shop/worker:1.0", StandardCharsets.UTF_8));
        assertThat(driver.findElements(By.cssSelector("section.tag-image"))).hasSize(2);
        shot("tag-page");

        driver.get(base() + "/");
        assertThat(driver.findElement(By.id("change-feed")).getText()).contains(API_HOST, DISK_HOST, TAG);
        shot("overview");
    }

    @Test
    void a_tag_removed_by_docker_rmi_shows_as_a_tag_removal_in_the_host_change_log_and_the_fleet_feed() throws Exception {
        List<String> before = tags();
        docker.docker("rmi", OLD_TAG);
        List<String> after = tags();
        // Docker's own answer: the image stays, and lost exactly this tag.
        List<String> removed = before.stream().filter(t -> !after.contains(t)).toList();
        assertThat(removed).containsExactly(OLD_TAG);
        assertThat(after).contains(TAG);

        for (String host : List.of(API_HOST, DISK_HOST)) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                driver.get(base() + "/hosts/" + host);
                List<String> lines = driver.findElements(By.cssSelector("#host-changes tbody tr")).stream()
                        .map(WebElement::getText).toList();
                assertThat(lines).as(host).anySatisfy(l -> assertThat(l).contains("removed", "tag " + OLD_TAG + " from image",
                        image.path("Id").asText().substring("sha256:".length(), "sha256:".length() + 12)));
            });
        }
        driver.get(base() + "/");
        for (String host : List.of(API_HOST, DISK_HOST)) {
            WebElement line = driver.findElement(By.cssSelector(
                    "#change-feed tr[data-host='" + host + "'][data-subject='tag'][data-change='removed']"));
            assertThat(line.findElements(By.cssSelector(".feed-tags a")).stream().map(WebElement::getText).toList())
                    .as(host).isEqualTo(removed);
        }
    }

    /** {@code docker image inspect}'s RepoTags of the image. */
    private List<String> tags() throws Exception {
        List<String> out = new ArrayList<>();
        JSON.readTree(docker.docker("image", "inspect", image.path("Id").asText())).get(0).path("RepoTags")
                .forEach(t -> out.add(t.asText()));
        return out;
    }
}
