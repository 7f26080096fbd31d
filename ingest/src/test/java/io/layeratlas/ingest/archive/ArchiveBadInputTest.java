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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Damaged and hostile archives: each bad entry is a located problem; the rest is read. */
class ArchiveBadInputTest {
    /** Entries get a fixed mtime: commons-compress stamps "now", and a layer built twice must hash the same. */
    static final java.nio.file.attribute.FileTime FIXED_MTIME =
            java.nio.file.attribute.FileTime.from(java.time.Instant.parse("2024-01-01T00:00:00Z"));

    static TarArchiveEntry fixedTime(TarArchiveEntry e) {
        e.setModTime(FIXED_MTIME);
        return e;
    }

    @TempDir
    Path tmp;

    /** A one-file layer tar and a config that names its diff ID. */
    static byte[] layerTar() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            byte[] data = "hello\n".getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry("hello.txt");
            e.setModTime(FIXED_MTIME);
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
        e.setModTime(FIXED_MTIME);
        e.setSize(data.length);
        t.putArchiveEntry(e);
        t.write(data);
        t.closeArchiveEntry();
    }

    static void symlink(TarArchiveOutputStream t, String name, String target) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK, true);
        e.setModTime(FIXED_MTIME);
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
        assertThat(inv.problems()).containsExactly(new Problem("m.tar!manifest.json", "manifest.json is empty (0 bytes)"));
    }

    @Test
    void a_manifest_that_names_no_config_says_so_instead_of_an_empty_entry_name() throws IOException {
        // reported before as "entry name '' leaves the archive"
        Path p = archive("m.tar", t -> file(t, "manifest.json",
                "[{\"Image\":\"c.json\",\"Layers\":[\"l/layer.tar\"]}]".getBytes(StandardCharsets.UTF_8)));
        assertThat(scan(p).problems()).containsExactly(
                new Problem("m.tar!manifest.json [0]", "Config is missing: no config named"));
    }

    @Test
    void a_manifest_that_is_not_valid_json_keeps_the_parsers_message_line_and_column() throws IOException {
        Path p = archive("m.tar", t -> file(t, "manifest.json",
                "[{\"Config\":\"c.json\",\n \"Layers\":[\"l/layer.tar\",]}]".getBytes(StandardCharsets.UTF_8)));
        assertThat(scan(p).problems()).singleElement().satisfies(pr -> {
            assertThat(pr.path()).isEqualTo("m.tar!manifest.json");
            assertThat(pr.reason()).startsWith("manifest.json is not valid JSON: Unexpected character (']'")
                    .endsWith("(line 2, column 26)");
        });
    }

    @Test
    void a_manifest_of_the_wrong_shape_names_the_item_and_the_field() throws IOException {
        Path p = archive("m.tar", t -> file(t, "manifest.json",
                "[{\"Config\":7},{\"Config\":\"../x.json\"},\"c.json\"]".getBytes(StandardCharsets.UTF_8)));
        assertThat(scan(p).problems()).containsExactly(
                new Problem("m.tar!manifest.json [0] Config", "is a JSON number, not an entry name"),
                new Problem("m.tar!manifest.json [1] Config", "entry name '../x.json' leaves the archive"),
                new Problem("m.tar!manifest.json [2]", "is a JSON string, not an object {Config, RepoTags, Layers}"));
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

    // --- tar header variants: long names, PAX, GNU, base-256 (the readers' "inputs that must not break it") ---

    /** What must not change with the tar dialect: image IDs, diff IDs, sizes, layers. */
    static List<Object> essentials(HostInventory inv) {
        return List.of(inv.images().stream().map(i -> List.of(i.id(), i.repoTags(), i.diffIds(), i.size())).toList(),
                inv.layers().stream().map(l -> List.of(l.chainId(), l.diffId(), l.size(), l.compressedDigests())).toList());
    }

    /** A docker save archive whose entries live under {@code dir}, written in the given tar dialect. */
    Path dockerSaveUnder(String name, String dir, int longFileMode, int bigNumberMode) throws IOException {
        byte[] layer = layerTar();
        byte[] cfg = config(Digest.sha256Of(layer)).getBytes(StandardCharsets.UTF_8);
        String manifest = "[{\"Config\":\"" + dir + "config.json\",\"RepoTags\":[\"long:1\"],\"Layers\":[\"" + dir + "layer.tar\"]},"
                + "{\"Config\":\"" + dir + "config.json\",\"RepoTags\":[\"linked:1\"],\"Layers\":[\"s/layer.tar\"]}]";
        Path p = tmp.resolve(name);
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(Files.newOutputStream(p), "UTF-8")) {
            t.setLongFileMode(longFileMode);
            t.setBigNumberMode(bigNumberMode);
            t.setAddPaxHeadersForNonAsciiNames(longFileMode == TarArchiveOutputStream.LONGFILE_POSIX);
            file(t, dir + "layer.tar", layer);
            file(t, dir + "config.json", cfg);
            // a link whose target is itself over 100 characters (GNU ././@LongLink 'K', PAX linkpath=)
            symlink(t, "s/layer.tar", "../" + dir + "layer.tar");
            file(t, "manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
        }
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gnu", "posix"})
    void long_names_and_pax_headers_read_exactly_as_short_ustar_names(String dialect) throws IOException {
        String longDir = "some/very/long/" + "path-segment-".repeat(9) + "ünïcode/and/more/";
        assertThat(longDir.getBytes(StandardCharsets.UTF_8).length).isGreaterThan(100);
        int mode = dialect.equals("gnu") ? TarArchiveOutputStream.LONGFILE_GNU : TarArchiveOutputStream.LONGFILE_POSIX;
        int big = dialect.equals("gnu") ? TarArchiveOutputStream.BIGNUMBER_STAR : TarArchiveOutputStream.BIGNUMBER_POSIX;
        HostInventory plain = scan(dockerSaveUnder("plain.tar", "d/", TarArchiveOutputStream.LONGFILE_ERROR,
                TarArchiveOutputStream.BIGNUMBER_ERROR));
        HostInventory fancy = scan(dockerSaveUnder("fancy.tar", longDir, mode, big));
        assertThat(plain.problems()).isEmpty();
        assertThat(fancy.problems()).isEmpty();
        assertThat(fancy.images()).singleElement().satisfies(i -> {
            assertThat(i.repoTags()).containsExactly("linked:1", "long:1");
            assertThat(i.diffIds()).containsExactly(Digest.sha256Of(layerTar()));
        });
        assertThat(essentials(fancy)).isEqualTo(essentials(plain));
    }

    @Test
    void pax_headers_with_extra_records_change_nothing() throws IOException {
        byte[] layer = layerTar();
        byte[] cfg = config(Digest.sha256Of(layer)).getBytes(StandardCharsets.UTF_8);
        Path p = archive("pax.tar", t -> {
            t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            TarArchiveEntry e = new TarArchiveEntry("l/layer.tar", true);
            e.setModTime(FIXED_MTIME);
            e.setSize(layer.length);
            // records BuildKit and GNU tar add: xattrs, sub-second times, a user name too long for ustar
            e.addPaxHeader("SCHILY.xattr.security.capability", "x");
            e.addPaxHeader("mtime", "1700000000.123456789");
            e.addPaxHeader("uname", "u".repeat(40));
            e.setUserId(3_000_000); // over ustar's 7 octal digits: a PAX uid= record
            t.putArchiveEntry(e);
            t.write(layer);
            t.closeArchiveEntry();
            file(t, "c.json", cfg);
            file(t, "manifest.json", "[{\"Config\":\"c.json\",\"RepoTags\":[\"p:1\"],\"Layers\":[\"l/layer.tar\"]}]"
                    .getBytes(StandardCharsets.UTF_8));
        });
        HostInventory inv = scan(p);
        assertThat(inv.problems()).isEmpty();
        assertThat(inv.images()).singleElement().satisfies(i -> assertThat(i.diffIds()).containsExactly(Digest.sha256Of(layer)));
    }

    /**
     * An archive of two images whose last entry declares {@code declared} bytes but is cut off after
     * {@code written}: written with commons-compress in {@code bigNumberMode} and never finished.
     */
    byte[] cutOffAfterGoodImage(int bigNumberMode, long declared, int written) throws IOException {
        byte[] layer = layerTar();
        Digest diff = Digest.sha256Of(layer);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // one 512-byte record per block, so everything put so far has reached `out`
        TarArchiveOutputStream t = new TarArchiveOutputStream(out, 512);
        t.setBigNumberMode(bigNumberMode);
        file(t, "manifest.json", ("[{\"Config\":\"good.json\",\"RepoTags\":[\"good:1\"],\"Layers\":[\"l/layer.tar\"]},"
                + "{\"Config\":\"big.json\",\"RepoTags\":[\"big:1\"],\"Layers\":[\"big/layer.tar\"]}]").getBytes(StandardCharsets.UTF_8));
        file(t, "good.json", config(diff).getBytes(StandardCharsets.UTF_8));
        file(t, "l/layer.tar", layer);
        file(t, "big.json", config(diff).replace("amd64", "arm64").getBytes(StandardCharsets.UTF_8));
        TarArchiveEntry e = new TarArchiveEntry("big/layer.tar", true);
        e.setModTime(FIXED_MTIME);
        e.setSize(declared);
        t.putArchiveEntry(e);
        t.write(new byte[written]);
        t.flush();
        return out.toByteArray(); // t is dropped unfinished: the archive ends inside big/layer.tar
    }

    @ParameterizedTest
    @ValueSource(strings = {"pax-size", "base-256"})
    void an_entry_declaring_more_than_8_gib_in_a_short_archive_is_a_located_problem_and_the_other_image_is_kept(String header)
            throws IOException {
        long declared = 9L << 30;
        byte[] bytes = cutOffAfterGoodImage(header.equals("pax-size") ? TarArchiveOutputStream.BIGNUMBER_POSIX
                : TarArchiveOutputStream.BIGNUMBER_STAR, declared, 5000);
        assertThat(bytes.length).isLessThan(20_000);
        Path p = tmp.resolve("a.tar");
        Files.write(p, bytes);
        HostInventory inv = scan(p);
        assertThat(inv.images()).flatExtracting(i -> i.repoTags()).containsExactly("good:1");
        assertThat(inv.problems()).hasSize(2);
        assertThat(inv.problems().get(0).path()).isEqualTo("a.tar");
        assertThat(inv.problems().get(0).reason()).startsWith("archive ends early or is corrupt after 4 entries, in big/layer.tar");
        // 4608 = the nine whole records of the 5000 bytes written that reached the file
        assertThat(inv.problems().get(1)).isEqualTo(new Problem("a.tar!big/layer.tar",
                "truncated: the entry declares 9663676416 bytes but the archive ends after 4608 of them"));
    }

    @Test
    void dot_slash_names_in_a_docker_save_archive_are_the_same_entries() throws IOException {
        byte[] layer = layerTar();
        String v1 = "ab".repeat(32);
        byte[] cfg = config(Digest.sha256Of(layer)).getBytes(StandardCharsets.UTF_8);
        Path p = archive("dot.tar", t -> {
            file(t, "./" + v1 + "/layer.tar", layer);
            file(t, "./c.json", cfg);
            // names in manifest.json with and without "./"
            file(t, "./manifest.json", ("[{\"Config\":\"c.json\",\"RepoTags\":[\"a:1\"],\"Layers\":[\"" + v1 + "/layer.tar\"]},"
                    + "{\"Config\":\"./c.json\",\"RepoTags\":[\"b:1\"],\"Layers\":[\"./" + v1 + "/layer.tar\"]}]")
                    .getBytes(StandardCharsets.UTF_8));
        });
        HostInventory inv = scan(p);
        assertThat(inv.problems()).isEmpty();
        assertThat(inv.images()).singleElement().satisfies(i -> assertThat(i.repoTags()).containsExactly("a:1", "b:1"));
        assertThat(inv.layers()).singleElement().satisfies(l -> assertThat(l.v1Id()).isEqualTo(v1));
    }

    @Test
    void dot_slash_names_in_an_oci_archive_are_the_same_entries() throws IOException {
        byte[] layer = layerTar();
        Digest diff = Digest.sha256Of(layer);
        byte[] cfg = config(diff).getBytes(StandardCharsets.UTF_8);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Digest.sha256Of(cfg)
                + "\",\"size\":" + cfg.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                + "\"digest\":\"" + diff + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
        String index = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"digest\":\"" + Digest.sha256Of(manifest) + "\",\"size\":" + manifest.length
                + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"oci:1\"}}]}";
        Path p = archive("dot-oci.tar", t -> {
            file(t, "./oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
            file(t, "./blobs/sha256/" + diff.hex(), layer);
            file(t, "./blobs/sha256/" + Digest.sha256Of(cfg).hex(), cfg);
            file(t, "./blobs/sha256/" + Digest.sha256Of(manifest).hex(), manifest);
            file(t, "./index.json", index.getBytes(StandardCharsets.UTF_8));
        });
        HostInventory inv = scan(p);
        assertThat(inv.problems()).isEmpty();
        assertThat(inv.images()).singleElement().satisfies(i -> {
            assertThat(i.repoTags()).containsExactly("oci:1");
            assertThat(i.diffIds()).containsExactly(diff);
        });
    }

    /** A layer that deletes {@code etc/passwd} and hides everything below in {@code var/cache}, and adds one file. */
    static byte[] whiteoutLayerTar() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
            t.putArchiveEntry(fixedTime(new TarArchiveEntry("etc/")));
            t.closeArchiveEntry();
            file(t, "etc/.wh.passwd", new byte[0]);
            t.putArchiveEntry(fixedTime(new TarArchiveEntry("var/cache/")));
            t.closeArchiveEntry();
            file(t, "var/cache/.wh..wh..opq", new byte[0]);
            file(t, "var/cache/new.txt", "1234567".getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    @Test
    void a_layer_with_whiteouts_and_an_opaque_whiteout_hashes_to_the_configs_diff_id() throws IOException {
        byte[] layer = whiteoutLayerTar();
        Digest diff = Digest.sha256Of(layer);
        Path p = archive("wh.tar", t -> {
            file(t, "w/layer.tar", layer);
            file(t, "c.json", config(diff).getBytes(StandardCharsets.UTF_8));
            file(t, "manifest.json", "[{\"Config\":\"c.json\",\"RepoTags\":[\"wh:1\"],\"Layers\":[\"w/layer.tar\"]}]"
                    .getBytes(StandardCharsets.UTF_8));
        });
        HostInventory inv = scan(p);
        assertThat(inv.problems()).isEmpty();
        assertThat(inv.images()).singleElement().satisfies(i -> assertThat(i.diffIds()).containsExactly(diff));
        // whiteouts are empty files in the tar: they add nothing to the layer's size, as in Docker's count
        assertThat(inv.layers()).singleElement().satisfies(l -> assertThat(l.size()).isEqualTo(7));
    }
}
