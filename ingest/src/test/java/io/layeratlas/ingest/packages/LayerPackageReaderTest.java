package io.layeratlas.ingest.packages;

import io.layeratlas.events.PackageEcosystem;
import io.layeratlas.events.InstalledPackage;
import io.layeratlas.events.PackageDatabase;

import io.layeratlas.events.Problem;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * apk's format written by hand from its documentation, whiteouts in both forms (OCI image-spec layer.md's
 * {@code .wh.} files in a tar; overlay2's 0/0 character devices and opaque attribute in a diff folder), and bad
 * input that must give located problems.
 */
class LayerPackageReaderTest {

    /** Two packages as apk-tools writes {@code lib/apk/db/installed} (Alpine wiki, "Apk spec"), file lines included. */
    static final String APK_INSTALLED = """
            C:Q1SJgy0gzQFh7ea3ZPd6j2GTbk5fU=
            P:musl
            V:1.2.4_git20230717-r4
            A:x86_64
            S:383457
            I:622592
            T:the musl c library (libc) implementation
            U:https://musl.libc.org/
            L:MIT
            o:musl
            m:Timo Teräs <timo.teras@iki.fi>
            t:1698054478
            c:83b858f83b658bd34eca5d8ad4d145f673ae7e5e
            F:lib
            R:ld-musl-x86_64.so.1
            a:0:0:755
            Z:Q1ZPo5A5Pq+HVcl0DR4LfR+a8kwYA=
            R:libc.musl-x86_64.so.1
            a:0:0:777
            Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

            C:Q1p78yvTLG094tHE1+dToJGbmYzQE=
            P:libcrypto3
            V:3.1.4-r1
            A:x86_64
            S:1714090
            I:4395008
            T:Crypto library from openssl
            o:openssl
            F:usr/lib
            R:libcrypto.so.3

            """;

    @Test
    void apks_installed_database_lists_name_version_architecture_and_origin() throws IOException {
        LayerDatabases read = LayerPackageReader.readTar(new ByteArrayInputStream(
                LayerTars.layer().file("lib/apk/db/installed", APK_INSTALLED).tar()));

        assertThat(read.problems()).isEmpty();
        assertThat(read.databases()).singleElement().satisfies(db -> {
            assertThat(db.ecosystem()).isEqualTo(PackageEcosystem.APK);
            assertThat(db.packages()).containsExactly(
                    new InstalledPackage("musl", "1.2.4_git20230717-r4", "x86_64", "musl", "1.2.4_git20230717-r4"),
                    new InstalledPackage("libcrypto3", "3.1.4-r1", "x86_64", "openssl", "3.1.4-r1"));
        });
    }

    @Test
    void a_layer_that_touches_no_database_has_no_entries() throws IOException {
        LayerDatabases read = LayerPackageReader.readTar(new ByteArrayInputStream(
                LayerTars.layer().file("etc/os-release", "ID=debian\n").file("var/lib/dpkg/info/x.list", "/x\n").tar()));
        assertThat(read).isEqualTo(LayerDatabases.NONE);
    }

    @Test
    void tar_whiteouts_of_a_database_file_and_of_database_folders_are_removed_entries() throws IOException {
        LayerDatabases read = LayerPackageReader.readTar(new ByteArrayInputStream(LayerTars.layer()
                .whiteout("var/lib/dpkg/.wh.status")
                .whiteout("var/lib/dpkg/status.d/.wh..wh..opq")
                .whiteout("lib/apk/.wh.db")
                .whiteout("usr/lib/sysimage/.wh.rpm")
                .whiteout("var/lib/.wh.unrelated")
                .whiteout("etc/.wh..wh..opq")
                .tar()));

        assertThat(read.problems()).isEmpty();
        assertThat(read.databases()).extracting(PackageDatabase::path, PackageDatabase::state, PackageDatabase::ecosystem)
                .containsExactly(
                        tuple("lib/apk/db/", PackageDatabase.REMOVED, PackageEcosystem.APK),
                        tuple("usr/lib/sysimage/rpm/", PackageDatabase.REMOVED, PackageEcosystem.RPM),
                        tuple("var/lib/dpkg/status", PackageDatabase.REMOVED, PackageEcosystem.DPKG),
                        tuple("var/lib/dpkg/status.d/", PackageDatabase.REMOVED, PackageEcosystem.DPKG));
    }

