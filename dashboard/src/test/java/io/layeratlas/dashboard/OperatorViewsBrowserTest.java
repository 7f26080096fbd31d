package io.layeratlas.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import io.layeratlas.dashboard.testing.Chromium;
import io.layeratlas.dashboard.web.Fmt;
import io.layeratlas.db.testing.FleetLoader;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
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
import java.util.Set;
import java.util.TreeSet;

import static io.layeratlas.dashboard.OperatorViewsApiTest.WORKER;
import static io.layeratlas.dashboard.OperatorViewsApiTest.enc;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16's operator views in a real headless Chromium over fleet-main (indexed through the write path), one test
 * per point; expectations from Docker's {@code truth/}. Screenshots go to {@code target/screenshots/}, and with
 * {@code -Dlayeratlas.screens=DIR} also there (the review's copies of the overview, a tag page and a layer page).
 */
class OperatorViewsBrowserTest {
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

    static void shot(Chromium browser, String name) {
        browser.screenshot(SHOTS, name);
        String extra = System.getProperty("layeratlas.screens");
        if (extra != null && !extra.isBlank()) {
            browser.screenshot(Path.of(extra), name);
        }
    }

    private List<String> texts(String css) {
        List<String> out = new ArrayList<>();
        driver.findElements(By.cssSelector(css)).forEach(e -> out.add(e.getText().strip()));
        return out;
    }

    private List<String> attrs(String css, String attr) {
        List<String> out = new ArrayList<>();
        driver.findElements(By.cssSelector(css)).forEach(e -> out.add(e.getAttribute(attr)));
        return out;
    }

    /** Point 9: every ID and host name on the page is one unbroken line box. */
    private void assertNothingWrapsInsideAnId() {
        Object wrapped = ((JavascriptExecutor) driver).executeScript("""
                var bad = [];
                document.querySelectorAll('a.mono, span.mono, a.hostid, #host-id, tr[data-host] > td:first-child > a').forEach(function (e) {
                  if (e.getClientRects().length > 1) { bad.push(e.textContent.trim()); }
                });
                return bad;""");
        assertThat((List<?>) wrapped).as("IDs broken over lines on " + driver.getCurrentUrl()).isEmpty();
    }

    @Test
    void point_1_the_home_page_is_a_fleet_overview_with_totals_stale_agents_and_the_change_feed_with_tags() throws Exception {
        open("/");
        JsonNode api = LayerApiTest.json(fleet.get("/api/v1/overview"));
        assertThat(driver.findElement(By.id("hosts-live")).getText())
                .isEqualTo((Fixtures.fleetMainHosts().size()) + " / " + (Fixtures.fleetMainHosts().size() + 1));
        assertThat(driver.findElement(By.id("hosts-stale")).getText()).isEqualTo("1 stale");
        assertThat(driver.findElement(By.id("images-shown")).getText()).isEqualTo(api.path("shownImages").asText());
        assertThat(driver.findElement(By.id("images-all")).getText()).isEqualTo(api.path("allImages").asText());
        assertThat(driver.findElement(By.id("bytes-stored")).getText())
                .isEqualTo(Fmt.bytes(api.path("totals").path("storedBytes").asLong()));
        assertThat(attrs("#stale-agents tbody tr", "data-host")).containsExactly(TestFleet.STALE_HOST);
        // web-01's arrival in the feed, with the tags Docker gave its images.
        WebElement web01 = driver.findElement(By.cssSelector("#change-feed tr[data-host='web-01'][data-subject='image']"));
        Set<String> tags = new TreeSet<>();
        DockerTruth.inspect("web-01").forEach(i -> tags.addAll(i.repoTags()));
        for (String tag : tags) {
            assertThat(web01.getText()).contains(tag);
        }
        assertThat(web01.getText()).contains("added " + DockerTruth.inspect("web-01").size() + " images");
        assertNothingWrapsInsideAnId();
        shot(browser, "overview");
    }

    @Test
    void point_2_a_host_hides_intermediate_images_until_all_is_switched_on_and_shows_digest_pulls_with_their_digest() {
        open("/hosts/build-01");
        assertThat(attrs("#host-images tbody tr", "data-image")).containsExactlyInAnyOrderElementsOf(DockerTruth.shown("build-01"));
        assertThat(driver.findElement(By.id("host-image-counts")).getText())
                .isEqualTo(DockerTruth.shown("build-01").size() + " shown, " + DockerTruth.inspect("build-01").size() + " with -a");
        driver.findElement(By.id("images-switch")).click();
        new WebDriverWait(driver, Duration.ofSeconds(10)).until(d -> d.getCurrentUrl().contains("all=true"));
        Set<String> all = new TreeSet<>();
        DockerTruth.inspect("build-01").forEach(i -> all.add(i.id()));
        assertThat(new TreeSet<>(attrs("#host-images tbody tr", "data-image"))).isEqualTo(all);
        shot(browser, "host-all-images");

        DockerTruth.Inspect byDigest = DockerTruth.inspect("batch-01").stream()
                .filter(i -> i.repoTags().isEmpty() && !i.repoDigests().isEmpty()).findFirst().orElseThrow();
        open("/hosts/batch-01");
        WebElement row = driver.findElement(By.cssSelector("#host-images tr[data-image='" + byDigest.id() + "']"));
        // Shown as name@sha256:<12 hex>…, the full repo digest in the title, as IDs are.
        assertThat(row.findElements(By.cssSelector(".by-digest")).stream().map(e -> e.getAttribute("title")).toList())
                .isEqualTo(byDigest.repoDigests());
        String first = byDigest.repoDigests().get(0);
        assertThat(row.findElement(By.cssSelector(".by-digest")).getText())
                .isEqualTo(first.substring(0, first.indexOf("@sha256:") + "@sha256:".length() + 12) + "…");
        // The layer page lists it under its digest too, not folded away as untagged.
        open("/layers/" + byDigest.diffIds().get(byDigest.diffIds().size() - 1));
        WebElement host = driver.findElement(By.cssSelector("#layer-hosts tr[data-host='batch-01']"));
        assertThat(host.findElements(By.cssSelector(".by-digest [title*='@sha256:']")).stream()
                .map(e -> e.getAttribute("title")).toList()).contains(first);
        assertNothingWrapsInsideAnId();
    }

    @Test
    void point_3_a_tag_page_groups_hosts_by_image_says_the_tag_names_two_and_that_the_legacy_one_is_the_same_content() {
        Map<String, Set<String>> truth = DockerTruth.hostsByImageForTag(WORKER);
        String modern = truth.keySet().iterator().next();
        open("/search?q=" + Fmt.param(WORKER));
        assertThat(driver.findElement(By.id("search-several-images")).getText()).contains("names 2 different images");
        driver.findElement(By.cssSelector("#search-several-images a")).click();
        new WebDriverWait(driver, Duration.ofSeconds(10)).until(ExpectedConditions.presenceOfElementLocated(By.id("tag-name")));
        assertThat(driver.getCurrentUrl()).endsWith("/tags/" + enc(WORKER));
        assertThat(driver.findElement(By.id("tag-several")).getText()).contains("2 different images");
        List<WebElement> sections = driver.findElements(By.cssSelector("section.tag-image"));
        assertThat(sections).hasSize(2);
        for (WebElement s : sections) {
            Set<String> hosts = new TreeSet<>();
            s.findElements(By.cssSelector("tbody tr")).forEach(r -> hosts.add(r.getAttribute("data-host")));
            assertThat(s.findElement(By.cssSelector(".host-count")).getText()).isEqualTo(String.valueOf(hosts.size()));
            if (s.getAttribute("data-image").equals(modern)) {
                assertThat(hosts).isEqualTo(truth.get(modern));
            } else {
                assertThat(hosts).isEqualTo(DockerTruth.legacyHostsWithTag(WORKER));
                assertThat(s.findElement(By.cssSelector(".same-content")).getText()).contains(Fmt.shortId(modern));
            }
        }
        assertNothingWrapsInsideAnId();
        shot(browser, "tag-page");
    }

    /** {@code docker ps -a} of a host, from truth: name → state. */
    private static Map<String, String> truthContainers(String host) throws Exception {
        Map<String, String> out = new java.util.TreeMap<>();
        Path p = Fixtures.truth(host).resolve("containers.jsonl");
        if (Files.exists(p)) {
            for (String line : Files.readAllLines(p)) {
                if (!line.isBlank()) {
                    JsonNode n = LayerApiTest.JSONM.readTree(line);
                    out.put(n.path("Names").asText(), n.path("State").asText());
                }
            }
        }
        return out;
    }

    @Test
    void point_4_host_image_and_layer_pages_show_which_containers_run_an_affected_image() throws Exception {
        for (String host : List.of("build-01", "web-01")) {
            Map<String, String> truth = truthContainers(host);
            assertThat(truth).as(host).isNotEmpty();
            open("/hosts/" + host);
            Map<String, String> shown = new java.util.TreeMap<>();
            for (WebElement row : driver.findElements(By.cssSelector("#host-containers tbody tr[data-container]"))) {
                shown.put(row.getAttribute("data-container"), row.findElements(By.tagName("td")).get(1).getText());
            }
            assertThat(shown).as(host).isEqualTo(truth);
        }
        // web-01's container runs shop/api:1.1 (truth: its Image column); the image's and its top layer's pages say so.
        String tag = "127.0.0.1:5055/shop/api:1.1";
        DockerTruth.Inspect api = DockerTruth.inspect("web-01").stream().filter(i -> i.repoTags().contains(tag))
                .findFirst().orElseThrow();
        Set<String> running = new TreeSet<>();
        for (String host : Fixtures.fleetMainHosts()) {
            Path p = Fixtures.truth(host).resolve("containers.jsonl");
            if (Files.exists(p)) {
                for (String line : Files.readAllLines(p)) {
                    if (!line.isBlank() && LayerApiTest.JSONM.readTree(line).path("Image").asText().equals(tag)) {
                        running.add(host);
                    }
                }
            }
        }
        assertThat(running).containsExactly("web-01");
        open("/images/" + api.id());
        assertThat(driver.findElement(By.cssSelector("#image-hosts tr[data-host='web-01'] .containers")).getText())
                .contains(truthContainers("web-01").keySet().iterator().next());
        open("/layers/" + api.diffIds().get(api.diffIds().size() - 1));
        for (WebElement row : driver.findElements(By.cssSelector("#layer-hosts tbody tr"))) {
            String host = row.getAttribute("data-host");
            List<String> names = new ArrayList<>();
            row.findElements(By.cssSelector(".container-line")).forEach(c -> names.add(c.getAttribute("data-container")));
            if (running.contains(host)) {
                assertThat(names).as(host).containsExactlyElementsOf(truthContainers(host).keySet());
            } else {
                assertThat(names).as(host).isEmpty();
                assertThat(row.findElement(By.cssSelector(".containers")).getText()).contains("unused images only");
            }
        }
        assertNothingWrapsInsideAnId();
        shot(browser, "layer-page-containers");
    }

    @Test
    void point_6_host_pages_show_docker_s_facts_and_the_labels_and_the_host_list_filters_by_label() throws Exception {
        // Truth: what `docker info` said on the host (info.json) and the labels the tests' agents were given.
        for (String host : List.of("web-01", "build-01")) {
            JsonNode info = LayerApiTest.JSONM.readTree(Fixtures.truth(host).resolve("info.json").toFile());
            open("/hosts/" + host);
            assertThat(driver.findElement(By.id("host-storage-driver")).getText()).as(host)
                    .isEqualTo(info.path("Driver").asText());
            assertThat(driver.findElement(By.id("host-data-root")).getText()).as(host)
                    .isEqualTo(Fixtures.dataRoot(host).toString());
            List<String> labels = new ArrayList<>();
            driver.findElements(By.cssSelector("#host-labels a.badge")).forEach(a -> labels.add(a.getText()));
            assertThat(labels).as(host).containsExactlyElementsOf(new java.util.TreeMap<>(FleetLoader.labelsOf(host))
                    .entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        }
        // A label on the host page leads to the hosts carrying it, exactly.
        open("/hosts/web-01");
        driver.findElement(By.xpath("//td[@id='host-labels']/a[text()='team=web']")).click();
        new WebDriverWait(driver, Duration.ofSeconds(10)).until(ExpectedConditions.urlContains("/hosts?label="));
        Set<String> listed = new TreeSet<>();
        driver.findElements(By.cssSelector("tr[data-host]")).forEach(r -> listed.add(r.getAttribute("data-host")));
        Set<String> want = new TreeSet<>();
        for (String host : Fixtures.fleetMainHosts()) {
            if ("web".equals(FleetLoader.labelsOf(host).get("team"))) {
                want.add(host);
            }
        }
        assertThat(listed).isEqualTo(want).isNotEmpty();
    }

    @Test
    void point_5_the_layer_page_shows_the_history_step_that_created_it_and_its_base_image_family() throws Exception {
        DockerTruth.Inspect worker = DockerTruth.inspect("build-01").stream()
                .filter(i -> i.repoTags().contains(WORKER)).findFirst().orElseThrow();
        JsonNode history = null;
        for (String line : Files.readAllLines(Fixtures.truth("build-01").resolve("api/history.jsonl"))) {
            JsonNode n = LayerApiTest.JSONM.readTree(line);
            if (n.path("id").asText().equals(worker.id())) {
                history = n.path("history");
            }
        }
        String topStep = null;
        for (JsonNode h : history) { // newest first: the first entry with a size made the top layer
            if (h.path("Size").asLong() > 0) {
                topStep = h.path("CreatedBy").asText();
                break;
            }
        }
        String top = worker.diffIds().get(worker.diffIds().size() - 1);
        open("/layers/" + top);
        assertThat(texts("#layer-origin .created-by-step")).containsExactly(topStep.strip());
        String root = LayerApiTest.json(fleet.get("/api/v1/layers/" + top + "/origin")).path("familyRoot").asText();
        assertThat(driver.findElement(By.cssSelector("#layer-family a.mono")).getAttribute("title")).isEqualTo(root);
        assertThat(driver.findElement(By.cssSelector("#layer-introduced a.mono")).getAttribute("title")).isEqualTo(worker.id());
        assertNothingWrapsInsideAnId();
        shot(browser, "layer-page");

        // A `docker import`ed image's only step has no command, just Docker's comment: the page says that, as
        // `docker history` does, instead of "unknown".
        JsonNode imported = null;
        String importedId = null;
        for (String line : Files.readAllLines(Fixtures.truth("build-01").resolve("api/history.jsonl"))) {
            JsonNode n = LayerApiTest.JSONM.readTree(line);
            if (n.path("history").size() == 1 && n.path("history").get(0).path("CreatedBy").asText().isEmpty()
                    && !n.path("history").get(0).path("Comment").asText().isEmpty()) {
                imported = n.path("history").get(0);
                importedId = n.path("id").asText();
            }
        }
        String importedIdFinal = importedId;
        DockerTruth.Inspect base = DockerTruth.inspect("build-01").stream().filter(i -> i.id().equals(importedIdFinal))
                .findFirst().orElseThrow();
        open("/layers/" + base.diffIds().get(0));
        assertThat(texts("#layer-origin .created-by-step")).containsExactly("no command");
        assertThat(texts("#layer-origin .created-by-comment")).containsExactly("comment: " + imported.path("Comment").asText());
    }

    @Test
    void point_7_a_pasted_and_an_uploaded_list_get_one_combined_answer() throws Exception {
        var shared = LayerApiTest.truthHostsByDiffId().entrySet().stream()
                .max((a, b) -> Integer.compare(a.getValue().size(), b.getValue().size())).orElseThrow();
        String tag = "127.0.0.1:5055/tools/cli:0.3";
        Set<String> expected = new TreeSet<>(shared.getValue().keySet());
        DockerTruth.hostsByImageForTag(tag).values().forEach(expected::addAll);
        expected.addAll(DockerTruth.legacyHostsWithTag(tag));
        open("/bulk");
        driver.findElement(By.id("bulk-items")).sendKeys(shared.getKey() + "\n" + "nobody/here:1");
        Path list = Files.createTempFile("layeratlas-bulk-", ".txt");
        try {
            Files.writeString(list, tag + "\n");
            driver.findElement(By.id("bulk-file")).sendKeys(list.toString());
            driver.findElement(By.id("bulk-submit")).click();
            new WebDriverWait(driver, Duration.ofSeconds(15)).until(ExpectedConditions.presenceOfElementLocated(By.id("bulk-hosts")));
        } finally {
            Files.delete(list);
        }
        assertThat(attrs("#bulk-item-list tbody tr", "data-item")).containsExactly(shared.getKey(), "nobody/here:1", tag);
        assertThat(driver.findElement(By.cssSelector("#bulk-item-list tr[data-item='nobody/here:1']")).getText()).contains("not answered");
        assertThat(attrs("#bulk-hosts tbody tr", "data-host")).containsExactlyElementsOf(expected);
        shot(browser, "bulk");
    }

    /** A newcomer's trial at 600 and 500 px: the overview's tables and the header's button ran off the page. */
    @Test
    void point_9_on_a_narrow_window_no_page_is_wider_than_the_window() {
        org.openqa.selenium.Dimension before = driver.manage().window().getSize();
        try {
            for (int width : new int[]{500, 700}) {
                driver.manage().window().setSize(new org.openqa.selenium.Dimension(width, 900));
                for (String page : List.of("/", "/hosts/build-01?all=true", "/hosts", "/reuse")) {
                    open(page);
                    JavascriptExecutor js = (JavascriptExecutor) driver;
                    long scroll = ((Number) js.executeScript("return document.documentElement.scrollWidth;")).longValue();
                    long inner = ((Number) js.executeScript("return document.documentElement.clientWidth;")).longValue();
                    Object wide = js.executeScript("var w=document.documentElement.clientWidth, out=[];"
                            + "document.querySelectorAll('body *').forEach(function(e){var r=e.getBoundingClientRect();"
                            + "if(r.right>w+1 && out.length<6) out.push(e.tagName+'.'+e.className+'#'+e.id+' '+Math.round(r.right));});"
                            + "return out.join(' | ');");
                    assertThat(scroll).as("%s at %d px: page width vs window; too wide: %s", page, width, wide)
                            .isLessThanOrEqualTo(inner);
                }
            }
        } finally {
            driver.manage().window().setSize(before);
        }
    }

    @Test
    void point_9_chart_axes_use_human_units_and_show_every_host_count() {
        open("/reuse");
        new WebDriverWait(driver, Duration.ofSeconds(15))
                .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#share-chart[data-rendered]")));
        JavascriptExecutor js = (JavascriptExecutor) driver;
        @SuppressWarnings("unchecked") List<Object> categories = (List<Object>) js.executeScript(
                "return echarts.getInstanceByDom(document.getElementById('share-chart')).getOption().xAxis[0].data;");
        int hosts = Fixtures.fleetMainHosts().size() + 1;
        List<Object> every = new ArrayList<>();
        for (int i = 1; i <= categories.size(); i++) {
            every.add(String.valueOf(i));
        }
        assertThat(categories).containsExactlyElementsOf(every).hasSizeLessThanOrEqualTo(hosts);
        for (long bytes : new long[]{35_000_000_000L, 1_980_000L, 512L, 12_345_678_901_234L}) {
            assertThat(js.executeScript("return layeratlasHumanBytes(arguments[0]);", bytes)).isEqualTo(Fmt.bytes(bytes));
        }
        assertNothingWrapsInsideAnId();
    }
}
