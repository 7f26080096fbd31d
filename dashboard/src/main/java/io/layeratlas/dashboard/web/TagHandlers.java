package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.TagQuery;

import java.util.Map;

/**
 * {@code /tags/{name}} and {@code /api/v1/tags/{name}}: every host holding an image under a repository or
 * {@code repo:tag}, grouped by image ID. The name's slashes travel URL-encoded ({@code shop%2Fapi:1.1}).
 */
final class TagHandlers {
    private final TagQuery query;
    private final Pages pages;

    TagHandlers(TagQuery query, Pages pages) {
        this.query = query;
        this.pages = pages;
    }

    void api(Context ctx) {
        ctx.jsonStream(query.byName(ctx.pathParam("name")));
    }

    void page(Context ctx) {
        pages.render(ctx, "tag.jte", Map.of("tag", query.byName(ctx.pathParam("name"))));
    }
}
