package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.Match;
import io.layeratlas.db.query.SearchQuery;

import java.util.Map;

/** The search box ({@code /search}) and {@code /api/v1/search}; the home page is {@link OverviewHandlers}'. */
final class SearchHandlers {
    private final SearchQuery query;
    private final Pages pages;

    SearchHandlers(SearchQuery query, Pages pages) {
        this.query = query;
        this.pages = pages;
    }

    /** Lands on the one page a search leads to, or lists the candidates. */
    void page(Context ctx) {
        SearchQuery.SearchResult result = query.search(ctx.queryParam("q"));
        if (result.unique().isPresent()) {
            ctx.redirect(Links.of(result.unique().get()));
            return;
        }
        pages.render(ctx, "search.jte", Map.of("result", result));
    }

    /** The JSON answer: every match, each with the page and API address it leads to. */
    record MatchEntry(Match.Kind kind, String what, String key, String label, String page, String api) {
    }

    record SearchAnswer(String query, boolean unique, java.util.List<MatchEntry> matches) {
    }

    void api(Context ctx) {
        SearchQuery.SearchResult result = query.search(ctx.queryParam("q"));
        ctx.json(new SearchAnswer(result.query(), result.unique().isPresent(), result.matches().stream()
                .map(m -> new MatchEntry(m.kind(), m.what(), m.key(), m.label(), Links.of(m), "/api/v1" + Links.of(m)))
                .toList()));
    }
}
