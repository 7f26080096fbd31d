package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.QueryException;

import java.util.List;
import java.util.Map;

/**
 * Checks every request's parameters share, before any handler or query sees them. PostgreSQL's {@code text} cannot
 * hold U+0000 (it rejects it with SQLState 22021), and no digest, tag or host ID contains one, so a NUL in any
 * path or query parameter is the caller's mistake: a 400 naming the parameter, never a database error.
 */
final class RequestChecks {
    private RequestChecks() {
    }

    /**
     * Runs before routing (a path's own encoded NUL Jetty refuses itself, with its reason in the error body).
     *
     * @throws QueryException.InvalidParameter if a query parameter contains U+0000
     */
    static void check(Context ctx) {
        for (Map.Entry<String, List<String>> p : ctx.queryParamMap().entrySet()) {
            rejectNul(p.getKey(), p.getKey());
            for (String v : p.getValue()) {
                rejectNul(p.getKey(), v);
            }
        }
    }

    /**
     * Refuses a path that decodes to an empty or dot segment ({@code //}, {@code /./}, {@code /../}) or a backslash,
     * e.g. {@code /static/%2F} or {@code /hosts/%2e%2e%2f}: no route or file has one, and Jetty's resource lookup,
     * which Javalin runs for every path no route takes before any handler, answered them 500 ("Rejected alias
     * reference", found by HostileRequestsTest). Runs as a plain before-handler, ahead of that lookup.
     *
     * @throws io.javalin.http.BadRequestResponse naming the problem
     */
    static void checkPath(Context ctx) {
        String raw = ctx.req().getRequestURI();
        if (raw == null || (raw.indexOf('%') < 0 && raw.indexOf('.') < 0 && raw.indexOf('\\') < 0 && !raw.contains("//"))) {
            return;
        }
        String path = percentDecoded(raw);
        if (path.contains("//") || path.contains("/./") || path.contains("/../") || path.endsWith("/.")
                || path.endsWith("/..") || path.indexOf('\\') >= 0) {
            throw new io.javalin.http.BadRequestResponse(
                    "the path has an empty or dot segment or a backslash once decoded (//, /./, /../ or \\)");
        }
    }

    /** Percent-decodes bytes as UTF-8 (RFC 3986 section 2.1); a broken escape is left as it is. */
    private static String percentDecoded(String raw) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(raw.length());
        byte[] in = raw.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < in.length; i++) {
            int hi = i + 2 < in.length ? Character.digit(in[i + 1], 16) : -1;
            int lo = i + 2 < in.length ? Character.digit(in[i + 2], 16) : -1;
            if (in[i] == '%' && hi >= 0 && lo >= 0) {
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                out.write(in[i]);
            }
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void rejectNul(String name, String value) {
        if (value != null && value.indexOf('\u0000') >= 0) {
            throw new QueryException.InvalidParameter(Fmt.cut(name.replace('\u0000', '\ufffd'), 40)
                    + " must not contain a NUL character (U+0000)");
        }
    }
}
