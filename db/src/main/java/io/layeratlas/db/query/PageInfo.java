package io.layeratlas.db.query;

/**
 * Where a page sits in its list.
 *
 * @param total    rows in the whole list (every page), counted in the same snapshot as the page
 * @param limit    rows per page asked for
 * @param next     cursor of the page after this one, null on the last page
 * @param previous cursor of the page before this one, null on the first page
 */
public record PageInfo(long total, int limit, String next, String previous) {
}
