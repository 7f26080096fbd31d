package io.layeratlas.dashboard.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.layeratlas.db.query.QueryException;
import io.layeratlas.db.query.ReuseQuery;

import java.util.Map;

/** {@code /reuse} and {@code /api/v1/reuse}. */
final class ReuseHandlers {
    /** Top layers shown unless {@code ?limit=} says otherwise. */
    static final int DEFAULT_LIMIT = 25;

    private final ReuseQuery query;
    private final Pages pages;
    private final ObjectMapper mapper;

    ReuseHandlers(ReuseQuery query, Pages pages, ObjectMapper mapper) {
        this.query = query;
        this.pages = pages;
        this.mapper = mapper;
    }

    void api(Context ctx) {
        ctx.jsonStream(query.reuse(limit(ctx)));
    }

    void page(Context ctx) throws JsonProcessingException {
        ReuseQuery.Reuse reuse = query.reuse(limit(ctx));
        // The chart reads its data from a data- attribute (escaped by jte), never from inline script.
        String chart = mapper.writeValueAsString(reuse.distribution());
        pages.render(ctx, "reuse.jte", Map.of("reuse", reuse, "chartData", chart));
    }

    static int limit(Context ctx) {
        String v = ctx.queryParam("limit");
        if (v == null || v.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new QueryException.InvalidParameter("limit must be a number from 1 to 500");
        }
    }
}
