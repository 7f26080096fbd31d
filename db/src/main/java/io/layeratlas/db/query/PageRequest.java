package io.layeratlas.db.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Which page of a list to read: a cursor from a previous page's {@link PageInfo#next()} or {@link PageInfo#previous()}
 * (none: the first page) and how many rows. A cursor is opaque to clients: base64url of a JSON array
 * {@code ["after"|"before", key…]} holding the sort key of the row the page starts after (or ends before).
 *
 * @param cursor the decoded cursor, or null for the first page
 * @param limit  rows per page, 0–{@value #MAX_LIMIT}; 0 reads no row, only the list's total (a host's status and totals
 *               without its lists, say)
 */
public record PageRequest(Cursor cursor, int limit) {
    /** Rows per page unless asked otherwise: a screenful of hosts, small enough to render in a few milliseconds. */
    public static final int DEFAULT_LIMIT = 100;
    /** Most rows per page; the CSV/JSON exports stream every row instead. */
    public static final int MAX_LIMIT = 1000;

    private static final ObjectMapper JSON = new ObjectMapper();

    public PageRequest {
        if (limit < 0 || limit > MAX_LIMIT) {
            throw new QueryException.InvalidParameter("limit must be 0-" + MAX_LIMIT + ": " + limit);
        }
    }

    /** The first page of {@link #DEFAULT_LIMIT} rows. */
    public static PageRequest first() {
        return new PageRequest(null, DEFAULT_LIMIT);
    }

    /**
     * Parses the request parameters of a page.
     *
     * @param cursor a cursor from a previous answer, or null/blank for the first page
     * @param limit  rows per page as text, or null/blank for {@link #DEFAULT_LIMIT}
     * @throws QueryException.InvalidParameter for a malformed cursor or limit
     */
    public static PageRequest parse(String cursor, String limit) {
        int n = DEFAULT_LIMIT;
        if (limit != null && !limit.isBlank()) {
            try {
                n = Integer.parseInt(limit.trim());
            } catch (NumberFormatException e) {
                throw new QueryException.InvalidParameter("limit must be a number from 0 to " + MAX_LIMIT);
            }
        }
        return new PageRequest(cursor == null || cursor.isBlank() ? null : Cursor.decode(cursor.trim()), n);
    }

    /**
     * A position in a list.
     *
     * @param forward true: the rows after {@code key}; false: the rows before it
     * @param key     the sort key of the row next to the page, as PostgreSQL prints each column (text)
     */
    public record Cursor(boolean forward, List<String> key) {
        public Cursor {
            key = List.copyOf(key);
        }

        /** Base64url (no padding) of the JSON array. */
        public String encode() {
            List<String> all = new ArrayList<>(key.size() + 1);
            all.add(forward ? "after" : "before");
            all.addAll(key);
            try {
                return Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(all));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        static Cursor decode(String text) {
            try {
                if (text.length() > 4096) {
                    throw new IllegalArgumentException("too long");
                }
                String[] all = JSON.readValue(Base64.getUrlDecoder().decode(text), String[].class);
                if (all.length < 2 || !(all[0].equals("after") || all[0].equals("before"))) {
                    throw new IllegalArgumentException("not a page cursor");
                }
                for (String s : all) {
                    Objects.requireNonNull(s, "null key");
                }
                return new Cursor(all[0].equals("after"), List.of(all).subList(1, all.length));
            } catch (RuntimeException | java.io.IOException e) {
                throw new QueryException.InvalidParameter("not a page cursor of this list: '" + Matches.shorten(text) + "'");
            }
        }
    }
}
