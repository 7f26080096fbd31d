package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.QueryException;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

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

    /**
     * A list-valued query parameter naming optional parts of an answer: comma-separated, repeatable
     * ({@code ?include=a,b} or {@code ?include=a&include=b}), each value one of {@code known} (case-sensitive, as the
     * JSON field it adds is spelt); absent or empty: none.
     *
     * @throws QueryException.InvalidParameter for a value not in {@code known}
     */
    static Set<String> include(Context ctx, String name, Set<String> known) {
        Set<String> out = new TreeSet<>();
        for (String v : ctx.queryParams(name)) {
            for (String part : v.split(",")) {
                String p = part.strip();
                if (p.isEmpty()) {
                    continue;
                }
                if (!known.contains(p)) {
                    throw new QueryException.InvalidParameter(name + " may name " + String.join(", ", new TreeSet<>(known))
                            + ", not '" + Fmt.cut(p, 40) + "'");
                }
                out.add(p);
            }
        }
        return out;
    }
}
