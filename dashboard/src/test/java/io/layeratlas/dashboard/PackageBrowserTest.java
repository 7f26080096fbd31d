package io.layeratlas.dashboard;

import io.javalin.Javalin;
import io.layeratlas.dashboard.testing.Chromium;
import io.layeratlas.db.Database;
import io.layeratlas.db.index.IndexWriter;
import io.layeratlas.db.testing.DebianLayers;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.LayerAtlasEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15's "done when", in a real headless Chromium: an operator types {@code openssl<VERSION} in the search box and
 * gets exactly the hosts holding an image whose packages have a matching openssl. The index is filled through the
 * write path with real Debian layers (mmdebstrap's bookworm and trixie roots, {@link DebianLayers}); which hosts are
 * right comes from {@code dpkg-query} and {@code dpkg --compare-versions}.
 */
class PackageBrowserTest {
    private static final Path SHOTS = Path.of("target/screenshots");
    @TempDir
    static Path work;
    private static EmbeddedPostgresServer postgres;
    private static Database database;
    private static Javalin app;
    private static String base;
    private static DebianLayers.Fleet fleet;
    private static Chromium browser;
    private static ChromeDriver driver;

    @BeforeAll
    static void start() throws Exception {
        fleet = DebianLayers.fleet(work);
        postgres = EmbeddedPostgresServer.startTemporary();
        database = Database.migrateAndOpen(postgres.createDatabase("packages"), postgres.user(), "", 4);
        IndexWriter writer = new IndexWriter(database);
        for (LayerAtlasEvent e : fleet.events()) {
            writer.inTransaction(tx -> {
                tx.apply(e);
                return null;
            });
        }
        app = Dashboard.create(DashboardConfig.defaults(), database,
                Clock.fixed(DebianLayers.READ_AT, ZoneOffset.UTC)).start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + app.port();
        browser = Chromium.start();
        driver = browser.driver();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (app != null) {
            app.stop();
        }
        if (database != null) {
            database.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void searching_openssl_below_a_version_lists_exactly_the_hosts_holding_such_an_image() throws Exception {
        // A bound between bookworm's openssl and trixie's, so the answer is some hosts and not others.
        String bound = "3.1";
        Set<String> want = fleet.hostsHolding(fleet.imagesWhere("openssl", "lt", bound));
        assertThat(want).isNotEmpty().hasSizeLessThan(fleet.hosts().size());

        driver.get(base + "/");
        driver.findElement(By.id("home-q")).sendKeys("openssl<" + bound, Keys.ENTER);
        new WebDriverWait(driver, Duration.ofSeconds(10)).until(ExpectedConditions.presenceOfElementLocated(By.id("package-hosts")));
        assertThat(driver.getCurrentUrl()).contains("/packages?q=");
        Set<String> hosts = new TreeSet<>();
        for (WebElement row : driver.findElements(By.cssSelector("#package-hosts tbody tr"))) {
            hosts.add(row.getAttribute("data-host"));
        }
        assertThat(hosts).isEqualTo(want);
        assertThat(driver.findElement(By.id("package-host-count")).getText()).isEqualTo(String.valueOf(want.size()));
        browser.screenshot(SHOTS, "20-packages");

        // The CSV export the page links to has the same hosts.
        String csvHref = driver.findElement(By.cssSelector("a[href*='/api/v1/packages/hosts.csv']")).getAttribute("href");
        HttpResponse<String> csv = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(csvHref)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(csv.statusCode()).isEqualTo(200);
        Set<String> csvHosts = new TreeSet<>();
        csv.body().lines().skip(1).forEach(l -> csvHosts.add(l.split(",")[0]));
        assertThat(csvHosts).isEqualTo(want);
    }

    @Test
    void the_image_page_lists_the_packages_dpkg_query_lists_and_the_layer_that_brought_them() {
        ImageConfigEvent image = fleet.images().get("shop/api:2.0");
        DebianLayers.Layer top = fleet.topStatus().get("shop/api:2.0");
        driver.get(base + "/images/" + image.imageId());
        List<String> names = new ArrayList<>();
        for (WebElement row : driver.findElements(By.cssSelector("#image-packages tbody tr"))) {
            names.add(row.getAttribute("data-package"));
            assertThat(row.findElement(By.cssSelector("a[href^='/layers/']")).getAttribute("title"))
                    .isEqualTo(top.diffId().toString());
        }
        assertThat(names).containsExactlyInAnyOrderElementsOf(top.packages().stream().map(p -> p.name()).toList());
        browser.screenshot(SHOTS, "21-image-packages");
    }

    /** The user trial of issue 15: {@code openssl<3.0.8} found nothing on trixie images and did not say why. */
    @Test
    void a_range_no_image_matches_says_so_and_lists_the_versions_the_fleet_has() {
        driver.get(base + "/packages?q=" + java.net.URLEncoder.encode("openssl<1", java.nio.charset.StandardCharsets.UTF_8));
        assertThat(driver.findElement(By.id("package-empty-why")).getText()).contains("at no version that matches");
        List<String> others = new ArrayList<>();
        for (WebElement row : driver.findElements(By.cssSelector("#package-other-versions tbody tr"))) {
            List<WebElement> cells = row.findElements(By.tagName("td"));
            others.add(cells.get(1).getText() + " " + cells.get(2).getText());
        }
        assertThat(others).contains("openssl " + fleet.bookworm().version("openssl"), "openssl " + fleet.trixie().version("openssl"));

        driver.get(base + "/packages?q=no-such-package");
        assertThat(driver.findElement(By.id("package-empty-why")).getText())
                .contains("lists a package or a source package named no-such-package");
        assertThat(driver.findElements(By.id("package-other-versions"))).isEmpty();
    }

    @Test
    void a_malformed_range_is_a_clear_400() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(base + "/api/v1/packages?q=openssl%3E%3D1,,%3C2")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("empty version constraint at character 12");
    }
}
