package io.layeratlas.dashboard;

import io.layeratlas.dashboard.testing.Chromium;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.db.testing.FleetLoader;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The pages in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver} packages at
 * {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver}; override with {@code -Dlayeratlas.chromium=} and
 * {@code -Dlayeratlas.chromedriver=}). Selenium Manager is never asked to download anything: both paths are given.
 * Screenshots of every page go to {@code target/screenshots/}.
 */
class BrowserTest {
    private static final Path SHOTS = Path.of("target/screenshots");
    private static Chromium browser;
    private static ChromeDriver driver;
    private final TestFleet fleet = TestFleet.get();

    @BeforeAll
    static void startBrowser() {
        browser = Chromium.start();
        driver = browser.driver();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    private void open(String path) {
        driver.get(fleet.base + path);
    }

    private static void shot(String name) {
        browser.screenshot(SHOTS, name);
    }

    @Test
    void searching_a_diff_id_from_truth_shows_exactly_the_hosts_docker_reported_an_image_with_that_layer_on() throws Exception {
        open("/");
        shot("01-home");
        // The layer shared by the most hosts: the most telling remediation list.
        var entry = LayerApiTest.truthHostsByDiffId().entrySet().stream()
                .max((a, b) -> Integer.compare(a.getValue().size(), b.getValue().size())).orElseThrow();
        WebElement box = driver.findElement(By.id("home-q"));
        box.sendKeys(entry.getKey(), Keys.ENTER);
        new WebDriverWait(driver, Duration.ofSeconds(10)).until(ExpectedConditions.presenceOfElementLocated(By.id("layer-hosts")));
        assertThat(driver.getCurrentUrl()).endsWith("/layers/" + entry.getKey());
        List<String> hosts = new ArrayList<>();
        for (WebElement row : driver.findElements(By.cssSelector("#layer-hosts tbody tr"))) {
            hosts.add(row.getAttribute("data-host"));
        }
        assertThat(hosts).containsExactlyElementsOf(entry.getValue().keySet());
        assertThat(driver.findElement(By.id("freshness")).getText()).contains(TestFleet.STALE_HOST);
        shot("02-layer");
    }

    @Test
    void the_reuse_chart_renders_with_data() throws Exception {
        open("/reuse");
        WebElement chart = new WebDriverWait(driver, Duration.ofSeconds(15))
                .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#share-chart[data-rendered]")));
        assertThat(Integer.parseInt(chart.getAttribute("data-rendered"))).isPositive();
        assertThat(chart.findElements(By.tagName("canvas"))).isNotEmpty();
        Object points = ((JavascriptExecutor) driver).executeScript(
                "return echarts.getInstanceByDom(document.getElementById('share-chart')).getOption().series[0].data;");
        assertThat((List<?>) points).isNotEmpty().allSatisfy(p -> assertThat(((Number) p).longValue()).isNotNegative());
        assertThat(((List<?>) points).stream().mapToLong(p -> ((Number) p).longValue()).sum()).isPositive();
        shot("03-reuse");
    }

    @Test
    void the_image_page_history_matches_docker_history() throws Exception {
        // The build-01 image with the most empty layers (history entries beyond its diff IDs).
        Map<String, Integer> layerCounts = new java.util.HashMap<>();
        FleetLoader.truthImages().stream().filter(i -> i.host().equals("build-01"))
                .forEach(i -> layerCounts.put(i.imageId(), i.diffIds().size()));
        JsonNode best = null;
        int bestEmpty = -1;
        for (String line : Files.readAllLines(Fixtures.truth("build-01").resolve("history.jsonl"))) {
            JsonNode n = LayerApiTest.JSONM.readTree(line);
            int empty = n.path("history").size() - layerCounts.get(n.path("id").asText());
            if (empty > bestEmpty) {
                best = n;
                bestEmpty = empty;
            }
        }
        String imageId = best.path("id").asText();
        Map<String, JsonNode> api = new java.util.HashMap<>();
        for (String line : Files.readAllLines(Fixtures.truth("build-01").resolve("api/history.jsonl"))) {
            JsonNode n = LayerApiTest.JSONM.readTree(line);
            api.put(n.path("id").asText(), n);
        }
        open("/images/" + imageId);
        List<WebElement> rows = driver.findElements(By.cssSelector("#image-history tbody tr"));
        assertThat(rows).hasSize(best.path("history").size());
        JsonNode exact = api.get(imageId).path("history");
        for (int i = 0; i < rows.size(); i++) {
            List<WebElement> cells = rows.get(i).findElements(By.tagName("td"));
            assertThat(cells.get(1).getText().strip()).as("row %d", i)
                    .isEqualTo(best.path("history").get(i).path("CreatedBy").asText().strip());
            assertThat(cells.get(2).getAttribute("data-bytes")).as("row %d", i).isEqualTo(exact.get(i).path("Size").asText());
        }
        assertThat(driver.findElements(By.cssSelector("#image-history tr.empty .badge"))).hasSize(bestEmpty);
        shot("04-image");
    }

    @Test
    void a_hostile_label_renders_as_text_and_runs_nothing() throws Exception {
        FleetLoader.Hostile h = fleet.hostile;
        open("/images/" + h.imageId());
        List<String> values = new ArrayList<>();
        driver.findElements(By.cssSelector("#image-labels .label-value")).forEach(e -> values.add(e.getText()));
        assertThat(values).anySatisfy(v -> assertThat(v).contains("<script>alert(\"label\")</script>"));
        List<String> keys = new ArrayList<>();
        driver.findElements(By.cssSelector("#image-labels .label-key")).forEach(e -> keys.add(e.getText()));
        assertThat(keys).contains(h.labelKey());
        assertThat(driver.findElements(By.cssSelector("main script"))).isEmpty();
        assertThatThrownBy(() -> driver.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
        shot("05-hostile-image");
        open("/hosts/" + io.layeratlas.dashboard.web.Fmt.path(h.hostId()));
        assertThat(driver.findElement(By.id("host-id")).getText()).isEqualTo(h.hostId());
        assertThatThrownBy(() -> driver.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
    }

    @Test
    void the_hosts_and_host_pages_flag_the_stale_agent() throws Exception {
        open("/hosts?sort=stale&desc=true");
        WebElement first = driver.findElement(By.cssSelector("#hosts tbody tr"));
        assertThat(first.getAttribute("data-host")).isEqualTo(TestFleet.STALE_HOST);
        assertThat(first.getText()).contains("stale");
        shot("06-hosts");
        open("/hosts/web-01");
        assertThat(driver.findElements(By.cssSelector("#host-images tbody tr"))).hasSize(
                (int) FleetLoader.truthImages().stream().filter(i -> i.host().equals("web-01")).count());
        shot("07-host");
        open("/search?q=shop/api");
        shot("08-search-candidates");
        assertThat(driver.findElements(By.cssSelector("#candidates tbody tr")).size()).isGreaterThan(1);
    }

    @Test
    void paging_through_the_hosts_of_the_most_shared_layer_finds_every_host_exactly_once() {
        var entry = LayerApiTest.truthHostsByDiffId().entrySet().stream()
                .max((a, b) -> Integer.compare(a.getValue().size(), b.getValue().size())).orElseThrow();
        open("/layers/" + entry.getKey() + "?limit=2");
        List<String> hosts = new ArrayList<>();
        int pages = 0;
        while (true) {
            pages++;
            for (WebElement row : driver.findElements(By.cssSelector("#layer-hosts tbody tr"))) {
                hosts.add(row.getAttribute("data-host"));
            }
            assertThat(driver.findElement(By.id("layer-hosts-pager-top")).getText())
                    .contains("of " + entry.getValue().size());
            List<WebElement> next = driver.findElements(By.cssSelector("#layer-hosts-pager-bottom a[rel=next]"));
            if (next.isEmpty() || pages > 50) {
                break;
            }
            String before = driver.getCurrentUrl();
            next.get(0).click();
            new WebDriverWait(driver, Duration.ofSeconds(10)).until(d -> !d.getCurrentUrl().equals(before));
        }
        shot("09-layer-last-page");
        assertThat(pages).isEqualTo((entry.getValue().size() + 1) / 2);
        assertThat(hosts).doesNotHaveDuplicates().containsExactlyElementsOf(entry.getValue().keySet());
        assertThat(driver.findElements(By.cssSelector("#layer-hosts-pager-top a[rel=prev]"))).hasSize(pages > 1 ? 1 : 0);
    }
}
