package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import io.layeratlas.db.query.BulkQuery;
import io.layeratlas.db.query.QueryException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Bulk questions: {@code /bulk} (a form to paste or upload a list), {@code POST /bulk} (the combined answer as a
 * page), {@code POST /api/v1/bulk} (JSON) and {@code POST /api/v1/bulk.csv} (one remediation CSV). The list comes as
 * the form field {@code items} and/or an uploaded text file {@code file} (multipart), or as a {@code text/plain} body;
 * digests, image IDs, {@code repo:tag}s or repositories, separated by lines, spaces, commas or semicolons.
 */
final class BulkHandlers {
    /** Largest uploaded list, in bytes: 500 items of a long reference each fit easily. */
    static final int MAX_UPLOAD_BYTES = 256 * 1024;

    private final BulkQuery query;
    private final Pages pages;

    BulkHandlers(BulkQuery query, Pages pages) {
        this.query = query;
        this.pages = pages;
    }

    void form(Context ctx) {
        Map<String, Object> params = new HashMap<>();
        params.put("text", "");
        params.put("answer", null);
        pages.render(ctx, "bulk.jte", params);
    }

    void page(Context ctx) throws IOException {
        String text = text(ctx);
        Map<String, Object> params = new HashMap<>();
        params.put("text", text);
        params.put("answer", query.answer(BulkQuery.items(text)));
        pages.render(ctx, "bulk.jte", params);
    }

    void api(Context ctx) throws IOException {
        ctx.jsonStream(query.answer(BulkQuery.items(text(ctx))));
    }

    void csv(Context ctx) throws IOException {
        BulkQuery.BulkAnswer answer = query.answer(BulkQuery.items(text(ctx)));
        StringBuilder out = new StringBuilder();
        out.append(Csv.line(List.of("host_id", "stale", "last_report_at", "items", "image_ids", "repo_tags")));
        for (BulkQuery.HostHit h : answer.hosts()) {
            out.append(Csv.line(List.of(h.host().hostId(), Boolean.toString(h.host().stale()), Fmt.iso(h.host().lastReportAt()),
                    String.join(" ", h.items()), String.join(" ", h.imageIds()), String.join(" ", h.repoTags()))));
        }
        ctx.contentType("text/csv; charset=utf-8");
        ctx.header("Content-Disposition", "attachment; filename=\"layeratlas-bulk-hosts.csv\"");
        ctx.result(out.toString());
    }

    /** The list: form field {@code items}, an uploaded {@code file}, or a plain-text body. */
    private static String text(Context ctx) throws IOException {
        String type = String.valueOf(ctx.contentType());
        List<String> parts = new ArrayList<>();
        if (type.startsWith("multipart/form-data") || type.startsWith("application/x-www-form-urlencoded")) {
            String items = ctx.formParam("items");
            if (items != null) {
                parts.add(items);
            }
            if (type.startsWith("multipart/form-data")) {
                for (UploadedFile f : ctx.uploadedFiles("file")) {
                    if (f.size() > MAX_UPLOAD_BYTES) {
                        throw new QueryException.InvalidParameter("the uploaded list is larger than " + MAX_UPLOAD_BYTES + " bytes");
                    }
                    try (InputStream in = f.content()) {
                        parts.add(new String(in.readNBytes(MAX_UPLOAD_BYTES), StandardCharsets.UTF_8));
                    }
                }
            }
        } else if (ctx.contentType() == null || type.startsWith("text/plain")) {
            parts.add(ctx.body());
        } else {
            // A JSON body ({"items": [...]}) read as lines would answer its braces and quotes as items (a newcomer's
            // trial): say what is taken instead.
            throw new io.javalin.http.HttpResponseException(415, "the list is taken as text/plain (one item per line),"
                    + " a form field items or an uploaded file (multipart/form-data), not " + Fmt.cut(type, 80));
        }
        String text = String.join("\n", parts);
        if (text.indexOf('\u0000') >= 0) {
            throw new QueryException.InvalidParameter("items must not contain a NUL character (U+0000)");
        }
        return text;
    }
}
