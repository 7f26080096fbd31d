package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.ImageQuery;

import java.util.Map;

/** {@code /images/{id}} and {@code /api/v1/images/{id}}. */
final class ImageHandlers {
    private final ImageQuery query;
    private final Pages pages;

    ImageHandlers(ImageQuery query, Pages pages) {
        this.query = query;
        this.pages = pages;
    }

    void api(Context ctx) {
        ctx.json(query.detail(ctx.pathParam("id")));
    }

    void page(Context ctx) {
        ImageQuery.ImageDetail image = query.detail(ctx.pathParam("id"));
        if (!image.imageId().equals(ctx.pathParam("id"))) {
            ctx.redirect(Links.image(image.imageId()));
            return;
        }
        pages.render(ctx, "image.jte", Map.of("image", image));
    }
}
