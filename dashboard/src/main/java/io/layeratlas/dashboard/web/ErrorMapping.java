package io.layeratlas.dashboard.web;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.layeratlas.db.query.Match;
import io.layeratlas.db.query.QueryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place where exceptions become HTTP answers. API paths ({@code /api/}) get
 * {@code {"status":…, "error":…, "candidates":[…]}}; pages get the error page. Never a stack trace.
 *
 * <table>
 *   <tr><td>{@link QueryException.InvalidParameter}</td><td>400</td></tr>
 *   <tr><td>{@link QueryException.NotFound}, unknown route</td><td>404</td></tr>
 *   <tr><td>{@link QueryException.Ambiguous}</td><td>409, with the candidates</td></tr>
 *   <tr><td>{@link QueryException} (database unreachable, too slow, or failing)</td><td>503 with {@code Retry-After},
 *   within the pool's time limits ({@link io.layeratlas.db.Database.Timeouts})</td></tr>
 *   <tr><td>anything else</td><td>500, logged</td></tr>
 * </table>
 */
final class ErrorMapping {
    private static final Logger log = LoggerFactory.getLogger(ErrorMapping.class);
    /** Asked of clients after a 503: long enough not to hammer a database that is restarting. */
    private static final String RETRY_AFTER_SECONDS = "10";

    private ErrorMapping() {
    }

    static void register(Javalin app, Pages pages) {
        app.exception(QueryException.InvalidParameter.class, (e, ctx) -> answer(pages, ctx, HttpStatus.BAD_REQUEST, e.getMessage(), List.of()));
        app.exception(QueryException.NotFound.class, (e, ctx) -> answer(pages, ctx, HttpStatus.NOT_FOUND, e.getMessage(), List.of()));
        app.exception(QueryException.Ambiguous.class, (e, ctx) -> answer(pages, ctx, HttpStatus.CONFLICT, e.getMessage(), e.candidates()));
        app.exception(HttpResponseException.class, (e, ctx) -> {
            HttpStatus status = HttpStatus.forStatus(e.getStatus());
            if (status == HttpStatus.NOT_FOUND) {
                // Javalin's own "Endpoint GET /x not found": no route matched.
                answer(pages, ctx, status, "no such page: " + Fmt.cut(ctx.path(), 200), List.of());
            } else {
                answer(pages, ctx, status == HttpStatus.UNKNOWN ? HttpStatus.BAD_REQUEST : status, e.getMessage(), List.of());
            }
        });
        // Javalin decodes path parameters before any handler runs; a broken percent-escape there ("/layers/%2") is the
        // caller's mistake, found by HostileRequestsTest.
        app.exception(IllegalArgumentException.class, (e, ctx) -> {
            if (String.valueOf(e.getMessage()).startsWith("URLDecoder:")) {
                answer(pages, ctx, HttpStatus.BAD_REQUEST, "the path has a malformed percent-escape (%XX)", List.of());
            } else {
                log.error("unexpected error on {} {}", ctx.method(), ctx.path(), e);
                answer(pages, ctx, HttpStatus.INTERNAL_SERVER_ERROR, "internal error", List.of());
            }
        });
        app.exception(QueryException.class, (e, ctx) -> {
            // One line per failed request: during an outage every request fails the same way, and a stack trace
            // each would bury the log. The database's own message says what failed (refused, timed out, cancelled).
            log.warn("query failed on {}: {}", ctx.path(), e.getMessage());
            ctx.header("Retry-After", RETRY_AFTER_SECONDS);
            answer(pages, ctx, HttpStatus.SERVICE_UNAVAILABLE, "the index is not available right now", List.of());
        });
        app.exception(Exception.class, (e, ctx) -> {
            log.error("unexpected error on {} {}", ctx.method(), ctx.path(), e);
            answer(pages, ctx, HttpStatus.INTERNAL_SERVER_ERROR, "internal error", List.of());
        });
    }

    static boolean isApi(Context ctx) {
        return ctx.path().startsWith("/api/");
    }

    static void answer(Pages pages, Context ctx, HttpStatus status, String message, List<Match> candidates) {
        ctx.status(status);
        if (isApi(ctx)) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", status.getCode());
            body.put("error", message);
            if (!candidates.isEmpty()) {
                body.put("candidates", candidates);
            }
            ctx.json(body);
        } else {
            Map<String, Object> params = new HashMap<>();
            params.put("status", status.getCode());
            params.put("title", status.getMessage());
            params.put("message", message);
            params.put("candidates", candidates);
            params.put("query", ctx.queryParam("q"));
            pages.render(ctx, "error.jte", params);
        }
    }
}
