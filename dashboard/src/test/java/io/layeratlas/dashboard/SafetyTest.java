package io.layeratlas.dashboard;

import io.layeratlas.dashboard.web.Fmt;
import io.layeratlas.db.Database;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.util.Base64;
import java.util.List;

import static io.layeratlas.dashboard.LayerApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

class SafetyTest {
    private final TestFleet fleet = TestFleet.get();

    @Test
    void hostile_host_ids_tags_labels_and_commands_are_escaped_on_every_page() {
        var h = fleet.hostile;
        for (String path : List.of("/images/" + h.imageId(), "/hosts/" + Fmt.path(h.hostId()), "/hosts",
                "/layers/" + h.diffId(), "/search?q=" + Fmt.param("evil/<script>"))) {
            HttpResponse<String> r = fleet.get(path);
            assertThat(r.statusCode()).as(path).isIn(200, 404); // the search echoes the hostile text in its 404 page
            assertThat(r.body()).as(path)
                    .doesNotContain("<script>alert")
                    .doesNotContain("<img src=x")
                    .doesNotContain("<b>host</b>")
                    .doesNotContain("</td><script>");
            assertThat(r.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(v -> assertThat(v).contains("script-src 'self'"));
        }
        String image = fleet.get("/images/" + h.imageId()).body();
        assertThat(image).contains("&lt;/td&gt;&lt;script&gt;alert(").contains("&lt;img src=x onerror=alert(1)&gt;");
        assertThat(image).doesNotContain(h.longValue()).as("very long values are cut on the page");
    }

    @Test
    void hostile_values_come_back_intact_in_json_and_defused_in_csv() throws Exception {
        var h = fleet.hostile;
        var image = json(fleet.get("/api/v1/images/" + h.imageId()));
        assertThat(image.path("config").path("labels").path(h.labelKey()).asText()).isEqualTo(h.labelValue());
        assertThat(image.path("config").path("labels").path("very.long").asText()).isEqualTo(h.longValue());
        String csv = fleet.get("/api/v1/layers/" + h.diffId() + "/hosts.csv").body();
        assertThat(csv.lines().skip(1).findFirst().orElseThrow()).startsWith("\"evil-\"\"<b>host</b>'\"");
    }

    @Test
    void errors_never_echo_a_stack_trace_and_echo_long_input_shortened() {
        HttpResponse<String> r = fleet.get("/api/v1/search?q=" + "x".repeat(600));
        assertThat(r.statusCode()).isEqualTo(400);
        HttpResponse<String> longHex = fleet.get("/api/v1/images/" + "a".repeat(300));
        assertThat(longHex.statusCode()).isEqualTo(400);
        assertThat(longHex.body()).doesNotContain("a".repeat(100)).doesNotContain("at io.");
    }

    @Test
    void with_a_token_configured_requests_without_it_are_401_and_with_it_answer() throws Exception {
        var app = Dashboard.create(DashboardConfig.defaults().withBearerToken("s3cret-token").withBasicAuth("ops", "pw"),
                fleet.database, fleet.clock).start("127.0.0.1", 0);
        try {
            String base = "http://127.0.0.1:" + app.port();
            var http = java.net.http.HttpClient.newHttpClient();
            java.util.function.BiFunction<String, String, HttpResponse<String>> get = (path, auth) -> {
                try {
                    var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + path));
                    if (auth != null) {
                        b.header("Authorization", auth);
                    }
                    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            assertThat(get.apply("/api/v1/hosts", null).statusCode()).isEqualTo(401);
            assertThat(get.apply("/api/v1/hosts", null).headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
            assertThat(get.apply("/", "Bearer wrong").statusCode()).isEqualTo(401);
            assertThat(get.apply("/api/v1/hosts", "Bearer s3cret-token").statusCode()).isEqualTo(200);
            String basic = "Basic " + Base64.getEncoder().encodeToString("ops:pw".getBytes());
            assertThat(get.apply("/hosts", basic).statusCode()).isEqualTo(200);
            assertThat(get.apply("/healthz", null).statusCode()).isEqualTo(200);
            assertThat(DashboardConfig.defaults().withBearerToken("s3cret-token").withBasicAuth("ops", "pw").toString())
                    .doesNotContain("s3cret").doesNotContain(":pw");
        } finally {
            app.stop();
        }
    }

    @Test
    void the_dashboard_answers_through_the_read_only_role_which_cannot_write() throws Exception {
        try (Connection c = fleet.database.dataSource().getConnection(); var s = c.createStatement();
             var in = SafetyTest.class.getResourceAsStream("/db/roles/dashboard-readonly.sql")) {
            s.execute(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dashboard_reader') THEN "
                    + "CREATE ROLE dashboard_reader LOGIN IN ROLE layeratlas_readonly; END IF; END $$");
        }
        try (Database ro = Database.open(fleet.jdbcUrl, "dashboard_reader", "", 2, true)) {
            var app = Dashboard.create(DashboardConfig.defaults(), ro, fleet.clock).start("127.0.0.1", 0);
            try {
                var http = java.net.http.HttpClient.newHttpClient();
                for (String path : List.of("/api/v1/reuse", "/api/v1/hosts", "/api/v1/hosts/web-01", "/reuse", "/hosts")) {
                    var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + app.port() + path)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(path).isEqualTo(200);
                }
            } finally {
                app.stop();
            }
            try (Connection c = ro.dataSource().getConnection(); var s = c.createStatement()) {
                c.setReadOnly(false);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.executeUpdate("DELETE FROM host_changes"))
                        .hasMessageContaining("permission denied");
            }
        }
    }
}
