package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.Freshness;
import io.layeratlas.db.query.HostQuery;

import java.util.List;
import java.util.Map;

/**
 * {@code /hosts}, {@code /hosts/{hostId}} and their API twins. {@code ?sort=} and {@code ?desc=true} order the list;
 * {@code ?cursor=} (the list) or {@code images_cursor}, {@code layers_cursor}, {@code changes_cursor} (one host's
 * lists) and {@code ?limit=} page them.
 */
final class HostHandlers {
    private final HostQuery query;
    private final Pages pages;

    HostHandlers(HostQuery query, Pages pages) {
        this.query = query;
        this.pages = pages;
    }

    /**
     * The JSON of {@code /api/v1/hosts}: one page.
     *
     * @param total    every page's hosts
     * @param next     cursor of the next page ({@code ?cursor=}, same sort), null on the last
     * @param previous cursor of the previous page, null on the first
     */
    record ListAnswer(List<HostQuery.HostSummary> hosts, long total, int limit, String next, String previous,
                      Freshness freshness) {
    }

    void listApi(Context ctx) {
        HostQuery.HostList list = list(ctx);
        ctx.jsonStream(new ListAnswer(list.hosts(), list.page().total(), list.page().limit(), list.page().next(),
                list.page().previous(), list.freshness()));
    }

    void listPage(Context ctx) {
        HostQuery.Sort sort = HostQuery.Sort.parse(ctx.queryParam("sort"));
        HostQuery.HostList list = list(ctx);
        pages.render(ctx, "hosts.jte", Map.of("list", list, "sort", sort, "desc", descending(ctx),
                "pager", Pager.of(ctx, "hosts", "cursor", list.hosts().size(), list.page())));
    }

    void api(Context ctx) {
        ctx.jsonStream(detail(ctx));
    }

    void page(Context ctx) {
        HostQuery.HostDetail host = detail(ctx);
        pages.render(ctx, "host.jte", Map.of("host", host,
                "imagesPager", Pager.of(ctx, "host-images", "images_cursor", host.images().size(), host.imagesPage()),
                "layersPager", Pager.of(ctx, "host-layers", "layers_cursor", host.layers().size(), host.layersPage()),
                "changesPager", Pager.of(ctx, "host-changes", "changes_cursor", host.changes().size(), host.changesPage())));
    }

    private HostQuery.HostDetail detail(Context ctx) {
        return query.detail(ctx.pathParam("hostId"), new HostQuery.DetailPages(Pager.request(ctx, "images_cursor"),
                Pager.request(ctx, "layers_cursor"), Pager.request(ctx, "changes_cursor"), Params.bool(ctx, "all", false)));
    }

    private HostQuery.HostList list(Context ctx) {
        return query.list(HostQuery.Sort.parse(ctx.queryParam("sort")), descending(ctx), Pager.request(ctx, "cursor"),
                Pager.labels(ctx));
    }

    private static boolean descending(Context ctx) {
        return Params.bool(ctx, "desc", false);
    }
}
