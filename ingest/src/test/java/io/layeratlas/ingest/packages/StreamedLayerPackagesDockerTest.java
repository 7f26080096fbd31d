package io.layeratlas.ingest.packages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.ZstdOutputStream;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.InstalledPackage;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.PackageDatabase;
import io.layeratlas.events.PackageEcosystem;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.ingest.SourceScan;
import io.layeratlas.ingest.engine.DockerDaemon;
import io.layeratlas.testing.DebianRoots;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Package databases read from the layer streams of archives and OCI layouts, on the walk that hashes them, against
 * the real tools: a Debian trixie minbase root made by {@code mmdebstrap} ({@link DebianRoots}), {@code docker
 * import}ed into the test's own dockerd, and an image built on it whose {@code RUN rm /var/lib/dpkg/status} makes a
 * whiteout; both {@code docker save}d. Expected packages are what {@code dpkg-query -W --admindir=…} lists for the
 * same root; expected diff IDs are {@code docker image inspect}'s. The two images are read as the daemon's
 * {@code docker save} wrote them (Engine 20.10: {@code <v1 id>/layer.tar}, the second image's base layer a link to the
 * first's), laid out again as Engine 25+ saves them ({@code manifest.json} over an OCI layout's blobs), as an OCI image
 * layout with plain, gzip and zstd layer blobs, and from the daemon's own data-root (its overlay2 diff folders),
 * which must agree with the streams.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamedLayerPackagesDockerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DockerDaemon daemon;
    private Path work;
    private Path saved;
    private List<InstalledPackage> truth;
    private Digest baseLayer;
    private Digest rmLayer;

    @BeforeAll
    void import_a_debian_root_build_on_it_and_save_both() throws Exception {
        daemon = DockerDaemon.startOrSkip(Path.of("target").toAbsolutePath());
        work = Files.createDirectories(daemon.dataRoot().resolveSibling("work"));
        Path root = DebianRoots.minbaseTar("trixie");
        truth = sorted(DebianRoots.dpkgQuery(DebianRoots.extractDpkgAdmin(root, work.resolve("admin"))));

        daemon.docker("import", "-c", "CMD [\"/bin/sh\"]", root.toString(), "atlas/trixie:minbase");
        Path ctx = Files.createDirectories(work.resolve("nostatus"));
        Files.writeString(ctx.resolve("Dockerfile"), """
                FROM atlas/trixie:minbase
                RUN rm /var/lib/dpkg/status
                """);
        daemon.docker("build", "-q", "-t", "atlas/trixie:nostatus", ctx.toString());
        List<String> layers = new ArrayList<>();
        JSON.readTree(daemon.docker("image", "inspect", "atlas/trixie:nostatus")).get(0).get("RootFS").get("Layers")
                .forEach(l -> layers.add(l.asText()));
        assertThat(layers).hasSize(2);
        baseLayer = Digest.parse(layers.get(0));
        rmLayer = Digest.parse(layers.get(1));

        saved = work.resolve("saved.tar");
        daemon.docker("save", "-o", saved.toString(), "atlas/trixie:minbase", "atlas/trixie:nostatus");
    }

    @AfterAll
    void stop_the_daemon() {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void docker_saves_archive_with_id_folders_and_a_linked_layer_tar_gives_each_layers_databases_by_diff_id() {
        assertStreamedDatabases(saved, SourceKind.ARCHIVE);
    }

    @Test
    void the_engine_25_archive_layout_manifest_json_over_oci_blobs_gives_the_same() throws Exception {
        Path layout = ociLayout("none", work.resolve("oci-none"));
        Path archive = work.resolve("engine25.tar");
        tar(layout, archive);
        assertStreamedDatabases(archive, SourceKind.ARCHIVE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "zstd"})
    void an_oci_image_layout_gives_the_same_whether_its_layers_are_plain_gzip_or_zstd(String compression) throws Exception {
        Path layout = ociLayout(compression, work.resolve("oci-" + compression));
        SourceScan scan = assertStreamedDatabases(layout, SourceKind.OCI_LAYOUT);
        if (!compression.equals("none")) {
            assertThat(scan.inventory().layers()).allSatisfy(l -> assertThat(l.compressedDigests()).singleElement()
                    .satisfies(c -> assertThat(c.mediaType()).endsWith("+" + compression)));
        }
    }

    @Test
    void the_daemons_own_overlay2_diff_folders_give_what_the_streams_give() {
        org.junit.jupiter.api.Assumptions.assumeTrue(daemon.driver().equals("overlay2"), "the daemon runs " + daemon.driver());
        SourceScan archive = new Scanner().read(saved.toString(), Optional.empty(), "h");
        SourceScan disk = new Scanner().read(daemon.dataRoot().toString(), Optional.empty(), "h");
        LayerContents folders = LayerContents.of(disk, daemon.dataRoot().toString());
        LayerContents streams = LayerContents.of(archive, saved.toString());
        for (Digest diffId : List.of(baseLayer, rmLayer)) {
            LayerRecord layer = disk.inventory().layers().stream().filter(l -> l.diffId().equals(diffId)).findFirst().orElseThrow();
            assertThat(folders.read(layer)).as("layer %s", diffId).isEqualTo(streams.read(layer));
        }
    }

    /**
     * The agent's {@code --no-packages} reaches the readers: an archive and an OCI layout read without packages give
     * the inventory they give with them, and no layer's databases (so the agent has nothing to publish); with them, the
     * same sources give both layers' (the base one's being dpkg-query's list, as above).
     */
    @Test
    void with_packages_off_archives_and_oci_layouts_give_the_same_inventory_and_no_layer_databases() throws Exception {
        Path layout = ociLayout("gzip", work.resolve("oci-packages-off"));
        for (Path source : List.of(saved, layout)) {
            SourceScan on = new Scanner(true).read(source.toString(), Optional.empty(), "h");
            SourceScan off = new Scanner(false).read(source.toString(), Optional.empty(), "h");
            assertThat(on.layerDatabases()).as("%s with packages", source).containsOnlyKeys(baseLayer, rmLayer);
            assertThat(sorted(on.layerDatabases().get(baseLayer).databases().get(0).packages())).isEqualTo(truth);
            assertThat(off.layerDatabases()).as("%s without packages", source).isEmpty();
            LayerContents contents = LayerContents.of(off, source.toString());
            assertThat(off.inventory().layers()).allSatisfy(l -> assertThat(contents.read(l)).isEmpty());
            assertThat(off.inventory().problems()).isEmpty();
            assertThat(off.inventory().layers()).isEqualTo(on.inventory().layers());
            assertThat(off.inventory().images()).isEqualTo(on.inventory().images());
            assertThat(off.configs().keySet()).isEqualTo(on.configs().keySet());
        }
    }

    /** Reads {@code source}, checks the two layers' databases against dpkg-query and the whiteout, and returns the scan. */
    private SourceScan assertStreamedDatabases(Path source, SourceKind kind) {
        assertThat(Scanner.detect(source.toString())).contains(kind);
        SourceScan scan = new Scanner().read(source.toString(), Optional.empty(), "h");
        HostInventory inv = scan.inventory();
        assertThat(inv.problems()).isEmpty();
        assertThat(inv.layers()).extracting(LayerRecord::diffId).containsExactlyInAnyOrder(baseLayer, rmLayer);

        LayerContents contents = LayerContents.of(scan, source.toString());
        LayerDatabases base = contents.read(layer(inv, baseLayer)).orElseThrow();
        assertThat(base.problems()).isEmpty();
        assertThat(base.databases()).singleElement().satisfies(db -> {
            assertThat(db.ecosystem()).isEqualTo(PackageEcosystem.DPKG);
            assertThat(db.path()).isEqualTo("var/lib/dpkg/status");
            assertThat(db.state()).isEqualTo(PackageDatabase.PRESENT);
            assertThat(sorted(db.packages())).hasSizeGreaterThan(50).isEqualTo(truth);
        });
        LayerDatabases rm = contents.read(layer(inv, rmLayer)).orElseThrow();
        assertThat(rm.problems()).isEmpty();
        assertThat(rm.databases()).extracting(PackageDatabase::path, PackageDatabase::state)
                .containsExactly(tuple("var/lib/dpkg/status", PackageDatabase.REMOVED));
        return scan;
    }

    private static LayerRecord layer(HostInventory inv, Digest diffId) {
        return inv.layers().stream().filter(l -> l.diffId().equals(diffId)).findFirst().orElseThrow();
    }

    private static List<InstalledPackage> sorted(List<InstalledPackage> packages) {
        return packages.stream().sorted(Comparator.comparing(InstalledPackage::name)
                .thenComparing(InstalledPackage::architecture, Comparator.nullsFirst(Comparator.naturalOrder()))).toList();
    }

    // ------------------------------------------------------------------------------------------- layouts

    /**
     * The two saved images as an OCI image layout (OCI image-spec, image-layout.md) whose layers are
     * {@code compression} blobs ({@code none}: {@code application/vnd.oci.image.layer.v1.tar}; else {@code +gzip} or
     * {@code +zstd}, layer.md), configs as Docker saved them, with the {@code manifest.json} that Engine 25+'s
     * {@code docker save} writes beside it (moby {@code image/tarexport/save.go}: {@code Config} and {@code Layers}
     * naming {@code blobs/sha256/<hex>}).
     */
    private Path ociLayout(String compression, Path layout) throws Exception {
        if (Files.isRegularFile(layout.resolve("index.json"))) {
            return layout;
        }
        Path v1 = work.resolve("v1");
        if (!Files.isDirectory(v1)) {
            untar(saved, Files.createDirectories(v1));
        }
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        JsonNode manifest = JSON.readTree(v1.resolve("manifest.json").toFile());
        ArrayNode manifests = JSON.createArrayNode();
        ArrayNode dockerManifest = JSON.createArrayNode();
        Map<String, ObjectNode> written = new java.util.HashMap<>();
        for (JsonNode item : manifest) {
            byte[] config = Files.readAllBytes(v1.resolve(item.get("Config").asText()));
            ArrayNode layers = JSON.createArrayNode();
            ArrayNode layerNames = JSON.createArrayNode();
            for (JsonNode l : item.get("Layers")) {
                Path file = v1.resolve(l.asText()).toRealPath(); // a layer.tar may be a link to another image's
                ObjectNode desc = written.get(file.toString());
                if (desc == null) {
                    desc = compress(file, compression, blobs);
                    written.put(file.toString(), desc);
                }
                layers.add(desc);
                layerNames.add("blobs/" + desc.get("digest").asText().replace(':', '/'));
            }
            ObjectNode cfg = blob(blobs, "application/vnd.oci.image.config.v1+json", config);
            ObjectNode m = JSON.createObjectNode();
            m.put("schemaVersion", 2);
            m.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
            m.set("config", cfg);
            m.set("layers", layers);
            ObjectNode d = blob(blobs, "application/vnd.oci.image.manifest.v1+json", JSON.writeValueAsBytes(m));
            d.putObject("annotations").put("org.opencontainers.image.ref.name", item.get("RepoTags").get(0).asText());
            manifests.add(d);
            ObjectNode dm = JSON.createObjectNode();
            dm.put("Config", "blobs/" + cfg.get("digest").asText().replace(':', '/'));
            dm.set("RepoTags", item.get("RepoTags"));
            dm.set("Layers", layerNames);
            dockerManifest.add(dm);
        }
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", "application/vnd.oci.image.index.v1+json");
        index.set("manifests", manifests);
        Files.write(layout.resolve("index.json"), JSON.writeValueAsBytes(index));
        Files.write(layout.resolve("manifest.json"), JSON.writeValueAsBytes(dockerManifest));
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        return layout;
    }

    private static ObjectNode compress(Path layer, String compression, Path blobs) throws IOException {
        Path tmp = blobs.resolve("tmp-" + layer.getFileName());
        java.security.MessageDigest sha = Digest.sha256();
        try (OutputStream file = new DigestOutputStream(Files.newOutputStream(tmp), sha);
             OutputStream out = switch (compression) {
                 case "gzip" -> new GZIPOutputStream(file, 64 * 1024) {
                     {
                         def.setLevel(java.util.zip.Deflater.BEST_SPEED);
                     }
                 };
                 case "zstd" -> new ZstdOutputStream(file, 1);
                 default -> new java.io.FilterOutputStream(file) {
                     @Override
                     public void write(byte[] b, int off, int len) throws IOException {
                         out.write(b, off, len);
                     }
                 };
             };
             InputStream in = Files.newInputStream(layer)) {
            in.transferTo(out);
        }
        Digest d = Digest.sha256Of(sha);
        Files.move(tmp, blobs.resolve(d.hex()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ObjectNode desc = JSON.createObjectNode();
        desc.put("mediaType", "application/vnd.oci.image.layer.v1.tar" + (compression.equals("none") ? "" : "+" + compression));
        desc.put("digest", d.toString());
        desc.put("size", Files.size(blobs.resolve(d.hex())));
        return desc;
    }

    private static ObjectNode blob(Path blobs, String mediaType, byte[] bytes) throws IOException {
        Digest d = Digest.sha256Of(bytes);
        Files.write(blobs.resolve(d.hex()), bytes);
        ObjectNode desc = JSON.createObjectNode();
        desc.put("mediaType", mediaType);
        desc.put("digest", d.toString());
        desc.put("size", bytes.length);
        return desc;
    }

    private static void untar(Path tarFile, Path into) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(Files.newInputStream(tarFile), "UTF-8")) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path target = into.resolve(e.getName()).normalize();
                if (!target.startsWith(into)) {
                    throw new IOException("entry leaves the folder: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else if (e.isSymbolicLink()) {
                    Files.createDirectories(target.getParent());
                    Files.createSymbolicLink(target, Path.of(e.getLinkName()));
                } else if (e.isFile()) {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Tars a folder's regular files, names relative to it. */
    private static void tar(Path folder, Path out) throws IOException {
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(out), "UTF-8");
             var files = Files.walk(folder)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                put(tar, folder.relativize(f).toString(), f);
            }
        }
    }

    private static void put(TarArchiveOutputStream tar, String name, Path file) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(Files.size(file));
        tar.putArchiveEntry(e);
        try (InputStream in = Files.newInputStream(file)) {
            in.transferTo(tar);
        }
        tar.closeArchiveEntry();
    }
}
