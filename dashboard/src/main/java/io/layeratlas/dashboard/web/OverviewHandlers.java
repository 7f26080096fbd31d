package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.FleetQuery;
import io.layeratlas.db.query.HostQuery;
import io.layeratlas.db.query.HostStatus;
import io.layeratlas.db.query.PageRequest;
import io.layeratlas.db.query.QueryException;
import io.layeratlas.db.query.ReuseQuery;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The home page, a fleet overview ({@code /}), and its API twin {@code /api/v1/overview}: fleet totals (the reuse
 * page's, shared with it), image counts with and without intermediate images, the stale agents, the change feed of
 * the last {@code ?hours=} (default {@value #DEFAULT_HOURS}), and on an empty index how to add agents.
 */
final class OverviewHandlers {
    static final int DEFAULT_HOURS = 24;
    /** Most stale agents listed on the overview; the hosts page sorted by staleness lists them all. */
    static final int STALE_LISTED = 20;
    /** The agent command an operator runs on each host, shown on an empty index (README, "Deploying agents"). */
    static final String AGENT_COMMAND = "layeratlas agent --bootstrap-servers KAFKA_HOST:9092 --source /var/lib/docker";

    private final FleetQuery fleet;
    private final ReuseQuery reuse;
    private final HostQuery hosts;
    private final Pages pages;

    OverviewHandlers(FleetQuery fleet, ReuseQuery reuse, HostQuery hosts, Pages pages) {
        this.fleet = fleet;
        this.reuse = reuse;
        this.hosts = hosts;
        this.pages = pages;
    }

    private OverviewView answer(Context ctx) {
        int hours = hours(ctx);
        FleetQuery.Overview o = fleet.overview(Duration.ofHours(hours));
        ReuseQuery.Totals totals = reuse.reuse(ReuseHandlers.DEFAULT_LIMIT).totals();
        List<HostStatus> stale = o.freshness().allFresh() ? List.of()
                : hosts.list(HostQuery.Sort.STALE, true, new PageRequest(null, STALE_LISTED)).hosts().stream()
                .map(HostQuery.HostSummary::status).filter(HostStatus::stale).toList();
        return new OverviewView(totals, o.shownImages(), o.allImages(), stale, hours, o.feed(), AGENT_COMMAND,
                o.freshness());
    }

    void api(Context ctx) {
        ctx.jsonStream(answer(ctx));
    }

    void page(Context ctx) {
        pages.render(ctx, "home.jte", Map.of("o", answer(ctx)));
    }

    private static int hours(Context ctx) {
        String v = ctx.queryParam("hours");
        if (v == null || v.isBlank()) {
            return DEFAULT_HOURS;
        }
        try {
            int h = Integer.parseInt(v.strip());
            if (h >= 1 && h <= 720) {
                return h;
            }
        } catch (NumberFormatException e) {
            // the same answer as an out-of-range number
        }
        throw new QueryException.InvalidParameter("hours must be a number from 1 to 720");
    }
}
