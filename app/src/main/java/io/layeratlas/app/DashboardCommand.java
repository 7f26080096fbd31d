package io.layeratlas.app;

import io.layeratlas.agent.DurationConverter;
import io.javalin.Javalin;
import io.layeratlas.dashboard.DashboardConfig;
import io.layeratlas.dashboard.Dashboard;
import io.layeratlas.db.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code layeratlas dashboard}: serves the pages and the JSON API from PostgreSQL; needs only read access. */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = {"Serve the dashboard and the JSON API (/api/v1/…, described at /api/v1/openapi.json).",
                "Needs only read access to the database: give it the read-only role."})
final class DashboardCommand implements Callable<Integer> {
    @Mixin
    DatabaseOptions database;

    @Mixin
    DatabaseTimeoutOptions databaseTimeouts;

    @Option(names = "--port", defaultValue = "${env:LAYERATLAS_PORT:-7070}",
            description = "HTTP port. Env: LAYERATLAS_PORT. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--stale-after", converter = DurationConverter.class,
            defaultValue = "${env:LAYERATLAS_STALE_AFTER:-5m}",
            description = "A host without a heartbeat for this long is shown as stale. Env: LAYERATLAS_STALE_AFTER. "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration staleAfter;

    @Option(names = "--auth-token", defaultValue = "${env:LAYERATLAS_AUTH_TOKEN}",
            description = "Require this bearer token (Authorization: Bearer …) on every request but /healthz. "
                    + "Env: LAYERATLAS_AUTH_TOKEN. Default: none.")
    String authToken;

    @Option(names = "--basic-auth", paramLabel = "USER:PASSWORD", defaultValue = "${env:LAYERATLAS_BASIC_AUTH}",
            description = "Require HTTP basic auth with these credentials. Env: LAYERATLAS_BASIC_AUTH. Default: none.")
    String basicAuth;

    @Override
    public Integer call() throws Exception {
        try (Database db = Database.open(database.url, database.user, database.password, database.poolSize, true,
                databaseTimeouts.timeouts())) {
            DashboardConfig config = DashboardConfig.defaults().withPort(port).withStaleAfter(staleAfter);
            if (authToken != null && !authToken.isBlank()) {
                config = config.withBearerToken(authToken);
            }
            if (basicAuth != null && !basicAuth.isBlank()) {
                int colon = basicAuth.indexOf(':');
                if (colon <= 0) {
                    throw new IllegalArgumentException("--basic-auth takes USER:PASSWORD");
                }
                config = config.withBasicAuth(basicAuth.substring(0, colon), basicAuth.substring(colon + 1));
            }
            Javalin app = Dashboard.create(config, db).start(port);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                app.stop();
                stopped.countDown();
            }, "dashboard-shutdown"));
            System.out.println("dashboard: http://localhost:" + app.port() + "/");
            stopped.await();
            return 0;
        }
    }
}
