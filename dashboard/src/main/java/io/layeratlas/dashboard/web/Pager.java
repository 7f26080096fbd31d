package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.PageInfo;
import io.layeratlas.db.query.PageRequest;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One paged list on a page: its position ("101–200 of 557") and the addresses of the next and previous pages, which
 * are the current address with the list's cursor parameter replaced (other lists on the page keep their place).
 *
 * @param id       the list's element ID prefix in the HTML ({@code <id>-pager})
 * @param from     1-based position of the first row shown; 0 when the page is empty
 * @param shown    rows on this page
 * @param info     where the page sits
 * @param next     address of the next page, null on the last
 * @param previous address of the previous page, null on the first
 */
public record Pager(String id, long from, int shown, PageInfo info, String next, String previous) {
    /** Query parameter of a page's size, shared by every list of a page. */
    static final String LIMIT = "limit";

    /** The page of the list whose cursor travels in {@code param}, as the request asks for it. */
    /**
     * The {@code label=key=value} filters of a request (repeatable; a host must carry all of them).
     *
     * @throws io.layeratlas.db.query.QueryException.InvalidParameter for a filter without {@code =}
     */
    static java.util.Map<String, String> labels(Context ctx) {
        return io.layeratlas.db.query.Labels.parseFilters(ctx.queryParams("label"));
    }

    static PageRequest request(Context ctx, String param) {
        return PageRequest.parse(ctx.queryParam(param), ctx.queryParam(LIMIT));
    }

    /** The pager of a list shown with {@code shown} rows; its cursor travels in {@code param}. */
    static Pager of(Context ctx, String id, String param, int shown, PageInfo info) {
        long from = parseFrom(ctx.queryParam(param + "_from"));
        String next = info.next() == null ? null : with(ctx, param, info.next(), from + shown);
        String previous = info.previous() == null ? null : with(ctx, param, info.previous(), Math.max(1, from - info.limit()));
        return new Pager(id, shown == 0 ? 0 : from, shown, info, next, previous);
    }

    private static long parseFrom(String v) {
        try {
            return v == null ? 1 : Math.max(1, Long.parseLong(v));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** The current path and query with {@code param} set to {@code cursor} (and its display position). */
    private static String with(Context ctx, String param, String cursor, long from) {
        Map<String, List<String>> q = new TreeMap<>(ctx.queryParamMap());
        q.put(param, List.of(cursor));
        q.put(param + "_from", List.of(Long.toString(from)));
        StringBuilder sb = new StringBuilder(ctx.path());
        char sep = '?';
        for (var e : q.entrySet()) {
            for (String v : e.getValue()) {
                sb.append(sep).append(Fmt.param(e.getKey())).append('=').append(Fmt.param(v));
                sep = '&';
            }
        }
        return sb.toString();
    }

    /** {@code 101–200 of 557}: the position is a display aid carried in the address; the total is counted. */
    public String position() {
        if (shown == 0) {
            return "none of " + info.total();
        }
        return from + "–" + (from + shown - 1) + " of " + info.total();
    }
}