    @Test
    void an_opaque_dpkg_folder_that_brings_a_new_status_is_both_a_removal_and_the_new_database() throws IOException {
        LayerDatabases read = LayerPackageReader.readTar(new ByteArrayInputStream(LayerTars.layer()
                .whiteout("./var/lib/dpkg/.wh..wh..opq")
                .file("./var/lib/dpkg/status", "Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n")
                .tar()));

        assertThat(read.databases()).extracting(PackageDatabase::path, PackageDatabase::state).containsExactly(
                tuple("var/lib/dpkg/", PackageDatabase.REMOVED),
                tuple("var/lib/dpkg/status", PackageDatabase.PRESENT));
        assertThat(read.databases().get(1).packages()).containsExactly(new InstalledPackage("a", "1", "all", "a", "1"));
    }

    @Test
    void distroless_status_d_files_are_one_database_each_and_md5sums_are_not_databases() throws IOException {
        LayerDatabases read = LayerPackageReader.readTar(new ByteArrayInputStream(LayerTars.layer()
                .file("var/lib/dpkg/status.d/base-files", "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n")
                .file("var/lib/dpkg/status.d/base-files.md5sums", "0123  etc/issue\n")
                .file("var/lib/dpkg/status.d/libssl3", "Package: libssl3\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n"
                        + "Architecture: amd64\n")
                .whiteout("var/lib/dpkg/status.d/.wh.tzdata")
                .tar()));

        assertThat(read.problems()).isEmpty();
        assertThat(read.databases()).extracting(PackageDatabase::path, PackageDatabase::state).containsExactly(
                tuple("var/lib/dpkg/status.d/base-files", PackageDatabase.PRESENT),
                tuple("var/lib/dpkg/status.d/libssl3", PackageDatabase.PRESENT),
                tuple("var/lib/dpkg/status.d/tzdata", PackageDatabase.REMOVED));
        assertThat(read.databases().get(1).packages()).containsExactly(
                new InstalledPackage("libssl3", "3.0.11-1~deb12u2", "amd64", "openssl", "3.0.11-1~deb12u2"));
    }

    @Test
    void overlay2_whiteout_devices_in_a_diff_folder_are_removed_entries(@TempDir Path diff) throws Exception {
        Assumptions.assumeTrue("0".equals(Tools.run("id", "-u").strip()), "mknod needs root");
        Files.createDirectories(diff.resolve("var/lib/dpkg"));
        Files.createDirectories(diff.resolve("lib"));
        Tools.run("mknod", diff.resolve("var/lib/dpkg/status").toString(), "c", "0", "0");
        Tools.run("mknod", diff.resolve("lib/apk").toString(), "c", "0", "0");

        LayerDatabases read = LayerPackageReader.readFolder(diff);

        assertThat(read.problems()).isEmpty();
        assertThat(read.databases()).extracting(PackageDatabase::path, PackageDatabase::state).containsExactly(
                tuple("lib/apk/", PackageDatabase.REMOVED),
                tuple("var/lib/dpkg/status", PackageDatabase.REMOVED));
    }

    /**
     * aufs keeps a layer's own files in {@code aufs/diff/<id>} with whiteouts as files named as in a tar, and its
     * layer tar is that folder tarred as it is (moby {@code daemon/graphdriver/aufs}, {@code Diff}): so GNU tar's tar
     * of the folder, read as a layer, must say what the folder read says.
     */
    @Test
    void an_aufs_diff_folder_with_whiteout_files_reads_as_its_own_tar_does(@TempDir Path work) throws Exception {
        Tools.require("tar", "tar");
        Path diff = Files.createDirectories(work.resolve("aufs/diff/0123abcd"));
        Files.createDirectories(diff.resolve("var/lib/dpkg/status.d"));
        Files.writeString(diff.resolve("var/lib/dpkg/.wh.status"), "");
        Files.writeString(diff.resolve("var/lib/dpkg/status.d/.wh..wh..opq"), "");
        Files.writeString(diff.resolve("var/lib/dpkg/status.d/libssl3"),
                "Package: libssl3\nSource: openssl\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n");
        Files.writeString(diff.resolve("var/lib/dpkg/status.d/.wh.tzdata"), "");
        Files.createDirectories(diff.resolve("lib"));
        Files.writeString(diff.resolve("lib/.wh.apk"), "");
        Files.createDirectories(diff.resolve(".wh..wh.plnk")); // aufs's own bookkeeping, not a whiteout
        Path tar = work.resolve("layer.tar");
        Tools.run("tar", "-C", diff.toString(), "-cf", tar.toString(), ".");

        LayerDatabases folder = LayerPackageReader.readFolder(diff, LayerPackageReader.DiffStyle.AUFS);

        assertThat(folder.problems()).isEmpty();
        assertThat(folder.databases()).extracting(PackageDatabase::path, PackageDatabase::state).containsExactly(
                tuple("lib/apk/", PackageDatabase.REMOVED),
                tuple("var/lib/dpkg/status", PackageDatabase.REMOVED),
                tuple("var/lib/dpkg/status.d/", PackageDatabase.REMOVED),
                tuple("var/lib/dpkg/status.d/libssl3", PackageDatabase.PRESENT),
                tuple("var/lib/dpkg/status.d/tzdata", PackageDatabase.REMOVED));
        try (var in = Files.newInputStream(tar)) {
            assertThat(LayerPackageReader.readTar(in)).isEqualTo(folder);
        }
        io.layeratlas.events.Digest diffId = io.layeratlas.events.Digest.sha256Of("d");
        io.layeratlas.events.LayerRecord layer = new io.layeratlas.events.LayerRecord(diffId, diffId, null, 0, List.of(),
                "0123abcd", null);
        assertThat(new DataRootLayerContents(work).read(layer)).as("a data-root's aufs/diff/<cache id>").contains(folder);
    }

