package io.layeratlas.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.layeratlas.db.Database;
import io.layeratlas.db.query.LayerQuery;
import io.layeratlas.db.index.IndexWriter;
import io.layeratlas.db.testing.FleetLoader;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.Heartbeat;
import io.layeratlas.events.LayerAtlasEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Read scale-out on PostgreSQL's own streaming replication: the indexer's write path fills a primary, a hot standby
 * replays it, and a dashboard that only knows the standby answers what truth says, with the replay lag in every
 * answer's freshness.
 */
class ReplicaTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void a_dashboard_on_a_hot_standby_answers_what_the_indexer_wrote_to_the_primary_with_the_replay_lag(@TempDir Path dir)
            throws Exception {
        try (EmbeddedPostgresServer.Replicated pg = EmbeddedPostgresServer.startReplicated(dir)) {
            String primaryUrl = pg.primary().createDatabase("fleet");
            String standbyUrl = "jdbc:postgresql://127.0.0.1:" + pg.standby().port() + "/fleet";
            Instant now = FleetLoader.clockAhead();
            try (Database primary = Database.migrateAndOpen(primaryUrl, pg.primary().user(), "", 2)) {
                new FleetLoader(primary, now).loadFleetMain(Set.of(TestFleet.STALE_HOST));
                await().atMost(Duration.ofSeconds(60)).until(() -> hostsOnStandby(standbyUrl) == 5);

                // A pool of 4, as the dashboard's default allows: an export reads its holders beside the rest on a second
                // connection, importing the export's snapshot (pg_export_snapshot works on a standby since PostgreSQL 10).
                try (Database standby = Database.open(standbyUrl, pg.standby().user(), "", 4, true)) {
                    Javalin app = Dashboard.create(DashboardConfig.defaults(), standby, Clock.fixed(now, ZoneOffset.UTC))
                            .start("127.0.0.1", 0);
                    try {
                        String base = "http://127.0.0.1:" + app.port();
                        var layer = LayerApiTest.truthHostsByDiffId().entrySet().stream()
                                .max((a, b) -> Integer.compare(a.getValue().size(), b.getValue().size())).orElseThrow();
                        JsonNode hosts = get(base + "/api/v1/layers/" + layer.getKey() + "/hosts");
                        List<String> ids = new ArrayList<>();
                        hosts.path("hosts").forEach(h -> ids.add(h.path("hostId").asText()));
                        assertThat(ids).containsExactlyElementsOf(layer.getValue().keySet());
                        JsonNode replica = hosts.path("freshness").path("replica");
                        assertThat(replica.isObject()).as("freshness names the standby: %s", hosts.path("freshness")).isTrue();
                        assertThat(replica.path("lastReplayAt").asText()).isNotEmpty();
                        assertThat(replica.path("replayLagSeconds").asDouble()).isGreaterThanOrEqualTo(0);
                        assertThat(hosts.path("freshness").path("staleHosts").toString()).contains(TestFleet.STALE_HOST);
                        long beside = LayerQuery.exportsWithHoldersBeside();
                        HttpResponse<String> csv = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/layers/"
                                + layer.getKey() + "/hosts.csv")).build(), HttpResponse.BodyHandlers.ofString());
                        assertThat(csv.statusCode()).as(csv.body()).isEqualTo(200);
                        assertThat(csv.body().lines().skip(1).map(l -> l.substring(0, l.indexOf(','))).toList())
                                .containsExactlyElementsOf(layer.getValue().keySet());
                        assertThat(LayerQuery.exportsWithHoldersBeside() - beside).as("holders read beside, on the standby")
                                .isEqualTo(1);

                        // A later write on the primary reaches the dashboard through the standby: the stale host reports.
                        new IndexWriter(primary).inTransaction(tx -> {
                            tx.apply(new Heartbeat(LayerAtlasEvent.SCHEMA_VERSION, TestFleet.STALE_HOST,
                                    now.minus(Duration.ofMinutes(1)), "0.1.0-test", 1, 30));
                            return null;
                        });
                        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                                get(base + "/api/v1/hosts/" + TestFleet.STALE_HOST).path("status").path("stale").asBoolean())
                                .isFalse());
                        String page = http.send(HttpRequest.newBuilder(URI.create(base + "/hosts/" + TestFleet.STALE_HOST))
                                .build(), HttpResponse.BodyHandlers.ofString()).body();
                        assertThat(page).contains("id=\"replica\"", "Read from a standby");
                    } finally {
                        app.stop();
                    }
                }
            }
        }
    }

    private static int hostsOnStandby(String url) {
        try (var c = DriverManager.getConnection(url, "postgres", ""); var s = c.createStatement();
             var rs = s.executeQuery("SELECT count(*) FROM hosts")) {
            rs.next();
            return rs.getInt(1);
        } catch (java.sql.SQLException notYet) {
            return -1; // the database or the schema has not been replayed yet
        }
    }

    private JsonNode get(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(200);
        return LayerApiTest.JSONM.readTree(r.body());
    }
}
