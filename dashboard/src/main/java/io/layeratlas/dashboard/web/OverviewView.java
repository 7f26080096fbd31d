package io.layeratlas.dashboard.web;

import io.layeratlas.db.query.FleetQuery;
import io.layeratlas.db.query.Freshness;
import io.layeratlas.db.query.HostStatus;
import io.layeratlas.db.query.ReuseQuery;

import java.util.List;

/**
 * The fleet overview: the JSON of {@code /api/v1/overview} and the home page's data.
 *
 * @param totals       fleet totals (hosts live and stale, distinct layers, bytes stored and saved), as
 *                     {@code /api/v1/reuse} gives them; its {@code images} counts every image ({@code docker image ls -a})
 * @param shownImages  images {@code docker image ls} shows on at least one host (intermediate images hidden)
 * @param allImages    images {@code docker image ls -a} shows on at least one host
 * @param staleHosts   the stale agents, as the hosts page sorted by staleness lists them, at most
 *                     {@value OverviewHandlers#STALE_LISTED}
 * @param feedHours    the change feed's window, in hours
 * @param feed         the fleet's changes in that window, newest first, at most {@value FleetQuery#FEED_LIMIT} lines
 * @param agentCommand the command that adds an agent on a host
 */
public record OverviewView(ReuseQuery.Totals totals, long shownImages, long allImages, List<HostStatus> staleHosts,
                           int feedHours, List<FleetQuery.FeedEntry> feed, String agentCommand, Freshness freshness) {
}
