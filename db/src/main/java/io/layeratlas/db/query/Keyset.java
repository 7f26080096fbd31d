package io.layeratlas.db.query;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Keyset paging of one list: the SQL of the first page, of the page after a key and of the page before it, built once
 * from a template. The template selects {@code {keys}} (the sort key columns, aliased {@code k0…}), ends its
 * {@code WHERE} clause with {@code {keyset}} and has {@code {order}} in place of its {@code ORDER BY}; every bound
 * parameter of the template comes before {@code {keyset}}. The page's SQL appends {@code LIMIT ?}, or puts it where the
 * template says {@code {limit}} (a template that sorts and limits in a subquery, then joins the page's rows only).
 * {@code {limit}} may appear twice (a subquery that stops after a page, and the page): such a template writes its limit
 * in the SQL ({@link #withLimitInSql}). {@code {direction}} is the direction of the page's order ({@code ASC} or
 * {@code DESC}), for a subquery that walks the rows in the order of the first key column only.
 *
 * <p>Every key column sorts the same way (all ascending or all descending) so that one row comparison
 * {@code (k0, k1) > (?, ?)} selects the rows after a key; the last key column must make the order total (an ID), and no key may be null (coalesce it).
 * Cursor values are the columns as PostgreSQL prints them, cast back with {@code casts}. Immutable, thread-safe.
 *
 * <p>The row limit is a parameter, or, in a keyset made by {@link #withLimitInSql}, a number in the SQL text.
 */
final class Keyset {
    private final String first;
    private final String after;
    private final String before;
    private final int keyCount;
    private final boolean limitInSql;
    /** Whether the template limits twice (a subquery and the page): then only {@link #withLimitInSql} can bind it. */
    private final boolean limitsTwice;

    /**
     * @param template   SQL with {@code {keys}}, {@code {keyset}} and {@code {order}}
     * @param keys       the key expressions, e.g. {@code h.host_id}
     * @param casts      the SQL type of each key, e.g. {@code text}, {@code timestamptz}, {@code bigint}
     * @param descending whether the list runs from the largest key down
     */
    Keyset(String template, List<String> keys, List<String> casts, boolean descending) {
        keyCount = keys.size();
        List<String> selected = new ArrayList<>();
        List<String> params = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            selected.add("(" + keys.get(i) + ")::text AS k" + i);
            params.add("?::" + casts.get(i));
        }
        String row = "(" + String.join(", ", keys) + ")";
        String bound = "(" + String.join(", ", params) + ")";
        String asc = String.join(", ", keys.stream().map(k -> k + " ASC").toList());
        String desc = String.join(", ", keys.stream().map(k -> k + " DESC").toList());
        String base = template.replace("{keys}", String.join(", ", selected));
        String forwardOrder = "ORDER BY " + (descending ? desc : asc);
        String backwardOrder = "ORDER BY " + (descending ? asc : desc);
        String forward = descending ? "DESC" : "ASC";
        String backward = descending ? "ASC" : "DESC";
        if (!base.contains("{limit}")) {
            base += " {limit}";
        }
        // {limit} stays in until sql(): a parameter, or the page's number (withLimitInSql).
        if (base.split("\\{keyset}", -1).length != 2) {
            throw new IllegalArgumentException("a keyset template binds its cursor once: one {keyset}");
        }
        first = base.replace("{keyset}", "TRUE").replace("{order}", forwardOrder).replace("{direction}", forward);
        after = base.replace("{keyset}", row + (descending ? " < " : " > ") + bound).replace("{order}", forwardOrder)
                .replace("{direction}", forward);
        before = base.replace("{keyset}", row + (descending ? " > " : " < ") + bound).replace("{order}", backwardOrder)
                .replace("{direction}", backward);
        limitInSql = false;
        limitsTwice = base.indexOf("{limit}") != base.lastIndexOf("{limit}");
    }

    private Keyset(Keyset of, boolean limitInSql) {
        this.first = of.first;
        this.after = of.after;
        this.before = of.before;
        this.keyCount = of.keyCount;
        this.limitInSql = limitInSql;
        this.limitsTwice = of.limitsTwice;
    }

    /**
     * The same list with the row limit written into the SQL ({@code LIMIT 101}) instead of bound: a statement that
     * must stop after the page can then be planned once per connection, since a generic plan knows a written limit
     * and not a bound one. There is one text per page size (0 to {@link PageRequest#MAX_LIMIT}), each a statement
     * PgJDBC caches and, once prepared, the server keeps per connection: clients asking many page sizes cost cache
     * entries, not answers.
     */
    Keyset withLimitInSql() {
        return new Keyset(this, true);
    }

    /**
     * Whether a page of {@code members} of a {@code fleet} (rows of the table the list walks) is read by walking the
     * fleet in the list's order and keeping the members, rather than gathering every member and sorting: when the walk's
     * rows, about {@code (limit + 1) × fleet / members}, are fewer than the members. An empty fleet (not counted yet)
     * is gathered; a wrong guess costs time, never rows.
     */
    static boolean walks(long members, long fleet, PageRequest page) {
        return fleet > 0 && members * members > (long) (page.limit() + 1) * fleet;
    }

    /**
     * Reads one page.
     *
     * @param params the template's own parameters, in order
     * @param total  rows in the whole list (counted by the caller in the same snapshot)
     * @throws QueryException.InvalidParameter for a cursor whose key does not fit this list
     */
    <T> Page<T> page(Connection c, PageRequest request, long total, Sql.RowMapper<T> mapper, Object... params)
            throws SQLException {
        List<Object> all = new ArrayList<>(List.of(params));
        all.addAll(params(request));
        List<Keyed<T>> rows;
        try {
            String sql = sql(request);
            rows = request.limit() == 0 ? List.of() : Sql.list(c, sql, rs -> keyed(rs, mapper), all.toArray());
        } catch (SQLException e) {
            throw badCursor(e);
        }
        return page(request, total, rows);
    }

    /**
     * Adds the page a request asks for to a pipeline; {@link #page(PageRequest, long, List)} makes the page of its rows
     * once the pipeline ran ({@link #badCursor} maps the pipeline's SQLException for a cursor PostgreSQL cannot cast).
     *
     * @param params the template's own parameters, in order
     * @throws QueryException.InvalidParameter for a cursor whose key does not fit this list
     */
    <T> Sql.Pipeline.Part<Keyed<T>> add(Sql.Pipeline pipeline, PageRequest request, Sql.RowMapper<T> mapper, Object... params) {
        if (request.limit() == 0) {
            sql(request); // a cursor of another list is refused as with any limit
            return Sql.Pipeline.Part.none();
        }
        List<Object> all = new ArrayList<>(List.of(params));
        all.addAll(params(request));
        return pipeline.add(sql(request), rs -> keyed(rs, mapper), all.toArray());
    }

    /** A row of a page with its sort key. */
    record Keyed<T>(T item, List<String> key) {
    }

    /**
     * The SQL of the page a request asks for: the template's parameters, then {@link #params}, bind in order.
     *
     * @throws QueryException.InvalidParameter for a cursor whose key does not fit this list
     */
    String sql(PageRequest request) {
        PageRequest.Cursor cursor = request.cursor();
        if (cursor != null && cursor.key().size() != keyCount) {
            throw new QueryException.InvalidParameter("not a page cursor of this list");
        }
        String sql = cursor == null ? first : cursor.forward() ? after : before;
        if (limitsTwice && !limitInSql) {
            throw new IllegalStateException("a template that limits twice writes its limit in the SQL (withLimitInSql)");
        }
        // One row past the page tells whether there is a next one.
        return sql.replace("{limit}", limitInSql ? "LIMIT " + (request.limit() + 1) : "LIMIT ?");
    }

    /**
     * The parameters {@link #sql} adds after the template's own: the cursor's key, then the row limit (unless it is
     * written in the SQL).
     */
    List<Object> params(PageRequest request) {
        List<Object> out = new ArrayList<>();
        if (request.cursor() != null) {
            out.addAll(request.cursor().key());
        }
        if (!limitInSql) {
            out.add(request.limit() + 1);
        }
        return out;
    }

    /** Maps one row of {@link #sql}'s result, with its key. */
    <T> Keyed<T> keyed(ResultSet rs, Sql.RowMapper<T> mapper) throws SQLException {
        return new Keyed<>(mapper.map(rs), key(rs));
    }

    /**
     * Runs a pipeline holding pages added by {@link #add}: a cursor PostgreSQL cannot cast back is the client's error
     * ({@link #badCursor}).
     */
    static void run(Sql.Pipeline pipeline, java.sql.Connection c) throws SQLException {
        try {
            pipeline.run(c);
        } catch (SQLException e) {
            throw badCursor(e);
        }
    }

    /** A cursor whose key PostgreSQL cannot cast back is the client's error, not the server's. */
    static SQLException badCursor(SQLException e) {
        if ("22P02".equals(e.getSQLState()) || "22007".equals(e.getSQLState()) || "22008".equals(e.getSQLState())) {
            throw new QueryException.InvalidParameter("not a page cursor of this list");
        }
        return e;
    }

    /**
     * The page from the rows {@link #sql} returned, in the order it returned them.
     *
     * @param total rows in the whole list (counted in the same snapshot)
     */
    <T> Page<T> page(PageRequest request, long total, List<Keyed<T>> rows) {
        PageRequest.Cursor cursor = request.cursor();
        boolean more = rows.size() > request.limit();
        if (more) {
            rows = rows.subList(0, request.limit());
        }
        if (cursor != null && !cursor.forward()) {
            rows = new ArrayList<>(rows);
            Collections.reverse(rows);
        }
        // Going forward, more rows means a next page; coming back, the page we came from is the next one.
        boolean hasNext = cursor == null || cursor.forward() ? more : true;
        boolean hasPrevious = cursor == null ? false : cursor.forward() || more;
        String next = hasNext && !rows.isEmpty() ? new PageRequest.Cursor(true, rows.get(rows.size() - 1).key()).encode() : null;
        String previous = hasPrevious && !rows.isEmpty() ? new PageRequest.Cursor(false, rows.get(0).key()).encode() : null;
        return new Page<>(rows.stream().map(Keyed::item).toList(), new PageInfo(total, request.limit(), next, previous));
    }

    private List<String> key(ResultSet rs) throws SQLException {
        List<String> key = new ArrayList<>(keyCount);
        for (int i = 0; i < keyCount; i++) {
            String v = rs.getString("k" + i);
            key.add(v == null ? "" : v);
        }
        return key;
    }
}
