package io.layeratlas.app;

import io.layeratlas.agent.SourceSpec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.dashboard.testing.Chromium;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The walking skeleton end to end: the five fleet-main data-roots → agents → a real Kafka broker → the indexer →
 * a real PostgreSQL → the dashboard's JSON API, compared with what each host's Docker reported ({@code truth/}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FleetEndToEndTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalStack stack;
    /** diff ID → host → image IDs on that host whose RootFS.Layers contain it, as Docker reported. */
    private Map<String, Map<String, Set<String>>> truth;

    @BeforeAll
    void start() throws IOException {
        Path state = Files.createTempDirectory("layeratlas-e2e");
        List<SourceSpec> sources = new ArrayList<>();
        for (String host : Fixtures.fleetMainHosts()) {
            sources.add(new SourceSpec(Optional.of(host), Fixtures.dataRoot(host).toString()));
        }
        truth = FleetTruth.read(Fixtures.fleetMainHosts());
        stack = LocalStack.start(new LocalStack.Settings(state, 0, 0, sources, Optional.empty(), Duration.ofMinutes(10), false),
                new PrintStream(new ByteArrayOutputStream()));
    }

    @AfterAll
    void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + stack.dashboardPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private Map<String, Set<String>> hostsHolding(String digest) throws Exception {
        return FleetTruth.hostsHolding(http, stack.dashboardPort(), digest);
    }

    @Test
    void every_diff_id_docker_reported_lists_exactly_the_hosts_and_images_that_hold_it() {
        assertThat(truth).hasSizeGreaterThan(40);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            assertThat(FleetTruth.asked(http, stack.dashboardPort(), truth)).isEqualTo(truth);
        });
    }

    @Test
    void searching_a_diff_id_in_the_browser_lists_exactly_the_hosts_docker_reported() {
        // The layer on the most hosts: the longest remediation list.
        Map.Entry<String, Map<String, Set<String>>> layer = truth.entrySet().stream()
                .max((a, b) -> Integer.compare(a.getValue().size(), b.getValue().size())).orElseThrow();
        try (Chromium browser = Chromium.start()) {
            WebDriver driver = browser.driver();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                driver.get("http://localhost:" + stack.dashboardPort() + "/");
                WebElement box = driver.findElement(By.id("search-q"));
                box.sendKeys(layer.getKey(), Keys.ENTER);
                new WebDriverWait(driver, Duration.ofSeconds(10))
                        .until(ExpectedConditions.presenceOfElementLocated(By.id("layer-hosts")));
                Set<String> hosts = new TreeSet<>();
                for (WebElement row : driver.findElements(By.cssSelector("#layer-hosts tbody tr[data-host]"))) {
                    hosts.add(row.getAttribute("data-host"));
                }
                assertThat(hosts).isEqualTo(layer.getValue().keySet());
            });
            browser.screenshot(Path.of("target/screenshots"), "e2e-layer-search");
        }
    }

    @Test
    void a_unique_twelve_character_prefix_finds_the_layer_and_an_unknown_layer_is_404() throws Exception {
        String diffId = truth.keySet().iterator().next();
        String prefix = diffId.substring("sha256:".length(), "sha256:".length() + 12);
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() ->
                assertThat(hostsHolding(prefix).keySet()).isEqualTo(truth.get(diffId).keySet()));
        assertThat(get("/api/v1/layers/sha256:" + "0".repeat(64) + "/hosts").statusCode()).isEqualTo(404);
        assertThat(get("/api/v1/layers/not-a-digest/hosts").statusCode()).isEqualTo(400);
    }
}
