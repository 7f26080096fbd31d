package io.layeratlas.dashboard.web;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.layeratlas.db.query.ImageQuery;
import io.layeratlas.db.query.PackageQuery;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * {@code /packages?q=openssl<3.0.8} and its API twins: the images having a matching version and the hosts holding
 * them ({@code ?images_cursor=}, {@code ?hosts_cursor=}, {@code ?limit=}), the streamed remediation export
 * ({@code hosts.csv}, {@code hosts.json}: every host, image and package row), and an image's packages. HTTP in and out
 * only.
 */
final class PackageHandlers {
    private final PackageQuery query;
    private final ImageQuery images;
    private final Pages pages;
    private final ObjectMapper mapper;

    PackageHandlers(PackageQuery query, ImageQuery images, Pages pages, ObjectMapper mapper) {
        this.query = query;
        this.images = images;
        this.pages = pages;
        this.mapper = mapper;
    }

    private PackageQuery.PackageSearch search(Context ctx) {
        return query.search(ctx.queryParam("q"), Pager.request(ctx, "images_cursor"), Pager.request(ctx, "hosts_cursor"));
    }

    void api(Context ctx) {
        ctx.jsonStream(search(ctx));
    }

    void page(Context ctx) {
        PackageQuery.PackageSearch answer = search(ctx);
        pages.render(ctx, "packages.jte", Map.of("answer", answer,
                "imagesPager", Pager.of(ctx, "package-images", "images_cursor", answer.images().size(), answer.imagesPage()),
                "hostsPager", Pager.of(ctx, "package-hosts", "hosts_cursor", answer.hosts().size(), answer.hostsPage())));
    }

    /** One CSV line per (host, image, matching package): {@code host_id,image_id,repo_tags,ecosystem,package,version,architecture}. */
    void exportCsv(Context ctx) throws Exception {
        String q = ctx.queryParam("q");
        io.layeratlas.db.query.PackageSpec.parse(q); // a bad question is a 400 before the body starts
        ctx.contentType("text/csv; charset=utf-8");
        ctx.header("Content-Disposition", "attachment; filename=\"package-hosts.csv\"");
        try (Writer out = new BufferedWriter(new OutputStreamWriter(ctx.outputStream(), StandardCharsets.UTF_8), 1 << 16)) {
            out.write(Csv.line(List.of("host_id", "image_id", "repo_tags", "ecosystem", "package", "version", "architecture")));
            query.export(q, r -> out.write(Csv.line(List.of(r.hostId(), r.imageId(), String.join(" ", r.repoTags()),
                    r.ecosystem(), r.name(), r.version(), r.architecture() == null ? "" : r.architecture()))));
        }
    }

    /** {@code {"query","rows":[ExportRow…],"rowCount"}}, streamed: every row, no cap. */
    void exportJson(Context ctx) throws Exception {
        String q = ctx.queryParam("q");
        String canonical = io.layeratlas.db.query.PackageSpec.parse(q).toString();
        ctx.contentType("application/json");
        try (JsonGenerator g = mapper.getFactory().createGenerator(ctx.outputStream())) {
            g.writeStartObject();
            g.writeStringField("query", canonical);
            g.writeArrayFieldStart("rows");
            long[] count = {0};
            query.export(q, r -> {
                mapper.writeValue(g, r);
                count[0]++;
            });
            g.writeEndArray();
            g.writeNumberField("rowCount", count[0]);
            g.writeEndObject();
        }
    }

    /** {@code /api/v1/images/{id}/packages}: the image's effective packages and the layer that brought each. */
    void imageApi(Context ctx) {
        ctx.jsonStream(query.ofImage(images.resolve(ctx.pathParam("id"))));
    }
}
