package io.layeratlas.ingest.archive;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.Problem;
import io.layeratlas.ingest.UnreadableSourceException;
import io.layeratlas.testing.Fixtures;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Damaged and hostile archives: each bad entry is a located problem; the rest is read. */
class ArchiveBadInputTest {
    @TempDir
    Path tmp;

    /** A one-file layer tar and a config that names its diff ID. */
    static byte[] layerTar() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            byte[] data = "hello\n".getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry("hello.txt");
            e.setSize(data.length);
            t.putArchiveEntry(e);
            t.write(data);
            t.closeArchiveEntry();
        }
        return out.toByteArray();
    }

    static String config(Digest diffId) {
        return "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-01T00:00:00Z\","
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]},\"history\":[{\"created_by\":\"ADD\"}]}";
    }

    interface Body {
        void write(TarArchiveOutputStream t) throws IOException;
    }

    Path archive(String name, Body body) throws IOException {
        Path p = tmp.resolve(name);
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(Files.newOutputStream(p))) {
            body.write(t);
        }
        return p;
    }

    static void file(TarArchiveOutputStream t, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(data.length);
        t.putArchiveEntry(e);
        t.write(data);
        t.closeArchiveEntry();
    }

    static void symlink(TarArchiveOutputStream t, String name, String target) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK, true);
        e.setLinkName(target);
        t.putArchiveEntry(e);
        t.closeArchiveEntry();
    }

    /** Two images: a good one, and one whose layer entry is {@code badLayer}. */
    Path twoImages(Body extra, String badLayer) throws IOException {
        byte[] layer = layerTar();
        Digest diff = Digest.sha256Of(layer);
        byte[] good = config(diff).getBytes(StandardCharsets.UTF_8);
        byte[] other = config(diff).replace("amd64", "arm64").getBytes(StandardCharsets.UTF_8);
        String manifest = "[{\"Config\":\"good.json\",\"RepoTags\":[\"good:1\"],\"Layers\":[\"l/layer.tar\"]},"
                + "{\"Config\":\"other.json\",\"RepoTags\":[\"bad:1\"],\"Layers\":[\"" + badLayer + "\"]}]";
        return archive("a.tar", t -> {
            file(t, "good.json", good);
            file(t, "other.json", other);
            file(t, "l/layer.tar", layer);
            extra.write(t);
            file(t, "manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
        });
    }

    HostInventory scan(Path p) {
        return new ArchiveReader().read(p.toString(), "h").inventory();
    }

    @Test
    void a_layer_symlink_loop_is_a_problem_and_the_other_image_is_read() throws IOException {
        HostInventory inv = scan(twoImages(t -> {
            symlink(t, "x/layer.tar", "../y/layer.tar");
            symlink(t, "y/layer.tar", "../x/layer.tar");
        }, "x/layer.tar"));
        assertThat(inv.images()).flatExtracting(i -> i.repoTags()).containsExactly("good:1");
        assertThat(inv.problems()).containsExactly(new Problem("a.tar!x/layer.tar", "symbolic link loop"));
    }

    @Test
    void a_layer_link_out_of_the_archive_is_refused() throws IOException {
        HostInventory inv = scan(twoImages(t -> symlink(t, "x/layer.tar", "../../etc/passwd"), "x/layer.tar"));
        assertThat(inv.images()).flatExtracting(i -> i.repoTags()).containsExactly("good:1");
        assertThat(inv.problems()).containsExactly(new Problem("a.tar!x/layer.tar", "link to ../../etc/passwd leaves the archive"));
    }

    @Test
    void an_entry_named_to_climb_out_is_skipped_with_a_problem() throws IOException {
        HostInventory inv = scan(twoImages(t -> file(t, "../../evil", new byte[]{1}), "l/layer.tar"));
        assertThat(inv.images()).hasSize(2);
        assertThat(inv.problems()).containsExactly(new Problem("a.tar!../../evil", "entry name leaves the archive; skipped"));
    }

    @Test
    void a_missing_layer_entry_is_a_problem() throws IOException {
        HostInventory inv = scan(twoImages(t -> { }, "nope/layer.tar"));
        assertThat(inv.images()).hasSize(1);
        assertThat(inv.problems()).containsExactly(new Problem("a.tar!nope/layer.tar", "no such entry in the archive"));
    }

    @Test
    void a_zero_byte_manifest_is_a_problem_not_a_crash() throws IOException {
        Path p = archive("m.tar", t -> file(t, "manifest.json", new byte[0]));
        HostInventory inv = scan(p);
        assertThat(inv.images()).isEmpty();
        assertThat(inv.problems()).containsExactly(new Problem("m.tar!manifest.json", "empty (0 bytes)"));
    }

    @Test
    void a_truncated_archive_keeps_what_was_read_and_says_where_it_ended() throws IOException {
        byte[] big = new byte[200_000];
        new java.util.Random(1).nextBytes(big);
        Path whole = archive("whole.tar", t -> {
            file(t, "manifest.json", "[{\"Config\":\"c.json\",\"RepoTags\":[\"t:1\"],\"Layers\":[\"big/layer.tar\"]}]"
                    .getBytes(StandardCharsets.UTF_8));
            file(t, "big/layer.tar", big);
        });
        Path cut = tmp.resolve("cut.tar");
        Files.write(cut, Arrays.copyOf(Files.readAllBytes(whole), 100_000));
        HostInventory inv = scan(cut);
        assertThat(inv.images()).isEmpty();
        assertThat(inv.problems()).extracting(Problem::path).containsExactly("cut.tar", "cut.tar!c.json");
        assertThat(inv.problems().get(0).reason()).startsWith("archive ends early or is corrupt after 1 entries");
    }

    @Test
    void a_file_that_is_not_an_archive_is_refused_as_a_whole() throws IOException {
        Path p = tmp.resolve("notes.txt");
        Files.writeString(p, "just text, not a tar");
        assertThatThrownBy(() -> scan(p)).isInstanceOf(UnreadableSourceException.class).hasMessageContaining("notes.txt");
    }
}
