package io.layeratlas.dashboard.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.layeratlas.db.query.Freshness;
import io.layeratlas.db.query.ContainerOnHost;
import io.layeratlas.db.query.HostStatus;
import io.layeratlas.db.query.LayerQuery;
import io.layeratlas.db.query.PageInfo;

import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /layers/{digest}} and its API twins. HTTP in and out only. Lists are paged ({@code ?cursor=}, or
 * {@code hosts_cursor}/{@code images_cursor} on the layer page, and {@code limit}); the CSV and JSON exports stream
 * every host.
 */
final class LayerHandlers {
    private final LayerQuery query;
    private final Pages pages;
    private final ObjectMapper mapper;

    LayerHandlers(LayerQuery query, Pages pages, ObjectMapper mapper) {
        this.query = query;
        this.pages = pages;
        this.mapper = mapper;
    }

    /**
     * A host in the remediation list. {@code images} are image IDs; {@code imageRefs} adds, per image, the layer's
     * position and chain ID and the host's tags and repo digests of it: in the export and on request
     * ({@code ?include=imageRefs}), left out (null, not written) of the compact page; {@code containers} are the host's
     * containers running one of those images; {@code labels} the operator's.
     */
    record HostEntry(String hostId, List<String> images,
                     @JsonInclude(JsonInclude.Include.NON_NULL) List<LayerQuery.ImageOnHost> imageRefs, Instant firstSeen,
                     boolean stale, Instant lastReportAt, Instant lastInventoryAt, String agentVersion, String sourceKind,
                     List<ContainerOnHost> containers, Map<String, String> labels) {
        static HostEntry of(LayerQuery.HostHolding h) {
            HostStatus s = h.host();
            return new HostEntry(s.hostId(), h.imageIds(), h.images(), h.firstSeen(), s.stale(), s.lastReportAt(),
                    s.lastInventoryAt(), s.agentVersion(), s.sourceKind(), h.containers(), s.labels());
        }

        static HostEntry of(LayerQuery.CompactHost h) {
            HostStatus s = h.host();
            return new HostEntry(s.hostId(), h.imageIds(), null, h.firstSeen(), s.stale(), s.lastReportAt(),
                    s.lastInventoryAt(), s.agentVersion(), s.sourceKind(), h.containers(), s.labels());
        }
    }

    /**
     * The JSON of {@code /api/v1/layers/{digest}/hosts?include=imageRefs}: one page, each host with its
     * {@code imageRefs}.
     *
     * @param hostCount every page's hosts
     * @param next      cursor of the next page ({@code ?cursor=}), null on the last
     * @param previous  cursor of the previous page, null on the first
     */
    record HostsAnswer(String digest, LayerQuery.MatchedBy matchedBy, int hostCount, List<HostEntry> hosts, int limit,
                       String next, String previous, Freshness freshness) {
    }

    /**
     * The JSON of {@code /api/v1/layers/{digest}/hosts}: one page, compact. Each host lists its image IDs; where the
     * layer sits in each of those images (position, chain ID), the same on every host, is said once in {@code images}.
     *
     * @param images the page hosts' images containing the layer, each (image ID, position) once, by image ID
     * @param hosts  as {@link HostsAnswer}'s, without {@code imageRefs}
     */
    record CompactHostsAnswer(String digest, LayerQuery.MatchedBy matchedBy, int hostCount,
                              List<LayerQuery.LayerInImage> images, List<HostEntry> hosts, int limit, String next,
                              String previous, Freshness freshness) {
    }

    /**
     * The JSON of {@code /api/v1/layers/{digest}}: {@link LayerQuery.LayerDetail}'s fields, its page of hosts the
     * compact page {@code /api/v1/layers/{digest}/hosts} answers ({@link CompactHostsAnswer}'s {@code images} and
     * {@code hosts}; here {@code hostImages}, since {@code images} are the images containing the layer).
     *
     * @param hostImages the page hosts' images containing the layer, each (image ID, position) once, by image ID
     * @param hosts      one page of the hosts holding it, as the hosts' page gives them (no {@code imageRefs})
     */
    record LayerAnswer(String digest, LayerQuery.MatchedBy matchedBy, String diffId, List<LayerQuery.Chain> chains,
                       List<LayerQuery.Blob> blobs, Long size, int hostCount, List<LayerQuery.LayerInImage> hostImages,
                       List<HostEntry> hosts, PageInfo hostsPage, long imageCount,
                       List<LayerQuery.ImageContaining> images, PageInfo imagesPage, Freshness freshness) {
    }

