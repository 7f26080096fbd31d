package io.layeratlas.dashboard;

import io.javalin.Javalin;
import io.layeratlas.db.Database;
import io.layeratlas.db.testing.FleetLoader;
import io.layeratlas.embedded.EmbeddedPostgresServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;

/**
 * One PostgreSQL with fleet-main indexed through the indexer's write path (legacy-01 stale) plus the hostile host, and one dashboard over it,
 * shared by the test classes of this JVM: the index is read-only for the dashboard, so sharing is safe and
 * saves a database start per class.
 */
final class TestFleet {
    /** The stale host of the test fleet. */
    static final String STALE_HOST = "legacy-01";

    private static TestFleet instance;

    final EmbeddedPostgresServer postgres;
    final String jdbcUrl;
    final Database database;
    final Clock clock;
    final FleetLoader.Hostile hostile;
    final Javalin app;
    final String base;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    private TestFleet() {
        postgres = EmbeddedPostgresServer.startTemporary();
        jdbcUrl = postgres.createDatabase("fleet");
        database = Database.migrateAndOpen(jdbcUrl, postgres.user(), "", 4);
        Instant now = FleetLoader.clockAhead();
        clock = Clock.fixed(now, ZoneOffset.UTC);
        FleetLoader loader = new FleetLoader(database, now);
        loader.loadFleetMain(Set.of(STALE_HOST));
        hostile = loader.loadHostileHost();
        app = Dashboard.create(DashboardConfig.defaults(), database, clock).start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + app.port();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.stop();
            database.close();
            postgres.close();
        }));
    }

    static synchronized TestFleet get() {
        if (instance == null) {
            instance = new TestFleet();
        }
        return instance;
    }

    HttpResponse<String> get(String path) {
        return get(path, null);
    }

    HttpResponse<String> get(String path, String authorization) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET();
            if (authorization != null) {
                b.header("Authorization", authorization);
            }
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
