package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.QueryException;

import java.util.List;
import java.util.Locale;

/** Typed query parameters shared by every route: one parser per type, one error per bad value. */
final class Params {
    private Params() {
    }

    /**
     * A boolean query parameter: {@code true}/{@code false} (any case), {@code 1}/{@code 0}, or absent (the default).
     * An empty value ({@code ?all}, {@code ?all=}) means true, as a bare switch in an address reads.
     *
     * @throws QueryException.InvalidParameter for any other value, or for the parameter given twice with different values
     */
    static boolean bool(Context ctx, String name, boolean absent) {
        List<String> values = ctx.queryParams(name);
        if (values.isEmpty()) {
            return absent;
        }
        Boolean result = null;
        for (String v : values) {
            boolean b = switch (v.strip().toLowerCase(Locale.ROOT)) {
                case "", "true", "1" -> true;
                case "false", "0" -> false;
                default -> throw new QueryException.InvalidParameter(name + " must be true or false, not '"
                        + Fmt.cut(v, 40) + "'");
            };
            if (result != null && result != b) {
                throw new QueryException.InvalidParameter(name + " is given twice with different values");
            }
            result = b;
        }
        return result;
    }
}