    /**
     * What {@code ?include=} of the hosts' page and of the layer's answer may ask for: each host's images with
     * position, chain ID and tags.
     */
    static final String IMAGE_REFS = "imageRefs";

    /** Whether the request asks for each host's {@code imageRefs} (the full shape); 400 for any other include. */
    private static boolean imageRefs(Context ctx) {
        return Params.include(ctx, "include", Set.of(IMAGE_REFS)).contains(IMAGE_REFS);
    }

    /** The hosts of a compact page, as both compact answers write them. */
    private static List<HostEntry> entries(LayerQuery.CompactHosts page) {
        return page.hosts().stream().map(HostEntry::of).toList();
    }

    void hostsApi(Context ctx) {
        if (imageRefs(ctx)) {
            LayerQuery.LayerHosts answer = query.hosts(ctx.pathParam("digest"), Pager.request(ctx, "cursor"), Pager.labels(ctx));
            ctx.jsonStream(new HostsAnswer(answer.digest(), answer.matchedBy(), answer.hostCount(),
                    answer.hosts().stream().map(HostEntry::of).toList(), answer.page().limit(), answer.page().next(),
                    answer.page().previous(), answer.freshness()));
            return;
        }
        LayerQuery.CompactHosts answer = query.compactHosts(ctx.pathParam("digest"), Pager.request(ctx, "cursor"),
                Pager.labels(ctx));
        ctx.jsonStream(new CompactHostsAnswer(answer.digest(), answer.matchedBy(), answer.hostCount(), answer.images(),
                entries(answer), answer.page().limit(), answer.page().next(), answer.page().previous(),
                answer.freshness()));
    }

    /**
     * The remediation CSV: one line per host. {@code containers}: the host's containers running an affected image, as
     * {@code name:state} separated by spaces (Docker's names hold neither); {@code labels}: {@code key=value}
     * separated by {@code ;}. Each line is built in one reused buffer and written as it comes ({@link CsvLines}).
     */
    void hostsCsv(Context ctx) throws Exception {
        LayerQuery.LayerRef ref = query.resolve(ctx.pathParam("digest"));
        Map<String, String> labels = Pager.labels(ctx);
        ctx.contentType("text/csv; charset=utf-8");
        ctx.header("Content-Disposition", "attachment; filename=\"layer-" + Fmt.shortId(ref.digest()) + "-hosts.csv\"");
        try (Writer out = new BufferedWriter(new OutputStreamWriter(ctx.outputStream(), StandardCharsets.UTF_8), 1 << 16)) {
            out.write(Csv.line(List.of("host_id", "stale", "last_report_at", "first_seen", "image_ids", "repo_tags",
                    "containers", "labels")));
            CsvLines lines = new CsvLines(out);
            query.exportHosts(ref, labels, lines::write);
        }
    }

    /**
     * Writes the CSV's lines, each built in one buffer reused from host to host. The image IDs and tags of the
     * export's hosts are the same few thousand strings, shared from host to host ({@link LayerQuery#exportHosts}
     * gives one instance per image and tag set): whether each needs quoting is decided once per instance, and a field
     * of parts that need none is appended as it is, without a copy and a scan of its ~1,000 characters per host (JFR
     * at 10,000 hosts: {@link Csv#append} was a third of the writer's samples). Not thread-safe: one per export.
     */
    static final class CsvLines {
        private final Writer out;
        private final StringBuilder line = new StringBuilder(2048);
        private final StringBuilder field = new StringBuilder(256);
        private final List<String> parts = new ArrayList<>();
        /** The export's distinct tags, numbered; each shared tag list as its tags' numbers, by instance. */
        private final Map<String, Integer> tagIndex = new HashMap<>();
        private final List<String> tagText = new ArrayList<>();
        private final Map<List<String>, int[]> tagIds = new IdentityHashMap<>();
        /** The number of the last host that took each tag; {@code stamp}: this host's. */
        private int[] tagStamps = new int[64];
        private int stamp;
        /** Whether a shared image ID or tag is {@link Csv#plain}, by instance. */
        private final Map<String, Boolean> plain = new IdentityHashMap<>();
        private char[] chars = new char[2048];

