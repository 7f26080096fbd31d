package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.QueryException;

import java.util.List;
import java.util.Map;

/**
 * Checks every route's parameters share, before any handler or query sees them. PostgreSQL's {@code text} cannot
 * hold U+0000 (it rejects it with SQLState 22021), and no digest, tag or host ID contains one, so a NUL in any
 * path or query parameter is the caller's mistake: a 400 naming the parameter, never a database error.
 */
final class RequestChecks {
    private RequestChecks() {
    }

    /** @throws QueryException.InvalidParameter if a path or query parameter contains U+0000 */
    static void check(Context ctx) {
        for (Map.Entry<String, String> p : ctx.pathParamMap().entrySet()) {
            rejectNul(p.getKey(), p.getValue());
        }
        for (Map.Entry<String, List<String>> p : ctx.queryParamMap().entrySet()) {
            rejectNul(p.getKey(), p.getKey());
            for (String v : p.getValue()) {
                rejectNul(p.getKey(), v);
            }
        }
    }

    private static void rejectNul(String name, String value) {
        if (value != null && value.indexOf('\u0000') >= 0) {
            throw new QueryException.InvalidParameter(Fmt.cut(name.replace('\u0000', '\ufffd'), 40)
                    + " must not contain a NUL character (U+0000)");
        }
    }
}
