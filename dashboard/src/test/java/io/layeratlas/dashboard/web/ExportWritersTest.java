package io.layeratlas.dashboard.web;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.db.query.ContainerOnHost;
import io.layeratlas.db.query.HostStatus;
import io.layeratlas.db.query.LayerQuery;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The layer export's writers on hosts the fixtures do not hold: an image at two positions of one host, a tag two
 * images share, tags and labels with JSON's special characters, and image refs shared by hosts (as
 * {@link LayerQuery#exportHosts} shares them). The JSON's reference is the API's own databind mapping of
 * {@link LayerHandlers.HostEntry}.
 */
class ExportWritersTest {
    private static final String A = "sha256:" + "a".repeat(64);
    private static final String B = "sha256:" + "b".repeat(64);
    private static final Instant SEEN = Instant.parse("2026-11-29T07:25:01.123Z");

    // One instance per image, tag set and place, shared by the hosts that hold it.
    private static final List<String> A_TAGS = List.of("app:1", "app:\"quoted\" \\ back", "app:é✓\u0001\n\t😀");
    private static final LayerQuery.ImageOnHost A_LOW = new LayerQuery.ImageOnHost(A, 1, "sha256:" + "c".repeat(64),
            A_TAGS, List.of("reg/app@sha256:" + "d".repeat(64)));
    private static final LayerQuery.ImageOnHost A_HIGH = new LayerQuery.ImageOnHost(A, 3, "sha256:" + "e".repeat(64),
            A_TAGS, List.of("reg/app@sha256:" + "d".repeat(64)));
    private static final LayerQuery.ImageOnHost B_REF = new LayerQuery.ImageOnHost(B, 0, "sha256:" + "f".repeat(64),
            List.of("other:2", "app:1"), List.of());

    private static LayerQuery.HostHolding host(String id, Map<String, String> labels, List<LayerQuery.ImageOnHost> images,
                                               List<ContainerOnHost> containers) {
        HostStatus s = new HostStatus(id, "agent", "agent", "1.2.3", 4, SEEN, SEEN, SEEN, 60L, SEEN, SEEN, false,
                "27.0.1", "overlay2", "/var/lib/docker", "linux", labels);
        return new LayerQuery.HostHolding(s, SEEN, images, containers);
    }

    private static final LayerQuery.HostHolding BOTH = host("host-\"1\"", labelsOf("team", "a;b=\"c\"", "env", "prod"),
            List.of(A_LOW, A_HIGH, B_REF),
            List.of(new ContainerOnHost("0123456789ab", null, null, null, A, "app:1"),
                    new ContainerOnHost("ba9876543210", "web", "running", SEEN, B, "other:2")));
    private static final LayerQuery.HostHolding ONLY_B = host("host-2", Map.of(), List.of(B_REF), List.of());
    private static final LayerQuery.HostHolding NONE = host("host-3", Map.of(), List.of(), List.of());

    /**
     * {@code hosts} with their images as numbers into one table of refs, as {@link LayerQuery#exportHosts} gives them
     * (the writers then look up by number): each distinct ref added once, in the order met.
     */
    private static List<LayerQuery.HostHolding> numbered(List<LayerQuery.HostHolding> hosts) {
        LayerQuery.RefTable table = new LayerQuery.RefTable();
        Map<LayerQuery.ImageOnHost, Integer> numbers = new java.util.IdentityHashMap<>();
        List<LayerQuery.HostHolding> out = new java.util.ArrayList<>();
        for (LayerQuery.HostHolding h : hosts) {
            int[] refs = h.images().stream().mapToInt(i -> numbers.computeIfAbsent(i, table::add)).toArray();
            out.add(new LayerQuery.HostHolding(h.host(), h.firstSeen(), table.list(refs), h.containers()));
        }
        return out;
    }

    /** The CSV lines one export's writer writes for {@code hosts} (numbered into one table), in order. */
    private static String[] csvLines(LayerQuery.HostHolding... hosts) throws Exception {
        StringWriter out = new StringWriter();
        LayerHandlers.CsvLines lines = new LayerHandlers.CsvLines(out);
        for (LayerQuery.HostHolding h : numbered(List.of(hosts))) {
            lines.write(h);
        }
        return out.toString().split("\r\n");
    }

    private static Map<String, String> labelsOf(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void the_json_export_writes_each_host_byte_for_byte_as_the_api_mapping_does_refs_shared_or_not() throws Exception {
        assertJsonAsTheApiMapping(numbered(List.of(BOTH, ONLY_B, NONE, BOTH)));
        // An image's ID twice, not side by side, and a host out of image ID order: each ID once, in the order met.
        LayerQuery.HostHolding outOfOrder = host("host-5", Map.of(), List.of(B_REF, A_LOW, B_REF, A_HIGH), List.of());
        assertJsonAsTheApiMapping(numbered(List.of(outOfOrder, BOTH, outOfOrder)));
    }

    private static void assertJsonAsTheApiMapping(List<LayerQuery.HostHolding> hosts) throws Exception {
        ObjectMapper mapper = ApiJson.mapper();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (LayerHandlers.JsonHosts writer = new LayerHandlers.JsonHosts(mapper.getFactory(), out)) {
            JsonGenerator g = writer.generator();
            g.writeStartArray();
            for (LayerQuery.HostHolding h : hosts) {
                writer.write(h);
            }
            g.writeEndArray();
        }
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write('[');
        for (int i = 0; i < hosts.size(); i++) {
            if (i > 0) {
                expected.write(',');
            }
            expected.write(mapper.writeValueAsBytes(LayerHandlers.HostEntry.of(hosts.get(i))));
        }
        expected.write(']');
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(expected.toString(StandardCharsets.UTF_8));
        assertThat(out.toByteArray()).isEqualTo(expected.toByteArray());
    }

    @Test
    void the_csv_export_lists_a_hosts_tags_once_each_in_image_order() throws Exception {
        String[] written = csvLines(BOTH, ONLY_B, NONE);
        // A at positions 1 and 3 gives its tags once; B's app:1 is A's, already listed. Labels by key (HostStatus).
        assertThat(written[0]).isEqualTo("\"host-\"\"1\"\"\",false,2026-11-29T07:25:01.123Z,2026-11-29T07:25:01.123Z,"
                + A + " " + B + ",\"app:1 app:\"\"quoted\"\" \\ back app:é✓\u0001\n\t😀 other:2\","
                + "0123456789ab:unknown web:running,\"env=prod;team=a;b=\"\"c\"\"\"");
        // The next host's tags start afresh: B's own order.
        assertThat(written[1]).isEqualTo("host-2,false,2026-11-29T07:25:01.123Z,2026-11-29T07:25:01.123Z," + B
                + ",other:2 app:1,,");
        assertThat(written[2]).isEqualTo("host-3,false,2026-11-29T07:25:01.123Z,2026-11-29T07:25:01.123Z,,,,");
    }

    @Test
    void the_csv_export_quotes_a_field_of_shared_parts_that_starts_like_a_formula_and_lists_ids_out_of_order_once()
            throws Exception {
        // B at positions 2 and 0 with two tag lists, the first starting with "=": the field is quoted after an
        // apostrophe (OWASP "CSV Injection"), though each tag needs no quoting of its own.
        LayerQuery.ImageOnHost formula = new LayerQuery.ImageOnHost(B, 2, "sha256:" + "9".repeat(64),
                List.of("=1+2:x", "plain:1"), List.of());
        LayerQuery.HostHolding startsLikeAFormula = host("host-4", Map.of(), List.of(formula, B_REF), List.of());
        // Images not by image ID (B, then A, then B again): each ID once, in the order met.
        LayerQuery.HostHolding outOfOrder = host("host-5", Map.of(), List.of(B_REF, A_LOW, A_HIGH, B_REF), List.of());
        String[] written = csvLines(startsLikeAFormula, outOfOrder, startsLikeAFormula);
        String first = "host-4,false,2026-11-29T07:25:01.123Z,2026-11-29T07:25:01.123Z," + B
                + ",\"'=1+2:x plain:1 other:2 app:1\",,";
        assertThat(written[0]).isEqualTo(first);
        assertThat(written[1]).isEqualTo("host-5,false,2026-11-29T07:25:01.123Z,2026-11-29T07:25:01.123Z," + B + " " + A
                + ",\"other:2 app:1 app:\"\"quoted\"\" \\ back app:é✓\u0001\n\t😀\",,");
        assertThat(written[2]).isEqualTo(first);
        assertThat(outOfOrder.imageIds()).containsExactly(B, A);
    }

    @Test
    void a_host_whose_images_are_not_numbers_into_the_exports_table_is_refused_by_name() throws Exception {
        List<LayerQuery.HostHolding> first = numbered(List.of(ONLY_B));
        List<LayerQuery.HostHolding> otherTable = numbered(List.of(BOTH));
        LayerHandlers.CsvLines csv = new LayerHandlers.CsvLines(new StringWriter());
        csv.write(first.get(0));
        assertThatThrownBy(() -> csv.write(otherTable.get(0))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("host-\"1\"");
        try (LayerHandlers.JsonHosts json = new LayerHandlers.JsonHosts(ApiJson.mapper().getFactory(),
                new ByteArrayOutputStream())) {
            json.generator().writeStartArray();
            assertThatThrownBy(() -> json.write(BOTH)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("host-\"1\"").hasMessageContaining("table of refs");
            json.generator().writeEndArray();
        }
    }
}