        CsvLines(Writer out) {
            this.out = out;
        }

        void write(LayerQuery.HostHolding h) throws IOException {
            HostStatus s = h.host();
            line.setLength(0);
            Csv.append(line, s.hostId()).append(',');
            Csv.append(line, s.stale() ? "true" : "false").append(',');
            Csv.append(line, Fmt.iso(s.lastReportAt())).append(',');
            Csv.append(line, Fmt.iso(h.firstSeen())).append(',');
            joined(h.imageIds()).append(',');
            joined(tags(h)).append(',');
            Csv.append(line, containers(h)).append(',');
            Csv.append(line, labels(s)).append("\r\n");
            int n = line.length();
            if (chars.length < n) {
                chars = new char[Math.max(n, 2 * chars.length)];
            }
            line.getChars(0, n, chars, 0);
            out.write(chars, 0, n);
        }

        /**
         * Appends {@code values} separated by spaces as one field, as {@link Csv#append} would write their joined
         * text: as they are when each is plain and the first does not start like a formula.
         */
        private StringBuilder joined(List<String> values) {
            boolean asIs = values.isEmpty() || values.get(0).isEmpty() || !Csv.formula(values.get(0).charAt(0));
            for (int i = 0; i < values.size() && asIs; i++) {
                asIs = plain.computeIfAbsent(values.get(i), Csv::plain);
            }
            field.setLength(0);
            StringBuilder to = asIs ? line : field;
            for (int i = 0; i < values.size(); i++) {
                if (i > 0) {
                    to.append(' ');
                }
                to.append(values.get(i));
            }
            return asIs ? line : Csv.append(line, field);
        }

        /** The tags of a host's images, each once, in image order. */
        private List<String> tags(LayerQuery.HostHolding h) {
            // Each shared tag list is numbered once (its tags' indexes among the export's distinct tags), and a tag is
            // taken once per host by stamping its index with the host's number: a hash set of the tags taken, cleared
            // and filled per host, was a third of the writer's samples (JFR at 10,000 hosts). An image held at
            // several positions shares one tag list, skipped after the first by identity.
            stamp++;
            parts.clear();
            List<String> last = null;
            for (LayerQuery.ImageOnHost i : h.images()) {
                List<String> repoTags = i.repoTags();
                if (repoTags == last) {
                    continue;
                }
                last = repoTags;
                int[] ids = tagIds.get(repoTags);
                if (ids == null) {
                    ids = new int[repoTags.size()];
                    for (int j = 0; j < ids.length; j++) {
                        ids[j] = tagIndex.computeIfAbsent(repoTags.get(j), t -> {
                            tagText.add(t);
                            return tagText.size() - 1;
                        });
                    }
                    tagIds.put(repoTags, ids);
                    if (tagStamps.length < tagText.size()) {
                        tagStamps = Arrays.copyOf(tagStamps, Math.max(tagText.size(), 2 * tagStamps.length));
                    }
                }
                for (int id : ids) {
                    if (tagStamps[id] != stamp) {
                        tagStamps[id] = stamp;
                        parts.add(tagText.get(id));
                    }
                }
            }
            return parts;
        }

        /** The CSV's containers field: {@code name:state} (the ID when unnamed; {@code unknown} state) by spaces. */
        private CharSequence containers(LayerQuery.HostHolding h) {
            field.setLength(0);
            for (ContainerOnHost c : h.containers()) {
                if (!field.isEmpty()) {
                    field.append(' ');
                }
                field.append(c.name() == null ? c.containerId() : c.name()).append(':')
                        .append(c.state() == null ? "unknown" : c.state());
            }
            return field;
        }

