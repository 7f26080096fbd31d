package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.Match;
import io.layeratlas.db.query.SearchQuery;

import java.util.Map;

/**
 * The search box ({@code /search}) and {@code /api/v1/search}; {@code ?cursor=} and {@code ?limit=} page the matches.
 * The home page is {@link OverviewHandlers}'.
 */
final class SearchHandlers {
    private final SearchQuery query;
    private final Pages pages;

    SearchHandlers(SearchQuery query, Pages pages) {
        this.query = query;
        this.pages = pages;
    }

    /** Lands on the one page a search leads to, or lists the candidates, a page at a time ({@code ?cursor=}). */
    void page(Context ctx) {
        SearchQuery.SearchResult result = query.search(ctx.queryParam("q"), Pager.request(ctx, "cursor"));
        if (result.unique().isPresent()) {
            ctx.redirect(Links.of(result.unique().get()));
            return;
        }
        pages.render(ctx, "search.jte", Map.of("result", result,
                "pager", Pager.of(ctx, "search", "cursor", result.matches().size(), result.page())));
    }

    /** The JSON answer: every match, each with the page and API address it leads to. */
    record MatchEntry(Match.Kind kind, String what, String key, String label, String page, String api) {
    }

    /**
     * One page of a search's matches.
     *
     * @param total    every page's matches
     * @param next     cursor of the next page ({@code ?cursor=}), null on the last
     * @param previous cursor of the previous page, null on the first
     */
    record SearchAnswer(String query, boolean unique, java.util.List<MatchEntry> matches, long total, int limit,
                        String next, String previous) {
    }

    void api(Context ctx) {
        SearchQuery.SearchResult result = query.search(ctx.queryParam("q"), Pager.request(ctx, "cursor"));
        ctx.jsonStream(new SearchAnswer(result.query(), result.unique().isPresent(), result.matches().stream()
                .map(m -> new MatchEntry(m.kind(), m.what(), m.key(), m.label(), Links.of(m), "/api/v1" + Links.of(m)))
                .toList(), result.page().total(), result.page().limit(), result.page().next(), result.page().previous()));
    }
}
