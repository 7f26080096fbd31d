package io.layeratlas.dashboard.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.staticfiles.Location;
import io.layeratlas.dashboard.DashboardConfig;
import io.layeratlas.db.query.BulkQuery;
import io.layeratlas.db.query.FleetQuery;
import io.layeratlas.db.query.Freshness;
import io.layeratlas.db.query.HostQuery;
import io.layeratlas.db.query.ImageQuery;
import io.layeratlas.db.query.PackageQuery;
import io.layeratlas.db.query.LayerQuery;
import io.layeratlas.db.query.ReuseQuery;
import io.layeratlas.db.query.SearchQuery;
import io.layeratlas.db.query.TagQuery;

import javax.sql.DataSource;
import java.time.Clock;
import java.time.Duration;

/** Wires query services, handlers, access control, error mapping and static assets into one Javalin app. */
public final class WebApp {
    /**
     * How old a reuse answer may be before the next one is computed (in the background): the page sums the whole
     * index, so its views share one computation every few seconds instead of paying for one each.
     */
    static final Duration REUSE_MAX_AGE = Duration.ofSeconds(5);

    private WebApp() {
    }

    /** See {@link io.layeratlas.dashboard.Dashboard#create}. */
    public static Javalin create(DashboardConfig config, DataSource dataSource, Clock clock) {
        ObjectMapper mapper = ApiJson.mapper();
        Freshness.Policy policy = new Freshness.Policy(clock, config.staleAfter());
        Pages pages = new Pages();
        Auth auth = new Auth(config);
        var reuseQuery = new ReuseQuery(dataSource, policy, REUSE_MAX_AGE);
        var layers = new LayerHandlers(new LayerQuery(dataSource, policy), pages, mapper);
        var search = new SearchHandlers(new SearchQuery(dataSource), pages);
        var reuse = new ReuseHandlers(reuseQuery, pages, mapper);
        var tagQuery = new TagQuery(dataSource, policy);
        var imageQuery = new ImageQuery(dataSource, policy);
        var hostQuery = new HostQuery(dataSource, policy);
        PackageQuery packageQuery = new PackageQuery(dataSource, policy);
        var images = new ImageHandlers(imageQuery, packageQuery, tagQuery, pages);
        var packages = new PackageHandlers(packageQuery, imageQuery, pages, mapper);
        var tags = new TagHandlers(tagQuery, pages);
        var bulk = new BulkHandlers(new BulkQuery(new LayerQuery(dataSource, policy), imageQuery, tagQuery), pages);
        var overview = new OverviewHandlers(new FleetQuery(dataSource, policy), reuseQuery, hostQuery, pages);
        var hosts = new HostHandlers(hostQuery, pages);

        Javalin app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.jsonMapper(ApiJson.javalin(mapper));
            c.staticFiles.enableWebjars();
            c.staticFiles.add(s -> {
                s.hostedPath = "/static";
                s.directory = "/io/layeratlas/dashboard/static";
                s.location = Location.CLASSPATH;
            });
            c.http.prefer405over404 = false;
            c.jetty.modifyServer(server -> server.setErrorHandler(new ServerErrors()));
            // A repo:tag in a path carries its slashes encoded (/api/v1/images/shop%2Fapi:1.1); Jetty 11 refuses an
            // encoded slash as an ambiguous path separator unless told otherwise. Routes match on the raw path and
            // decode each parameter themselves, so an encoded slash cannot reach another route.
            c.jetty.modifyHttpConfiguration(http -> http.setUriCompliance(
                    org.eclipse.jetty.http.UriCompliance.DEFAULT.with("layeratlas",
                            org.eclipse.jetty.http.UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR)));
        });
        app.before(ctx -> {
            ctx.header("X-Content-Type-Options", "nosniff");
            ctx.header("X-Frame-Options", "DENY");
            ctx.header("Referrer-Policy", "no-referrer");
            // No inline script anywhere: a value from a host that slipped past escaping still could not run.
            ctx.header("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                    + "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
            auth.check(ctx);
            // In a plain before-handler, not a before-matched one: Javalin runs Jetty's resource lookup for every path
            // no route takes as soon as any before-matched handler exists, outside the exception mapping.
            RequestChecks.checkPath(ctx);
            RequestChecks.check(ctx);
        });
        ErrorMapping.register(app, pages);
        app.get("/healthz", ctx -> ctx.result("ok"));

        app.get("/", overview::page);
        app.get("/api/v1/overview", overview::api);
        app.get("/tags/{name}", tags::page);
        app.get("/api/v1/tags/{name}", tags::api);
        app.get("/bulk", bulk::form);
        app.post("/bulk", bulk::page);
        app.post("/api/v1/bulk", bulk::api);
        app.post("/api/v1/bulk.csv", bulk::csv);
        app.get("/search", search::page);
        app.get("/api/v1/search", search::api);

        app.get("/layers/{digest}", layers::page);
        app.get("/api/v1/layers/{digest}", layers::api);
        app.get("/api/v1/layers/{digest}/hosts", layers::hostsApi);
        app.get("/api/v1/layers/{digest}/origin", layers::originApi);
        app.get("/api/v1/layers/{digest}/hosts.csv", layers::hostsCsv);
        app.get("/api/v1/layers/{digest}/hosts.json", layers::hostsJson);

        app.get("/reuse", reuse::page);
        app.get("/api/v1/reuse", reuse::api);

        app.get("/images/{id}", images::page);
        app.get("/api/v1/images/{id}", images::api);
        app.get("/api/v1/images/{id}/packages", packages::imageApi);

        app.get("/packages", packages::page);
        app.get("/api/v1/packages", packages::api);
        app.get("/api/v1/packages/hosts.csv", packages::exportCsv);
        app.get("/api/v1/packages/hosts.json", packages::exportJson);

        app.get("/hosts", hosts::listPage);
        app.get("/api/v1/hosts", hosts::listApi);
        app.get("/hosts/{hostId}", hosts::page);
        app.get("/api/v1/hosts/{hostId}", hosts::api);

        app.get("/api/v1/openapi.json", ctx -> {
            ctx.contentType("application/json");
            ctx.result(WebApp.class.getResourceAsStream("/io/layeratlas/dashboard/openapi.json"));
        });
        return app;
    }
}
