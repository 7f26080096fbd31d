package io.layeratlas.ingest.containerd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.ingest.engine.DockerDaemon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 12, point 1: Docker's containerd image store read from disk, daemon stopped, equals what the same daemon's
 * Engine API said. The daemon is Debian trixie's Docker 26.1 with {@code containerd-snapshotter} ({@link
 * TrixieDocker}); its images: a busybox rootfs imported with two tags, the same rootfs imported again untagged
 * (same layer, so a shared one), a one-file rootfs imported untagged, and an image built on the first with the
 * classic builder (a COPY: two layers and a parent). Every expected value is the daemon's: {@code GET /images/json},
 * {@code /images/{id}/json}, {@code /images/{id}/history}, and {@code ctr images ls} for the bbolt file itself.
 */
class ContainerdStoreTruthTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static TrixieDocker docker;
    private static Path dataRoot;
    private static JsonNode list;
    private static final Map<String, JsonNode> inspect = new TreeMap<>();
    private static final Map<String, JsonNode> history = new TreeMap<>();
    private static String ctrImages;
    private static boolean mountedAfterStop;

    @BeforeAll
    static void run_docker_then_stop_it() throws Exception {
        docker = TrixieDocker.startOrSkip();
        try {
            Path w = docker.workDir();
            DockerDaemon.busyboxRootfs(w.resolve("base.tar"), "containerd-truth");
            Path one = Files.createDirectories(w.resolve("one"));
            Files.writeString(one.resolve("only-file"), "one file\n");
            TrixieDocker.run(List.of("tar", "-C", one.toString(), "-cf", w.resolve("one.tar").toString(), "only-file"));
            Path ctx = Files.createDirectories(w.resolve("ctx"));
            Files.writeString(ctx.resolve("f"), "child\n");
            Files.writeString(ctx.resolve("Dockerfile"), "FROM la-base:1\nCOPY f /f\n");

            docker.docker("import", w.resolve("base.tar").toString(), "la-base:1");
            docker.docker("tag", "la-base:1", "la-base:latest");
            docker.docker("import", w.resolve("base.tar").toString());
            docker.docker("import", w.resolve("one.tar").toString());
            docker.docker("build", "-q", "-t", "example.com/team/la-child:1", ctx.toString());

            list = JSON.readTree(docker.api("/images/json?all=1&shared-size=1"));
            for (JsonNode s : list) {
                String id = s.get("Id").asText();
                inspect.put(id, JSON.readTree(docker.api("/images/" + id + "/json")));
                history.put(id, JSON.readTree(docker.api("/images/" + id + "/history")));
            }
            TrixieDocker.Result ctr = docker.inRoot("ctr", "-a", docker.containerdSocket(), "-n", "moby", "images", "ls");
            assertThat(ctr.exit()).as("ctr images ls: %s", ctr.err()).isZero();
            ctrImages = ctr.out();
            dataRoot = docker.dataRoot();
        } finally {
            docker.stop();
            mountedAfterStop = docker.anythingMounted();
        }
    }

    @AfterAll
    static void remove_the_daemons_folder() {
        if (docker != null) {
            docker.close();
        }
    }

    @Test
    void the_daemon_left_nothing_mounted() {
        assertThat(mountedAfterStop).isFalse();
    }

    @Test
    void the_data_root_is_detected_as_a_data_root_and_the_scan_has_no_problems() {
        assertThat(Scanner.detect(dataRoot.toString())).contains(SourceKind.DATA_ROOT);
        HostInventory inv = scan(dataRoot);
        assertThat(inv.kind()).isEqualTo("data-root");
        assertThat(inv.problems()).isEmpty();
        assertThat(inv.images()).hasSize(4);
    }

    @Test
    void the_bbolt_reader_finds_the_image_names_and_targets_ctr_lists() {
        // ctr images ls: REF TYPE DIGEST SIZE PLATFORMS LABELS, one line per name
        Map<String, String> fromCtr = new TreeMap<>();
        ctrImages.lines().skip(1).map(l -> l.split("\\s+")).forEach(c -> fromCtr.put(c[0], c[2]));
        Path meta = dataRoot.resolve("containerd/daemon/io.containerd.metadata.v1.bolt/meta.db");
        Map<String, String> fromBolt = new TreeMap<>();
        try (BoltFile db = BoltFile.open(meta, "meta.db")) {
            BoltFile.Bucket images = db.root().bucket("v1").orElseThrow().bucket("moby").orElseThrow()
                    .bucket("images").orElseThrow();
            for (BoltFile.Entry e : images.entries()) {
                fromBolt.put(e.name(), new String(images.open(e).bucket("target").orElseThrow().get("digest")
                        .orElseThrow()));
            }
        }
        assertThat(fromCtr).hasSize(5);
        assertThat(fromBolt).isEqualTo(fromCtr);
    }

    @Test
    void each_image_equals_what_the_engine_api_said() {
        HostInventory inv = scan(dataRoot);
        Map<String, ImageRecord> byId = inv.images().stream().collect(Collectors.toMap(i -> i.id().toString(), i -> i));
        Map<Digest, LayerRecord> layers = new HashMap<>();
        inv.layers().forEach(l -> layers.put(l.chainId(), l));
        assertThat(byId.keySet()).isEqualTo(inspect.keySet());
        for (JsonNode summary : list) {
            String id = summary.get("Id").asText();
            JsonNode in = inspect.get(id);
            ImageRecord img = byId.get(id);
            assertThat(img.repoTags()).as(id).isEqualTo(strings(in.get("RepoTags")));
            // inspect repeats name@digest once per tag of the same repository; the record keeps it once
            assertThat(img.repoDigests()).as(id).isEqualTo(List.copyOf(new LinkedHashSet<>(strings(in.get("RepoDigests")))));
            assertThat(img.diffIds().stream().map(Digest::toString).toList()).as(id)
                    .isEqualTo(strings(in.get("RootFS").get("Layers")));
            assertThat(img.size()).as("%s: image inspect .Size", id).isEqualTo(in.get("Size").asLong());
            long unpacked = img.chainIds().stream().mapToLong(c -> layers.get(c).size()).sum();
            assertThat(img.size() + unpacked).as("%s: image ls .Size", id).isEqualTo(summary.get("Size").asLong());
            assertThat(img.sharedSize()).as("%s: SharedSize", id).isEqualTo(summary.get("SharedSize").asLong());
            assertThat(img.containers()).as(id).isEqualTo(summary.get("Containers").asInt());
            assertThat(img.parent() == null ? "" : img.parent().toString()).as(id).isEqualTo(in.get("Parent").asText());
            assertThat(img.created()).as(id).isEqualTo(Instant.parse(in.get("Created").asText()));
            assertThat(img.os()).isEqualTo(in.get("Os").asText());
            assertThat(img.architecture()).isEqualTo(in.get("Architecture").asText());

            // the API's history is newest first, in whole seconds
            List<JsonNode> steps = new ArrayList<>();
            history.get(id).forEach(steps::add);
            java.util.Collections.reverse(steps);
            assertThat(img.history()).as(id).hasSize(steps.size());
            for (int i = 0; i < steps.size(); i++) {
                HistoryEntry h = img.history().get(i);
                JsonNode s = steps.get(i);
                assertThat(h.created().getEpochSecond()).as("%s history[%d]", id, i).isEqualTo(s.get("Created").asLong());
                assertThat(nullToEmpty(h.createdBy())).as("%s history[%d]", id, i).isEqualTo(s.get("CreatedBy").asText());
                assertThat(nullToEmpty(h.comment())).as("%s history[%d]", id, i).isEqualTo(s.get("Comment").asText());
                assertThat(h.size()).as("%s history[%d] size", id, i).isEqualTo(s.get("Size").asLong());
            }
        }
    }

    @Test
    void the_containerd_root_itself_reads_the_same_images() {
        Path containerdRoot = dataRoot.resolve("containerd/daemon");
        assertThat(Scanner.detect(containerdRoot.toString())).contains(SourceKind.DATA_ROOT);
        HostInventory inv = scan(containerdRoot);
        assertThat(inv.problems()).isEmpty();
        assertThat(inv.images()).isEqualTo(scan(dataRoot).images());
    }

    @Test
    void a_data_root_named_docker_without_image_store_reads_the_containerd_root_beside_it(@TempDir Path tmp)
            throws Exception {
        // /var/lib/docker with dockerd using the system's containerd (/var/lib/containerd), as the agent's default
        Path docker = tmp.resolve("docker");
        Files.createDirectories(docker.resolve("containers"));
        Files.createSymbolicLink(tmp.resolve("containerd"), dataRoot.resolve("containerd/daemon"));
        assertThat(Scanner.detect(docker.toString())).contains(SourceKind.DATA_ROOT);
        HostInventory inv = scan(docker);
        assertThat(inv.problems()).isEmpty();
        assertThat(inv.images()).isEqualTo(scan(dataRoot).images());
    }

    private static HostInventory scan(Path source) {
        HostInventory inv = new Scanner().scan(source.toString(), Optional.empty(), "trixie");
        return new HostInventory(inv.source(), inv.kind(), inv.hostId(), Instant.EPOCH, inv.images(), inv.layers(),
                inv.problems());
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        if (arr != null) {
            arr.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
