package io.layeratlas.ingest.containerd;

import io.layeratlas.ingest.internal.UnreadableItemException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link BoltFile} against a bbolt file written by a real tool: the host's containerd (Debian's {@code containerd},
 * a dependency of {@code docker.io}), driven by {@code ctr namespaces create}, then stopped. Expected values are
 * what {@code ctr namespaces ls} printed. Enough namespaces that the {@code v1} bucket spans several leaf pages
 * under a branch page; one namespace with enough labels that its {@code labels} bucket is not inline.
 */
class BoltFileTest {
    private static final int NAMESPACES = 120;
    private static final int LABELS_OF_BIG = 40;

    private static Path dir;
    private static Path metaDb;
    private static final Map<String, Map<String, String>> fromCtr = new TreeMap<>();

    @BeforeAll
    static void containerd_writes_a_meta_db() throws Exception {
        for (String tool : List.of("containerd", "ctr")) {
            if (TrixieDocker.run(List.of("sh", "-c", "command -v " + tool)).exit() != 0) {
                unavailable("no " + tool + " on PATH (apt-get install containerd)");
            }
        }
        if (!"0".equals(TrixieDocker.run(List.of("id", "-u")).out().strip())) {
            unavailable("containerd needs root");
        }
        dir = Files.createTempDirectory(Path.of("/tmp"), "la-bolt-");
        String sock = dir.resolve("c.sock").toString();
        Files.writeString(dir.resolve("config.toml"), "version = 2\nroot = \"" + dir.resolve("root")
                + "\"\nstate = \"" + dir.resolve("state") + "\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
                + "[grpc]\n  address = \"" + sock + "\"\n");
        Process containerd = new ProcessBuilder("containerd", "--config", dir.resolve("config.toml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile()).start();
        try {
            for (int i = 0; i < 100 && TrixieDocker.run(List.of("ctr", "-a", sock, "version")).exit() != 0; i++) {
                Thread.sleep(100);
            }
            List<Process> creating = new ArrayList<>();
            for (int i = 0; i < NAMESPACES; i++) {
                List<String> cmd = new ArrayList<>(List.of("ctr", "-a", sock, "namespaces", "create",
                        String.format("team-%03d", i), "owner=team" + i));
                if (i == 7) {
                    for (int l = 0; l < LABELS_OF_BIG; l++) {
                        cmd.add("label-" + l + "=" + "v".repeat(60) + l);
                    }
                }
                creating.add(new ProcessBuilder(cmd).redirectErrorStream(true).start());
                if (creating.size() == 16) {
                    for (Process p : creating) {
                        assertThat(p.waitFor()).isZero();
                    }
                    creating.clear();
                }
            }
            for (Process p : creating) {
                assertThat(p.waitFor()).isZero();
            }
            // NAME LABELS, labels as k=v joined by ","
            String out = TrixieDocker.run(List.of("ctr", "-a", sock, "namespaces", "ls")).out();
            out.lines().skip(1).forEach(l -> {
                String[] c = l.trim().split("\\s+", 2);
                Map<String, String> labels = new TreeMap<>();
                if (c.length > 1) {
                    for (String kv : c[1].split(",")) {
                        labels.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
                    }
                }
                fromCtr.put(c[0], labels);
            });
        } finally {
            containerd.destroy();
            if (!containerd.waitFor(20, TimeUnit.SECONDS)) {
                containerd.destroyForcibly().waitFor();
            }
        }
        metaDb = dir.resolve("root/io.containerd.metadata.v1.bolt/meta.db");
    }

    @AfterAll
    static void remove() {
        if (dir != null) {
            TrixieDocker.deleteTree(dir);
        }
    }

    @Test
    void every_namespace_and_label_ctr_listed_is_read_back() {
        assertThat(fromCtr).hasSize(NAMESPACES);
        assertThat(fromCtr.get("team-007")).hasSize(LABELS_OF_BIG + 1);
        Map<String, Map<String, String>> read = new TreeMap<>();
        try (BoltFile db = BoltFile.open(metaDb, "meta.db")) {
            assertThat(db.pageSize()).isEqualTo(4096);
            BoltFile.Bucket v1 = db.root().bucket("v1").orElseThrow();
            for (BoltFile.Entry ns : v1.entries()) {
                if (!ns.isBucket()) {
                    continue; // v1/version: the schema version, a value
                }
                Map<String, String> labels = new TreeMap<>();
                v1.open(ns).bucket("labels").ifPresent(l -> l.entries().forEach(e -> labels.put(e.name(),
                        new String(e.value()))));
                read.put(ns.name(), labels);
            }
        }
        assertThat(read).isEqualTo(fromCtr);
    }

    @Test
    void a_truncated_file_is_an_error_that_names_the_page_past_its_end(@TempDir Path tmp) throws Exception {
        Path cut = tmp.resolve("meta.db");
        Files.copy(metaDb, cut);
        try (RandomAccessFile f = new RandomAccessFile(cut.toFile(), "rw")) {
            f.setLength(3 * 4096);
        }
        assertThatThrownBy(() -> {
            try (BoltFile db = BoltFile.open(cut, "meta.db")) {
                db.root().bucket("v1").orElseThrow().entries();
            }
        }).isInstanceOf(UnreadableItemException.class)
                .hasMessageStartingWith("meta.db: ")
                .hasMessageMatching("(?s).*page \\d+ \\(byte \\d+\\) is past the end of the file \\(12288 bytes\\): the file is truncated.*");
    }

    @Test
    void a_file_whose_meta_pages_are_both_damaged_is_not_a_bbolt_database(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("meta.db");
        Files.copy(metaDb, bad);
        try (RandomAccessFile f = new RandomAccessFile(bad.toFile(), "rw")) {
            for (long page : new long[] {0, 1}) {
                f.seek(page * 4096 + 16 + 48);
                f.write(new byte[] {1, 2, 3});
            }
        }
        assertThatThrownBy(() -> BoltFile.open(bad, "meta.db")).isInstanceOf(UnreadableItemException.class)
                .hasMessage("meta.db: not a bbolt database: meta page 0 (at byte 16) fails its checksum and meta page 1 "
                        + "(at byte 4112) fails its checksum");
    }

    @Test
    void a_page_that_is_neither_branch_nor_leaf_is_an_error_that_names_it(@TempDir Path tmp) throws Exception {
        Path bad = tmp.resolve("meta.db");
        Files.copy(metaDb, bad);
        long root;
        try (BoltFile db = BoltFile.open(bad, "meta.db")) {
            root = db.rootPage();
        }
        try (RandomAccessFile f = new RandomAccessFile(bad.toFile(), "rw")) {
            f.seek(root * 4096 + 8);
            f.write(new byte[] {0x10, 0});
        }
        assertThatThrownBy(() -> {
            try (BoltFile db = BoltFile.open(bad, "meta.db")) {
                db.root().entries();
            }
        }).isInstanceOf(UnreadableItemException.class)
                .hasMessage("meta.db: root bucket, page " + root + " (byte " + root * 4096 + ") has flags 0x10, neither a "
                        + "branch nor a leaf page");
    }

    private static void unavailable(String why) {
        if ("true".equals(System.getenv("CI"))) {
            throw new IllegalStateException(why + " (CI=true: .ci/run installs docker.io, which brings containerd)");
        }
        Assumptions.abort("no containerd to write a bbolt file: " + why);
    }
}