    @Test
    void a_rootless_overlay_opaque_folder_removes_the_databases_below(@TempDir Path diff) throws Exception {
        Path dpkg = Files.createDirectories(diff.resolve("var/lib/dpkg"));
        UserDefinedFileAttributeView view = Files.getFileAttributeView(dpkg, UserDefinedFileAttributeView.class);
        try {
            view.write("overlay.opaque", ByteBuffer.wrap("y".getBytes(StandardCharsets.US_ASCII)));
        } catch (IOException | UnsupportedOperationException e) {
            Assumptions.abort("this file system takes no user.* extended attributes: " + e);
        }

        assertThat(LayerPackageReader.readFolder(diff).databases())
                .extracting(PackageDatabase::path, PackageDatabase::state)
                .containsExactly(tuple("var/lib/dpkg/", PackageDatabase.REMOVED));
    }

    @Test
    void a_berkeley_db_rpm_database_is_a_located_problem() throws IOException {
        LayerDatabases read = LayerPackageReader.readTar(new ByteArrayInputStream(LayerTars.layer()
                .file("var/lib/rpm/Packages", new byte[4096]).tar()));
        assertThat(read.databases()).isEmpty();
        assertThat(read.problems()).containsExactly(
                new Problem("var/lib/rpm/Packages", "unsupported rpm database (Berkeley DB)"));
    }

    @Test
    void bad_paragraphs_are_problems_naming_the_file_and_line_and_the_rest_is_read() throws IOException {
        String status = """
                Package: good
                Status: install ok installed
                Version: 1.0
                Architecture: amd64

                Package: no-version
                Status: install ok installed

                Package: removed-but-configured
                Status: deinstall ok config-files
                Version: 2.0

                this line is garbage
                Package: after
                Status: install ok installed
                Version: 3.0
                Source: src (3.0-1)
                """;
        LayerDatabases read = LayerPackageReader.readTar(new ByteArrayInputStream(
                LayerTars.layer().file("var/lib/dpkg/status", status).tar()));

        assertThat(read.databases().get(0).packages()).extracting(InstalledPackage::name, InstalledPackage::sourceVersion)
                .containsExactly(tuple("good", "1.0"), tuple("after", "3.0-1"));
        assertThat(read.problems()).containsExactly(
                new Problem("var/lib/dpkg/status", "line 6: a paragraph without Version; left out"),
                new Problem("var/lib/dpkg/status", "line 13: not a field ('Name: value'): 'this line is garbage'"));
    }

    @Test
    void a_file_that_is_not_sqlite_at_the_rpm_path_is_a_located_problem_and_other_databases_are_still_read() throws IOException {
        LayerDatabases read = LayerPackageReader.readTar(new ByteArrayInputStream(LayerTars.layer()
                .file("var/lib/rpm/rpmdb.sqlite", "not a database at all, just text")
                .file("lib/apk/db/installed", APK_INSTALLED)
                .tar()));

        assertThat(read.databases()).extracting(PackageDatabase::path).containsExactly("lib/apk/db/installed");
        assertThat(read.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("var/lib/rpm/rpmdb.sqlite");
            assertThat(p.reason()).startsWith("not a readable rpm sqlite database");
        });
    }

    @Test
    void a_truncated_rpm_header_says_how_long_it_claims_to_be() {
        byte[] blob = ByteBuffer.allocate(8 + 16).putInt(1).putInt(100).putInt(1000).putInt(6).putInt(0).putInt(1).array();
        List<String> messages = new ArrayList<>();
        try {
            RpmHeader.parse(blob);
        } catch (RpmHeader.BadHeaderException e) {
            messages.add(e.getMessage());
        }
        assertThat(messages).containsExactly("header says 1 entries and 100 bytes of data, but the blob is 24 bytes");
    }
}
