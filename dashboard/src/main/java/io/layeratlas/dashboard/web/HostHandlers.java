package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.HostQuery;

import java.util.Map;

/** {@code /hosts}, {@code /hosts/{hostId}} and their API twins. {@code ?sort=} and {@code ?desc=true} order the list. */
final class HostHandlers {
    private final HostQuery query;
    private final Pages pages;

    HostHandlers(HostQuery query, Pages pages) {
        this.query = query;
        this.pages = pages;
    }

    void listApi(Context ctx) {
        ctx.json(list(ctx));
    }

    void listPage(Context ctx) {
        HostQuery.Sort sort = HostQuery.Sort.parse(ctx.queryParam("sort"));
        pages.render(ctx, "hosts.jte", Map.of("list", list(ctx), "sort", sort, "desc", descending(ctx)));
    }

    void api(Context ctx) {
        ctx.json(query.detail(ctx.pathParam("hostId")));
    }

    void page(Context ctx) {
        pages.render(ctx, "host.jte", Map.of("host", query.detail(ctx.pathParam("hostId"))));
    }

    private HostQuery.HostList list(Context ctx) {
        return query.list(HostQuery.Sort.parse(ctx.queryParam("sort")), descending(ctx));
    }

    private static boolean descending(Context ctx) {
        return "true".equalsIgnoreCase(ctx.queryParam("desc"));
    }
}
