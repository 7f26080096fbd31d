package io.layeratlas.dashboard;

import io.javalin.Javalin;
import io.layeratlas.dashboard.testing.Chromium;
import io.layeratlas.db.Database;
import io.layeratlas.db.testing.FleetLoader;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16, points 1 and 9, on indexes of their own (the shared fleet must stay as it is): an empty index shows how to
 * add agents; a fleet whose reports lie in the dashboard's future (its clock an hour behind the agents' and the
 * database's) says "clock skew", never "just now".
 */
class OverviewEdgesBrowserTest {
    private static EmbeddedPostgresServer postgres;
    private static Chromium browser;

    @BeforeAll
    static void start() {
        postgres = EmbeddedPostgresServer.startTemporary();
        browser = Chromium.start();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    private static Javalin dashboard(Database db, Clock clock) {
        return Dashboard.create(DashboardConfig.defaults(), db, clock).start("127.0.0.1", 0);
    }

    @Test
    void an_empty_index_shows_the_agent_command_to_run() {
        try (Database db = Database.migrateAndOpen(postgres.createDatabase("empty"), postgres.user(), "", 2)) {
            Javalin app = dashboard(db, Clock.systemUTC());
            try {
                browser.driver().get("http://127.0.0.1:" + app.port() + "/");
                assertThat(browser.driver().findElement(By.id("agent-command")).getText())
                        .isEqualTo("layeratlas agent --bootstrap-servers KAFKA_HOST:9092 --source /var/lib/docker");
                assertThat(browser.driver().findElements(By.id("overview-totals"))).isEmpty();
                OperatorViewsBrowserTest.shot(browser, "overview-empty");
            } finally {
                app.stop();
            }
        }
    }

    @Test
    void reports_from_the_future_are_flagged_as_clock_skew() {
        try (Database db = Database.migrateAndOpen(postgres.createDatabase("skewed"), postgres.user(), "", 2)) {
            // Agents (and the database) an hour ahead of the dashboard: heartbeats arrive "from the future".
            new FleetLoader(db, Instant.now().plus(Duration.ofHours(1))).loadFleetMain(Set.of());
            Javalin app = dashboard(db, Clock.fixed(Instant.now().minus(Duration.ofHours(1)), ZoneOffset.UTC));
            try {
                browser.driver().get("http://127.0.0.1:" + app.port() + "/hosts/web-01");
                String agent = browser.driver().findElement(By.id("host-agent")).getText();
                assertThat(agent).contains("in the future (clock skew)").doesNotContain("just now");
                assertThat(browser.driver().findElement(By.id("freshness")).getText()).contains("in the future (clock skew)");
                OperatorViewsBrowserTest.shot(browser, "host-clock-skew");
            } finally {
                app.stop();
            }
        }
    }
}