        /** The CSV's labels field: {@code key=value} by {@code ;}. */
        private CharSequence labels(HostStatus s) {
            field.setLength(0);
            for (Map.Entry<String, String> e : s.labels().entrySet()) {
                if (!field.isEmpty()) {
                    field.append(';');
                }
                field.append(e.getKey()).append('=').append(e.getValue());
            }
            return field;
        }
    }

    /**
     * {@code {"digest","matchedBy","hosts":[HostEntry…],"hostCount"}}, streamed: every host, no cap. Each host is
     * written field by field on the generator ({@link JsonHosts}), in {@link HostEntry}'s shape with its
     * {@code imageRefs}, as the hosts' page with {@code ?include=imageRefs} writes it.
     */
    void hostsJson(Context ctx) throws Exception {
        LayerQuery.LayerRef ref = query.resolve(ctx.pathParam("digest"));
        Map<String, String> labels = Pager.labels(ctx);
        ctx.contentType("application/json");
        JsonFactory factory = mapper.getFactory();
        try (JsonGenerator g = factory.createGenerator(new BufferedOutputStream(ctx.outputStream(), 1 << 16))) {
            g.writeStartObject();
            g.writeStringField("digest", ref.digest());
            g.writeStringField("matchedBy", ref.matchedBy().name());
            g.writeArrayFieldStart("hosts");
            JsonHosts hosts = new JsonHosts(factory, g);
            long[] count = {0};
            query.exportHosts(ref, labels, h -> {
                hosts.write(h);
                count[0]++;
            });
            g.writeEndArray();
            g.writeNumberField("hostCount", count[0]);
            g.writeEndObject();
        }
    }

    /**
     * Writes the JSON export's hosts as {@link HostEntry#of(LayerQuery.HostHolding)} serializes them (field order,
     * nulls written, times as {@link ApiJson} writes them), straight to the generator: Jackson's databind cost ~1.5 ms
     * of dashboard CPU per 200 hosts (DESIGN, "The export"). The JSON export and the hosts' page with
     * {@code ?include=imageRefs} are compared host by host in PagingTest, and a host with JSON's special characters
     * byte for byte with databind's writing in ExportWritersTest.
     *
     * <p>Each image ref ({@link LayerQuery.ImageOnHost}) is written once per export to JSON text by a generator of the
     * same factory (Jackson escapes it, as it would on {@code g}) and reused by identity wherever a host holds it:
     * {@link LayerQuery#exportHosts} gives one instance per image, tag set and place, so a 10,000-host export writes
     * a few thousand refs, not its ~160,000 pairs (JFR: Jackson encoding the JSON's strings was the export's largest
     * cost). Image IDs are kept quoted and encoded likewise. Memory: those refs and IDs, once each. Not thread-safe:
     * one per export.
     */
    static final class JsonHosts {
        private static final SerializedString HOST_ID = new SerializedString("hostId");
        private static final SerializedString IMAGES = new SerializedString("images");
        private static final SerializedString IMAGE_REFS = new SerializedString("imageRefs");

        private final JsonFactory factory;
        private final JsonGenerator g;
        private final Map<LayerQuery.ImageOnHost, SerializedString> refs = new IdentityHashMap<>();
        private final Map<String, SerializedString> ids = new HashMap<>();
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);

        JsonHosts(JsonFactory factory, JsonGenerator g) {
            this.factory = factory;
            this.g = g;
        }

