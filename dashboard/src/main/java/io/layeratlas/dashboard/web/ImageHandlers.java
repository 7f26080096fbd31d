package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.ImageQuery;
import io.layeratlas.db.query.PackageQuery;
import io.layeratlas.db.query.QueryException;
import io.layeratlas.db.query.TagQuery;

import java.util.Map;

/**
 * {@code /images/{ref}} and {@code /api/v1/images/{ref}}; {@code ?hosts_cursor=}, {@code ?children_cursor=} and
 * {@code ?limit=} page its hosts and its children.
 * {@code ref} is an image ID (or a unique hex prefix) or, as the search takes it, a {@code repo:tag} with its slashes
 * URL-encoded ({@code shop%2Fapi:1.1}). A tag naming several images is a 409 listing them (the page goes to the tag
 * page instead).
 */
final class ImageHandlers {
    private final ImageQuery query;
    private final PackageQuery packages;
    private final TagQuery tags;
    private final Pages pages;

    ImageHandlers(ImageQuery query, PackageQuery packages, TagQuery tags, Pages pages) {
        this.query = query;
        this.packages = packages;
        this.tags = tags;
        this.pages = pages;
    }

    /** The image ID a reference stands for: itself if it is a digest, else the one image the tag names. */
    private String imageRef(String ref) {
        return TagQuery.isDigest(ref) ? ref : tags.resolveImage(ref);
    }

    void api(Context ctx) {
        ctx.jsonStream(query.detail(imageRef(ctx.pathParam("id")), Pager.request(ctx, "hosts_cursor"),
                Pager.request(ctx, "children_cursor"), Pager.labels(ctx)));
    }

    void page(Context ctx) {
        String ref = ctx.pathParam("id");
        String idOrPrefix;
        try {
            idOrPrefix = imageRef(ref);
        } catch (QueryException.Ambiguous e) {
            ctx.redirect(Links.tag(ref));
            return;
        }
        ImageQuery.ImageDetail image = query.detail(idOrPrefix, Pager.request(ctx, "hosts_cursor"),
                Pager.request(ctx, "children_cursor"), Pager.labels(ctx));
        if (!image.imageId().equals(ref)) {
            ctx.redirect(Links.image(image.imageId()));
            return;
        }
        pages.render(ctx, "image.jte", Map.of("image", image, "packages", packages.ofImage(image.imageId()),
                "sameContent", tags.sameContent(image.imageId()),
                "hostsPager", Pager.of(ctx, "image-hosts", "hosts_cursor", image.hosts().size(), image.hostsPage()),
                "childrenPager", Pager.of(ctx, "image-children", "children_cursor", image.children().size(),
                        image.childrenPage())));
    }
}
