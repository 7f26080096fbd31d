package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.ImageQuery;
import io.layeratlas.db.query.PackageQuery;

import java.util.Map;

/** {@code /images/{id}} and {@code /api/v1/images/{id}}; {@code ?hosts_cursor=}, {@code ?children_cursor=}
 * and {@code ?limit=} page its hosts and its children. */
final class ImageHandlers {
    private final ImageQuery query;
    private final PackageQuery packages;
    private final Pages pages;

    ImageHandlers(ImageQuery query, PackageQuery packages, Pages pages) {
        this.query = query;
        this.packages = packages;
        this.pages = pages;
    }

    void api(Context ctx) {
        ctx.json(query.detail(ctx.pathParam("id"), Pager.request(ctx, "hosts_cursor"), Pager.request(ctx, "children_cursor")));
    }

    void page(Context ctx) {
        ImageQuery.ImageDetail image = query.detail(ctx.pathParam("id"), Pager.request(ctx, "hosts_cursor"),
                Pager.request(ctx, "children_cursor"));
        if (!image.imageId().equals(ctx.pathParam("id"))) {
            ctx.redirect(Links.image(image.imageId()));
            return;
        }
        pages.render(ctx, "image.jte", Map.of("image", image, "packages", packages.ofImage(image.imageId()),
                "hostsPager", Pager.of(ctx, "image-hosts", "hosts_cursor", image.hosts().size(), image.hostsPage()),
                "childrenPager", Pager.of(ctx, "image-children", "children_cursor", image.children().size(),
                        image.childrenPage())));
    }
}
