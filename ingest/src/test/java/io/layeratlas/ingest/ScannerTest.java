package io.layeratlas.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.SourceKind;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScannerTest {

    @Test
    void a_data_root_is_detected_and_scanned() {
        String root = Fixtures.dataRoot("web-01").toString();
        assertThat(Scanner.detect(root)).contains(SourceKind.DATA_ROOT);
        HostInventory inv = new Scanner().scan(root, Optional.empty(), "web-01");
        assertThat(inv.kind()).isEqualTo("data-root");
        assertThat(inv.hostId()).isEqualTo("web-01");
        assertThat(inv.images()).hasSize(DockerTruth.of("web-01").inspect().size());
    }

    @Test
    void other_shapes_are_detected_by_what_the_path_holds(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.tar"), "x");
        Files.createDirectories(dir.resolve("layout"));
        Files.writeString(dir.resolve("layout/oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.createDirectories(dir.resolve("old/graph"));
        Files.createDirectories(dir.resolve("empty"));
        assertThat(Scanner.detect(dir.resolve("a.tar").toString())).contains(SourceKind.ARCHIVE);
        assertThat(Scanner.detect(dir.resolve("layout").toString())).contains(SourceKind.OCI_LAYOUT);
        assertThat(Scanner.detect(dir.resolve("old").toString())).contains(SourceKind.LEGACY_GRAPH);
        assertThat(Scanner.detect("unix:///var/run/docker.sock")).contains(SourceKind.ENGINE_API);
        assertThat(Scanner.detect(dir.resolve("empty").toString())).isEmpty();
        assertThat(Scanner.detect(dir.resolve("missing").toString())).isEmpty();
    }

    @Test
    void an_unrecognisable_source_is_refused_with_its_path(@TempDir Path dir) {
        assertThatThrownBy(() -> new Scanner().scan(dir.toString(), Optional.empty(), "h"))
                .isInstanceOf(UnreadableSourceException.class)
                .hasMessageContaining(dir.toString()).hasMessageContaining("--kind");
        assertThatThrownBy(() -> new Scanner().scan(dir.resolve("nope").toString(), Optional.empty(), "h"))
                .isInstanceOf(UnreadableSourceException.class).hasMessageContaining("no such file");
    }

    @Test
    void a_given_kind_overrides_detection(@TempDir Path dir) {
        assertThatThrownBy(() -> new Scanner().scan(dir.toString(), Optional.of(SourceKind.DATA_ROOT), "h"))
                .isInstanceOf(UnreadableSourceException.class).hasMessageContaining("not a Docker data-root");
    }

    @Test
    void the_scan_report_is_host_inventories_inside_sources() throws Exception {
        HostInventory inv = new Scanner().scan(Fixtures.dataRoot("web-02").toString(), Optional.empty(), "web-02");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ScanReport.write(List.of(inv), out, true);
        JsonNode tree = new ObjectMapper().readTree(out.toByteArray());
        assertThat(tree.fieldNames()).toIterable().containsExactly("sources");
        JsonNode src = tree.get("sources").get(0);
        assertThat(src.get("source").asText()).isEqualTo(inv.source());
        assertThat(src.get("kind").asText()).isEqualTo("data-root");
        assertThat(src.get("hostId").asText()).isEqualTo("web-02");
        assertThat(src.get("images")).hasSize(DockerTruth.of("web-02").inspect().size());
        assertThat(src.get("problems").isArray()).isTrue();
        assertThat(EventCodec.newMapper().treeToValue(src, HostInventory.class)).isEqualTo(inv);
    }

    @Test
    void a_containerd_image_store_with_an_empty_meta_db_is_detected_and_its_problem_names_the_file(@TempDir Path dir) throws Exception {
        // issue 12: reported before as "cannot tell what kind of image storage this is; give --kind"
        Path db = dir.resolve("docker/containerd/daemon/io.containerd.metadata.v1.bolt/meta.db");
        Files.createDirectories(db.getParent());
        Files.write(db, new byte[0]);
        HostInventory inv = new Scanner().scanOrReport(dir.resolve("docker").toString(), Optional.empty(), "h");
        assertThat(inv.kind()).isEqualTo("data-root");
        assertThat(inv.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo(dir.resolve("docker").toString());
            assertThat(p.reason()).startsWith("io.containerd.metadata.v1.bolt/meta.db: not a bbolt database: meta page 0"
                    + " (at byte 16) is past the end of the file (0 bytes)");
        });
    }
}
