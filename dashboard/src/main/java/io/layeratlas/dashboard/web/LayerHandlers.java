package io.layeratlas.dashboard.web;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.layeratlas.db.query.ContainerQuery;
import io.layeratlas.db.query.Freshness;
import io.layeratlas.db.query.HostStatus;
import io.layeratlas.db.query.LayerQuery;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code /layers/{digest}} and its API twins. HTTP in and out only. Lists are paged ({@code ?cursor=}, or
 * {@code hosts_cursor}/{@code images_cursor} on the layer page, and {@code limit}); the CSV and JSON exports stream
 * every host.
 */
final class LayerHandlers {
    private final LayerQuery query;
    private final Pages pages;
    private final ObjectMapper mapper;
    private final ContainerQuery containers;

    LayerHandlers(LayerQuery query, ContainerQuery containers, Pages pages, ObjectMapper mapper) {
        this.query = query;
        this.containers = containers;
        this.pages = pages;
        this.mapper = mapper;
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

    /**
     * The JSON of {@code /api/v1/layers/{digest}/hosts}: one page.
     *
     * @param hostCount every page's hosts
     * @param next      cursor of the next page ({@code ?cursor=}), null on the last
     * @param previous  cursor of the previous page, null on the first
     */
    record HostsAnswer(String digest, LayerQuery.MatchedBy matchedBy, int hostCount, List<HostEntry> hosts, int limit,
                       String next, String previous, Freshness freshness) {
    }

    void hostsApi(Context ctx) {
        LayerQuery.LayerHosts answer = query.hosts(ctx.pathParam("digest"), Pager.request(ctx, "cursor"));
        ctx.json(new HostsAnswer(answer.digest(), answer.matchedBy(), answer.hostCount(),
                answer.hosts().stream().map(HostEntry::of).toList(), answer.page().limit(), answer.page().next(),
                answer.page().previous(), answer.freshness()));
    }

    void hostsCsv(Context ctx) throws Exception {
        Writer[] out = {null};
        try {
            query.exportHosts(ctx.pathParam("digest"), ref -> {
                ctx.contentType("text/csv; charset=utf-8");
                ctx.header("Content-Disposition", "attachment; filename=\"layer-" + Fmt.shortId(ref.digest()) + "-hosts.csv\"");
                out[0] = new BufferedWriter(new OutputStreamWriter(ctx.outputStream(), StandardCharsets.UTF_8), 1 << 16);
                out[0].write(Csv.line(List.of("host_id", "stale", "last_report_at", "first_seen", "image_ids", "repo_tags")));
            }, h -> {
                List<String> tags = new ArrayList<>();
                h.images().forEach(i -> tags.addAll(i.repoTags()));
                out[0].write(Csv.line(List.of(h.host().hostId(), Boolean.toString(h.host().stale()),
                        Fmt.iso(h.host().lastReportAt()), Fmt.iso(h.firstSeen()), String.join(" ", h.imageIds()),
                        String.join(" ", tags.stream().distinct().toList()))));
            });
        } finally {
            if (out[0] != null) {
                out[0].close();
            }
        }
    }

    /** {@code {"digest","matchedBy","hosts":[HostEntry…],"hostCount"}}, streamed: every host, no cap. */
    void hostsJson(Context ctx) throws Exception {
        JsonGenerator[] g = {null};
        long[] count = {0};
        try {
            query.exportHosts(ctx.pathParam("digest"), ref -> {
                ctx.contentType("application/json");
                g[0] = mapper.getFactory().createGenerator(ctx.outputStream());
                g[0].writeStartObject();
                g[0].writeStringField("digest", ref.digest());
                g[0].writeStringField("matchedBy", ref.matchedBy().name());
                g[0].writeArrayFieldStart("hosts");
            }, h -> {
                mapper.writeValue(g[0], HostEntry.of(h));
                count[0]++;
            });
            g[0].writeEndArray();
            g[0].writeNumberField("hostCount", count[0]);
            g[0].writeEndObject();
        } finally {
            if (g[0] != null) {
                g[0].close();
            }
        }
    }

    /** {@code /api/v1/layers/{digest}/origin}: the history step that created the layer and its base-image family. */
    void originApi(Context ctx) {
        ctx.json(query.origin(ctx.pathParam("digest")));
    }

    void api(Context ctx) {
        ctx.json(query.detail(ctx.pathParam("digest"), Pager.request(ctx, "hosts_cursor"), Pager.request(ctx, "images_cursor")));
    }

    void page(Context ctx) {
        LayerQuery.LayerDetail layer = query.detail(ctx.pathParam("digest"), Pager.request(ctx, "hosts_cursor"),
                Pager.request(ctx, "images_cursor"));
        if (!layer.digest().equals(ctx.pathParam("digest"))) {
            // A prefix: land on the canonical address, so links and bookmarks carry the full digest.
            ctx.redirect("/layers/" + Fmt.path(layer.digest()));
            return;
        }
        pages.render(ctx, "layer.jte", Map.of("layer", layer, "origin", query.origin(layer.digest()),
                "containers", containers.ofLayer(layer.digest()),
                "hostsPager", Pager.of(ctx, "layer-hosts", "hosts_cursor", layer.hosts().size(), layer.hostsPage()),
                "imagesPager", Pager.of(ctx, "layer-images", "images_cursor", layer.images().size(), layer.imagesPage())));
    }
}