        void write(LayerQuery.HostHolding h) throws IOException {
            HostStatus s = h.host();
            g.writeStartObject();
            g.writeFieldName(HOST_ID);
            g.writeString(s.hostId());
            g.writeFieldName(IMAGES);
            g.writeStartArray();
            for (String id : h.imageIds()) {
                g.writeString(ids.computeIfAbsent(id, SerializedString::new));
            }
            g.writeEndArray();
            g.writeFieldName(IMAGE_REFS);
            g.writeStartArray();
            for (LayerQuery.ImageOnHost i : h.images()) {
                SerializedString ref = refs.get(i);
                if (ref == null) {
                    ref = json(i);
                    refs.put(i, ref);
                }
                g.writeRawValue(ref);
            }
            g.writeEndArray();
            ApiJson.instantField(g, "firstSeen", h.firstSeen());
            g.writeBooleanField("stale", s.stale());
            ApiJson.instantField(g, "lastReportAt", s.lastReportAt());
            ApiJson.instantField(g, "lastInventoryAt", s.lastInventoryAt());
            g.writeStringField("agentVersion", s.agentVersion());
            g.writeStringField("sourceKind", s.sourceKind());
            g.writeArrayFieldStart("containers");
            for (ContainerOnHost c : h.containers()) {
                g.writeStartObject();
                g.writeStringField("containerId", c.containerId());
                g.writeStringField("name", c.name());
                g.writeStringField("state", c.state());
                ApiJson.instantField(g, "created", c.created());
                g.writeStringField("imageId", c.imageId());
                g.writeStringField("image", c.image());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("labels");
            for (Map.Entry<String, String> e : s.labels().entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        }

        /** An image ref as JSON text, written by a generator of the export's factory. */
        private SerializedString json(LayerQuery.ImageOnHost i) throws IOException {
            buffer.reset();
            try (JsonGenerator r = factory.createGenerator(buffer)) {
                r.writeStartObject();
                r.writeStringField("imageId", i.imageId());
                r.writeNumberField("position", i.position());
                r.writeStringField("chainId", i.chainId());
                strings(r, "repoTags", i.repoTags());
                strings(r, "repoDigests", i.repoDigests());
                r.writeEndObject();
            }
            return new SerializedString(buffer.toString(StandardCharsets.UTF_8));
        }
    }

    private static void strings(JsonGenerator g, String field, List<String> values) throws IOException {
        g.writeArrayFieldStart(field);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }

    /** {@code /api/v1/layers/{digest}/origin}: the history step that created the layer and its base-image family. */
    void originApi(Context ctx) {
        ctx.jsonStream(query.origin(ctx.pathParam("digest")));
    }

    /**
     * {@code /api/v1/layers/{digest}}: compact ({@link LayerAnswer}), or with {@code ?include=imageRefs}
     * {@link LayerQuery.LayerDetail} as it is (each host with its images' position, chain ID, tags and repo digests).
     */
    void api(Context ctx) {
        if (imageRefs(ctx)) {
            ctx.jsonStream(query.detail(ctx.pathParam("digest"), Pager.request(ctx, "hosts_cursor"),
                    Pager.request(ctx, "images_cursor"), Pager.labels(ctx)));
            return;
        }
        LayerQuery.CompactLayerDetail d = query.compactDetail(ctx.pathParam("digest"), Pager.request(ctx, "hosts_cursor"),
                Pager.request(ctx, "images_cursor"), Pager.labels(ctx));
        LayerQuery.CompactHosts hosts = d.hosts();
        ctx.jsonStream(new LayerAnswer(d.digest(), d.matchedBy(), d.diffId(), d.chains(), d.blobs(), d.size(),
                hosts.hostCount(), hosts.images(), entries(hosts), hosts.page(), d.imageCount(), d.images(),
                d.imagesPage(), hosts.freshness()));
    }

    void page(Context ctx) {
        LayerQuery.LayerDetail layer = query.detail(ctx.pathParam("digest"), Pager.request(ctx, "hosts_cursor"),
                Pager.request(ctx, "images_cursor"), Pager.labels(ctx));
        if (!layer.digest().equals(ctx.pathParam("digest"))) {
            // A prefix: land on the canonical address, so links and bookmarks carry the full digest.
            ctx.redirect("/layers/" + Fmt.path(layer.digest()));
            return;
        }
        pages.render(ctx, "layer.jte", Map.of("layer", layer, "origin", query.origin(layer.digest()),
                "hostsPager", Pager.of(ctx, "layer-hosts", "hosts_cursor", layer.hosts().size(), layer.hostsPage()),
                "imagesPager", Pager.of(ctx, "layer-images", "images_cursor", layer.images().size(), layer.imagesPage())));
    }
}
