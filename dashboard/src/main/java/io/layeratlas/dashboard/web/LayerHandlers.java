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
     * at 10,000 hosts: {@link Csv#append} was a third of the writer's samples). A host's images are read by number
     * ({@link #refs}): its image IDs and each ref's tags are looked up in arrays and taken once each by stamps, with no
     * list of IDs and no identity map per host. Not thread-safe: one per export.
     */
    static final class CsvLines {
        private final Writer out;
        private final StringBuilder line = new StringBuilder(2048);
        private final StringBuilder field = new StringBuilder(256);
        private final List<String> parts = new ArrayList<>();
        /** The export's distinct tags, numbered, and whether each is {@link Csv#plain}. */
        private final Map<String, Integer> tagIndex = new HashMap<>();
        private final List<String> tagText = new ArrayList<>();
        private boolean[] tagPlain = new boolean[64];
        /** Each ref's tags as the tags' numbers, by ref number. */
        private int[][] refTags = new int[0][];
        /** The number of the last host that took each tag; {@code stamp}: this host's. */
        private int[] tagStamps = new int[64];
        private int stamp;
        /** The export's table (of the first host's {@link LayerQuery.Refs}); its image IDs' stamps and plainness. */
        private LayerQuery.RefTable table;
        private int[] idStamps = new int[0];
        private byte[] idPlain = new byte[0]; // 0 not known yet, 1 plain, 2 not
        /** Whether every part the last {@link #ids} or {@link #tags} gave is {@link Csv#plain}. */
        private boolean partsPlain;
        private char[] chars = new char[2048];

        CsvLines(Writer out) {
            this.out = out;
        }

        /** @throws IllegalArgumentException when {@code h}'s images are not numbers into the export's table ({@link #refs}) */
        void write(LayerQuery.HostHolding h) throws IOException {
            HostStatus s = h.host();
            LayerQuery.Refs numbered = refs(h, table);
            table = numbered.table();
            line.setLength(0);
            Csv.append(line, s.hostId()).append(',');
            Csv.append(line, s.stale() ? "true" : "false").append(',');
            Csv.append(line, Fmt.iso(s.lastReportAt())).append(',');
            Csv.append(line, Fmt.iso(h.firstSeen())).append(',');
            joined(ids(numbered)).append(',');
            joined(tags(numbered)).append(',');
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
         * text: as they are when each is plain ({@link #partsPlain}) and the first does not start like a formula.
         */
        private StringBuilder joined(List<String> values) {
            boolean asIs = partsPlain
                    && (values.isEmpty() || values.get(0).isEmpty() || !Csv.formula(values.get(0).charAt(0)));
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

        /** A host's image IDs by number: each once, in the order first met, as {@code imageIds} gives them. */
        private List<String> ids(LayerQuery.Refs refs) {
            if (idStamps.length < table.imageCount()) {
                int n = Math.max(table.imageCount(), 2 * idStamps.length);
                idStamps = Arrays.copyOf(idStamps, n);
                idPlain = Arrays.copyOf(idPlain, n);
            }
            stamp++;
            parts.clear();
            partsPlain = true;
            for (int i = 0; i < refs.size(); i++) {
                int number = refs.number(i);
                int image = table.image(number);
                if (idStamps[image] != stamp) {
                    idStamps[image] = stamp;
                    String id = table.ref(number).imageId();
                    if (idPlain[image] == 0) {
                        idPlain[image] = (byte) (Csv.plain(id) ? 1 : 2);
                    }
                    partsPlain &= idPlain[image] == 1;
                    parts.add(id);
                }
            }
            return parts;
        }

        /** The tags of a host's images, each once, in image order. */
        private List<String> tags(LayerQuery.Refs refs) {
            // Each ref's tag list is numbered once (its tags' indexes among the export's distinct tags), and a tag is
            // taken once per host by stamping its index with the host's number: a hash set of the tags taken, cleared
            // and filled per host, was a third of the writer's samples (JFR at 10,000 hosts). An image held at
            // several positions shares one tag list, skipped after the first by identity.
            stamp++;
            parts.clear();
            partsPlain = true;
            if (refTags.length < table.size()) {
                refTags = Arrays.copyOf(refTags, Math.max(table.size(), 2 * refTags.length));
            }
            List<String> last = null;
            for (int k = 0; k < refs.size(); k++) {
                int number = refs.number(k);
                List<String> repoTags = table.ref(number).repoTags();
                if (repoTags == last) {
                    continue;
                }
                last = repoTags;
                int[] ids = refTags[number];
                if (ids == null) {
                    ids = number(repoTags);
                    refTags[number] = ids;
                }
                for (int id : ids) {
                    if (tagStamps[id] != stamp) {
                        tagStamps[id] = stamp;
                        parts.add(tagText.get(id));
                        partsPlain &= tagPlain[id];
                    }
                }
            }
            return parts;
        }

        /** A tag list as its tags' numbers, numbering the tags not met before. */
        private int[] number(List<String> repoTags) {
            int[] ids = new int[repoTags.size()];
            for (int j = 0; j < ids.length; j++) {
                ids[j] = tagIndex.computeIfAbsent(repoTags.get(j), t -> {
                    tagText.add(t);
                    return tagText.size() - 1;
                });
            }
            int n = tagText.size();
            if (tagStamps.length < n) {
                tagStamps = Arrays.copyOf(tagStamps, Math.max(n, 2 * tagStamps.length));
                tagPlain = Arrays.copyOf(tagPlain, tagStamps.length);
            }
            for (int id : ids) {
                tagPlain[id] = Csv.plain(tagText.get(id));
            }
            return ids;
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
     * written by {@link JsonHosts} (its fields on the generator, its images as the JSON text written once per ref), in
     * {@link HostEntry}'s shape with its {@code imageRefs}, as the hosts' page with {@code ?include=imageRefs} writes
     * it.
     */
    void hostsJson(Context ctx) throws Exception {
        LayerQuery.LayerRef ref = query.resolve(ctx.pathParam("digest"));
        Map<String, String> labels = Pager.labels(ctx);
        ctx.contentType("application/json");
        try (JsonHosts hosts = new JsonHosts(mapper.getFactory(), ctx.outputStream())) {
            JsonGenerator g = hosts.generator();
            g.writeStartObject();
            g.writeStringField("digest", ref.digest());
            g.writeStringField("matchedBy", ref.matchedBy().name());
            g.writeArrayFieldStart("hosts");
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
     * same factory (Jackson escapes it, as it would on {@code g}) and copied wherever a host holds it: a 10,000-host
     * export writes a few thousand refs, not its ~160,000 pairs (JFR: Jackson encoding the JSON's strings was the
     * export's largest cost). Image IDs are kept quoted and encoded likewise. {@link LayerQuery#exportHosts} gives each
     * host's images as {@link LayerQuery.Refs}, numbers into the export's one {@link LayerQuery.RefTable}: what was
     * written is then kept in arrays by ref and image number, and a host's image IDs are taken once each by stamping
     * their numbers (JFR at 10,000 hosts: the identity map of the refs, the map of the image IDs and each host's list
     * of IDs were ~a fifth of the writer's samples). Memory: those refs and IDs, once each.
     *
     * <p>The writer owns the output's one buffer ({@link Out}, 64 KB): the generator writes into it, and a host's
     * {@code images} and {@code imageRefs} (~7 KB of the ~7.4 KB a host at 10,000 hosts) are copied into it as
     * they are, after the generator has handed over what it holds (it then writes the next field after a comma, as
     * it would have). Written through the generator, each ref was copied twice (into the generator's 8 KB buffer,
     * then into a {@code BufferedOutputStream}'s) with the generator's checks per value. Not thread-safe: one per
     * export.
     */
    static final class JsonHosts implements java.io.Closeable {
        // Field names written as encoded once (Jackson's writeFieldName(String) escapes and encodes each every time).
        private static final SerializedString HOST_ID = new SerializedString("hostId");
        private static final SerializedString IMAGES = new SerializedString("images");
        private static final SerializedString IMAGE_REFS = new SerializedString("imageRefs");
        private static final SerializedString FIRST_SEEN = new SerializedString("firstSeen");
        private static final SerializedString STALE = new SerializedString("stale");
        private static final SerializedString LAST_REPORT_AT = new SerializedString("lastReportAt");
        private static final SerializedString LAST_INVENTORY_AT = new SerializedString("lastInventoryAt");
        private static final SerializedString AGENT_VERSION = new SerializedString("agentVersion");
        private static final SerializedString SOURCE_KIND = new SerializedString("sourceKind");
        private static final SerializedString CONTAINERS = new SerializedString("containers");
        private static final SerializedString CONTAINER_ID = new SerializedString("containerId");
        private static final SerializedString NAME = new SerializedString("name");
        private static final SerializedString STATE = new SerializedString("state");
        private static final SerializedString CREATED = new SerializedString("created");
        private static final SerializedString IMAGE_ID = new SerializedString("imageId");
        private static final SerializedString IMAGE = new SerializedString("image");
        private static final SerializedString LABELS = new SerializedString("labels");

        private static final byte[] IMAGES_START = ",\"images\":[".getBytes(StandardCharsets.UTF_8);
        private static final byte[] IMAGE_REFS_START = "],\"imageRefs\":[".getBytes(StandardCharsets.UTF_8);

        private final JsonFactory factory;
        private final Out out;
        private final JsonGenerator g;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
        /** The export's table (of the first host's {@link LayerQuery.Refs}), and what was written of it by number. */
        private LayerQuery.RefTable table;
        private byte[][] written = new byte[0][];
        private byte[][] quotedIds = new byte[0][];
        /** The number of the last host that wrote each image ID; {@code stamp}: this host's. */
        private int[] idStamps = new int[0];
        private int stamp;

        /** A writer to {@code out}, which it closes; {@link #generator} writes what surrounds the hosts. */
        JsonHosts(JsonFactory factory, java.io.OutputStream out) throws IOException {
            this.factory = factory;
            this.out = new Out(out);
            this.g = factory.createGenerator(this.out);
        }

        /** The generator the hosts are written on: the caller writes the answer around them with it. */
        JsonGenerator generator() {
            return g;
        }

        /** Closes the generator (the answer must be complete), then writes what is buffered and closes the output. */
        @Override
        public void close() throws IOException {
            try {
                g.close();
            } finally {
                out.close();
            }
        }

        /** @throws IllegalArgumentException when {@code h}'s images are not numbers into the export's table ({@link #refs}) */
        void write(LayerQuery.HostHolding h) throws IOException {
            HostStatus s = h.host();
            LayerQuery.Refs numbered = refs(h, table);
            table = numbered.table();
            g.writeStartObject();
            g.writeFieldName(HOST_ID);
            g.writeString(s.hostId());
            images(numbered);
            instant(FIRST_SEEN, h.firstSeen());
            g.writeFieldName(STALE);
            g.writeBoolean(s.stale());
            instant(LAST_REPORT_AT, s.lastReportAt());
            instant(LAST_INVENTORY_AT, s.lastInventoryAt());
            g.writeFieldName(AGENT_VERSION);
            g.writeString(s.agentVersion());
            g.writeFieldName(SOURCE_KIND);
            g.writeString(s.sourceKind());
            g.writeFieldName(CONTAINERS);
            g.writeStartArray();
            for (ContainerOnHost c : h.containers()) {
                g.writeStartObject();
                g.writeFieldName(CONTAINER_ID);
                g.writeString(c.containerId());
                g.writeFieldName(NAME);
                g.writeString(c.name());
                g.writeFieldName(STATE);
                g.writeString(c.state());
                instant(CREATED, c.created());
                g.writeFieldName(IMAGE_ID);
                g.writeString(c.imageId());
                g.writeFieldName(IMAGE);
                g.writeString(c.image());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeFieldName(LABELS);
            g.writeStartObject();
            for (Map.Entry<String, String> e : s.labels().entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        }

        /**
         * {@code field}: {@code t} as {@link ApiJson#instantField} writes it. Its ISO-8601 text is ASCII with nothing
         * JSON escapes, so its bytes go out as they are, without Jackson's scan and encoding of each character.
         */
        private void instant(SerializedString field, Instant t) throws IOException {
            g.writeFieldName(field);
            if (Fmt.known(t)) {
                byte[] iso = ApiJson.iso(t).getBytes(StandardCharsets.US_ASCII);
                g.writeRawUTF8String(iso, 0, iso.length);
            } else {
                g.writeNull();
            }
        }

        /**
         * {@code images} (each image ID once, in the order first met) and {@code imageRefs}, by number, copied into
         * the output after the generator's bytes so far: the generator's last field is the host ID, and it writes
         * the next after a comma.
         */
        private void images(LayerQuery.Refs refs) throws IOException {
            if (written.length < table.size()) {
                written = Arrays.copyOf(written, Math.max(table.size(), 2 * written.length));
            }
            if (quotedIds.length < table.imageCount()) {
                int n = Math.max(table.imageCount(), 2 * quotedIds.length);
                quotedIds = Arrays.copyOf(quotedIds, n);
                idStamps = Arrays.copyOf(idStamps, n);
            }
            stamp++;
            g.flush(); // into out, whose flush() goes no further
            out.write(IMAGES_START);
            boolean first = true;
            for (int i = 0; i < refs.size(); i++) {
                int number = refs.number(i);
                int image = table.image(number);
                if (idStamps[image] != stamp) {
                    idStamps[image] = stamp;
                    byte[] id = quotedIds[image];
                    if (id == null) {
                        id = json(table.ref(number).imageId());
                        quotedIds[image] = id;
                    }
                    if (!first) {
                        out.write(',');
                    }
                    first = false;
                    out.write(id);
                }
            }
            out.write(IMAGE_REFS_START);
            for (int i = 0; i < refs.size(); i++) {
                int number = refs.number(i);
                byte[] ref = written[number];
                if (ref == null) {
                    ref = json(table.ref(number));
                    written[number] = ref;
                }
                if (i > 0) {
                    out.write(',');
                }
                out.write(ref);
            }
            out.write(']');
        }

        /** An image ID as a JSON string (quoted, escaped), written by a generator of the export's factory. */
        private byte[] json(String id) throws IOException {
            buffer.reset();
            try (JsonGenerator r = factory.createGenerator(buffer)) {
                r.writeString(id);
            }
            return buffer.toByteArray();
        }

        /** An image ref as JSON text, written by a generator of the export's factory. */
        private byte[] json(LayerQuery.ImageOnHost i) throws IOException {
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
            return buffer.toByteArray();
        }

        /**
         * The export's output buffer (64 KB, as the {@code BufferedOutputStream} it replaces): written to {@code out}
         * when full, and on {@link #close}. {@link #flush} does not reach {@code out}: the generator flushes into
         * this before each host's images, and a flush per host would send the answer a host at a time.
         */
        private static final class Out extends java.io.OutputStream {
            private final java.io.OutputStream out;
            private final byte[] buf = new byte[1 << 16];
            private int n;
            private boolean closed;

            Out(java.io.OutputStream out) {
                this.out = out;
            }

            @Override
            public void write(int b) throws IOException {
                if (n == buf.length) {
                    drain();
                }
                buf[n++] = (byte) b;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len > buf.length - n) {
                    drain();
                    if (len >= buf.length) {
                        out.write(b, off, len);
                        return;
                    }
                }
                System.arraycopy(b, off, buf, n, len);
                n += len;
            }

            private void drain() throws IOException {
                if (n > 0) {
                    out.write(buf, 0, n);
                    n = 0;
                }
            }

            @Override
            public void flush() {
                // see the class comment: written on close
            }

            @Override
            public void close() throws IOException {
                if (!closed) {
                    closed = true;
                    try {
                        drain();
                    } finally {
                        out.close();
                    }
                }
            }
        }
    }

    /**
     * {@code h}'s images as numbers into {@code table}, the one table of refs an export's writer keeps what it wrote of
     * by number ({@link LayerQuery#exportHosts} gives every host's images so; {@code table} null for the first host).
     *
     * @throws IllegalArgumentException when they are not {@link LayerQuery.Refs}, or are of another table
     */
    static LayerQuery.Refs refs(LayerQuery.HostHolding h, LayerQuery.RefTable table) {
        if (h.images() instanceof LayerQuery.Refs refs && (table == null || refs.table() == table)) {
            return refs;
        }
        throw new IllegalArgumentException("host " + h.host().hostId() + ": an export's hosts carry their images as"
                + " numbers into the export's one table of refs (LayerQuery.exportHosts), not as "
                + h.images().getClass().getSimpleName());
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
