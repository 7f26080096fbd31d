package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.ImageQuery;

import java.util.Map;

/** {@code /images/{id}} and {@code /api/v1/images/{id}}; {@code ?hosts_cursor=} and {@code ?limit=} page its hosts. */
final class ImageHandlers {
    private final ImageQuery query;
    private final Pages pages;

    ImageHandlers(ImageQuery query, Pages pages) {
        this.query = query;
        this.pages = pages;
    }

    void api(Context ctx) {
        ctx.json(query.detail(ctx.pathParam("id"), Pager.request(ctx, "hosts_cursor"), Pager.labels(ctx)));
    }

    void page(Context ctx) {
        ImageQuery.ImageDetail image = query.detail(ctx.pathParam("id"), Pager.request(ctx, "hosts_cursor"), Pager.labels(ctx));
        if (!image.imageId().equals(ctx.pathParam("id"))) {
            ctx.redirect(Links.image(image.imageId()));
            return;
        }
        pages.render(ctx, "image.jte", Map.of("image", image,
                "hostsPager", Pager.of(ctx, "image-hosts", "hosts_cursor", image.hosts().size(), image.hostsPage())));
    }
}
