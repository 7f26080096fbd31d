package io.layeratlas.dashboard.web;

import io.javalin.http.Context;
import io.layeratlas.db.query.Freshness;
import io.layeratlas.db.query.HostStatus;
import io.layeratlas.db.query.LayerQuery;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code /layers/{digest}} and its API twins. HTTP in and out only. */
final class LayerHandlers {
    private final LayerQuery query;
    private final Pages pages;

    LayerHandlers(LayerQuery query, Pages pages) {
        this.query = query;
        this.pages = pages;
    }

    /** A host in the remediation list. {@code images} are image IDs; {@code imageRefs} adds position and tags. */
    record HostEntry(String hostId, List<String> images, List<LayerQuery.ImageOnHost> imageRefs, Instant firstSeen,
                     boolean stale, Instant lastReportAt, Instant lastInventoryAt, String agentVersion, String sourceKind) {
        static HostEntry of(LayerQuery.HostHolding h) {
            HostStatus s = h.host();
            return new HostEntry(s.hostId(), h.imageIds(), h.images(), h.firstSeen(), s.stale(), s.lastReportAt(),
                    s.lastInventoryAt(), s.agentVersion(), s.sourceKind());
        }
    }

    /** The JSON of {@code /api/v1/layers/{digest}/hosts}. */
    record HostsAnswer(String digest, LayerQuery.MatchedBy matchedBy, int hostCount, List<HostEntry> hosts, Freshness freshness) {
    }

    void hostsApi(Context ctx) {
        LayerQuery.LayerHosts answer = query.hosts(ctx.pathParam("digest"));
        ctx.json(new HostsAnswer(answer.digest(), answer.matchedBy(), answer.hosts().size(),
                answer.hosts().stream().map(HostEntry::of).toList(), answer.freshness()));
    }

    void hostsCsv(Context ctx) {
        LayerQuery.LayerHosts answer = query.hosts(ctx.pathParam("digest"));
        StringBuilder csv = new StringBuilder(Csv.line(List.of("host_id", "stale", "last_report_at", "first_seen",
                "image_ids", "repo_tags")));
        for (LayerQuery.HostHolding h : answer.hosts()) {
            List<String> tags = new ArrayList<>();
            h.images().forEach(i -> tags.addAll(i.repoTags()));
            csv.append(Csv.line(List.of(h.host().hostId(), Boolean.toString(h.host().stale()),
                    Fmt.iso(h.host().lastReportAt()), Fmt.iso(h.firstSeen()), String.join(" ", h.imageIds()),
                    String.join(" ", tags.stream().distinct().toList()))));
        }
        ctx.contentType("text/csv; charset=utf-8");
        ctx.header("Content-Disposition", "attachment; filename=\"layer-" + Fmt.shortId(answer.digest()) + "-hosts.csv\"");
        ctx.result(csv.toString());
    }

    void api(Context ctx) {
        ctx.json(query.detail(ctx.pathParam("digest")));
    }

    void page(Context ctx) {
        LayerQuery.LayerDetail layer = query.detail(ctx.pathParam("digest"));
        if (!layer.digest().equals(ctx.pathParam("digest"))) {
            // A prefix: land on the canonical address, so links and bookmarks carry the full digest.
            ctx.redirect("/layers/" + Fmt.path(layer.digest()));
            return;
        }
        pages.render(ctx, "layer.jte", Map.of("layer", layer));
    }
}
