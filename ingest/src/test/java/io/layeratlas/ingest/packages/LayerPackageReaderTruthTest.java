package io.layeratlas.ingest.packages;

import io.layeratlas.events.PackageEcosystem;
import io.layeratlas.events.PackageDatabase;

import io.layeratlas.ingest.containerd.TrixieDocker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Package databases made by the real tools, read back and compared with those tools' own answers: a Debian trixie
 * root built by {@code mmdebstrap} against {@code dpkg-query}, an rpm database made by {@code rpm --initdb} and
 * packages built by {@code rpmbuild} against {@code rpm -qa}.
 */
class LayerPackageReaderTruthTest {

    private static final String DPKG_FORMAT = "${Package} ${Version} ${Architecture} ${source:Package} ${source:Version}\\n";

    @Test
    void a_debian_roots_dpkg_status_in_a_layer_tar_lists_what_dpkg_query_lists() throws Exception {
        Tools.require("dpkg-query", "dpkg");
        Path root = TrixieDocker.rootfsOrSkip();
        Path admin = root.resolve("var/lib/dpkg");
        List<String> truth = Tools.lines(Tools.run("dpkg-query", "--admindir=" + admin, "-W", "-f", DPKG_FORMAT));

        byte[] tar = LayerTars.layer()
                .file("var/lib/dpkg/status", Files.readAllBytes(admin.resolve("status")))
                .file("etc/hostname", "x\n")
                .tar();
        LayerDatabases read = LayerPackageReader.readTar(new ByteArrayInputStream(tar));

        assertThat(read.problems()).isEmpty();
        assertThat(read.databases()).singleElement().satisfies(db -> {
            assertThat(db.ecosystem()).isEqualTo(PackageEcosystem.DPKG);
            assertThat(db.path()).isEqualTo("var/lib/dpkg/status");
            assertThat(db.state()).isEqualTo(PackageDatabase.PRESENT);
            assertThat(Tools.lines(String.join("\n", db.packages().stream().map(p -> p.name() + " " + p.version() + " "
                    + p.architecture() + " " + p.sourceName() + " " + p.sourceVersion()).toList())))
                    .hasSizeGreaterThan(50)
                    .isEqualTo(truth);
        });
    }

    @Test
    void a_debian_root_read_as_a_layer_folder_gives_the_same_packages_as_its_tar() throws Exception {
        Path root = TrixieDocker.rootfsOrSkip();
        byte[] tar = LayerTars.layer().file("var/lib/dpkg/status", Files.readAllBytes(root.resolve("var/lib/dpkg/status"))).tar();

        LayerDatabases folder = LayerPackageReader.readFolder(root);

        assertThat(folder.problems()).isEmpty();
        assertThat(folder.databases()).isEqualTo(LayerPackageReader.readTar(new ByteArrayInputStream(tar)).databases());
    }

    @Test
    void an_rpm_database_made_by_rpm_lists_what_rpm_qa_lists(@TempDir Path dir) throws Exception {
        Tools.require("rpmbuild", "rpm");
        Path root = dir.resolve("root");
        Path dbPath = root.resolve("var/lib/rpm");
        Files.createDirectories(dbPath);
        Tools.run("rpm", "--initdb", "--dbpath", dbPath.toString());
        for (String rpm : RpmBuilds.build(dir.resolve("build"))) {
            Tools.run("rpm", "-i", "--dbpath", dbPath.toString(), "--justdb", "--nodeps", "--ignorearch", "--ignoreos", rpm);
        }
        List<String> truth = Tools.lines(Tools.run("rpm", "-qa", "--dbpath", dbPath.toString(), "--qf",
                "%{NAME} %{EVR} %{ARCH} %{SOURCERPM}\\n"));

        LayerDatabases folder = LayerPackageReader.readFolder(root);
        byte[] tar = LayerTars.layer().file("var/lib/rpm/rpmdb.sqlite", Files.readAllBytes(dbPath.resolve("rpmdb.sqlite"))).tar();
        LayerDatabases fromTar = LayerPackageReader.readTar(new ByteArrayInputStream(tar));

        assertThat(folder.problems()).isEmpty();
        assertThat(folder.databases()).singleElement().satisfies(db -> {
            assertThat(db.ecosystem()).isEqualTo(PackageEcosystem.RPM);
            assertThat(db.path()).isEqualTo("var/lib/rpm/rpmdb.sqlite");
            assertThat(Tools.lines(String.join("\n", db.packages().stream().map(p -> p.name() + " " + p.version() + " "
                    + p.architecture() + " " + p.sourceName() + "-" + p.sourceVersion() + ".src.rpm").toList())))
                    .hasSize(2)
                    .isEqualTo(truth);
        });
        assertThat(fromTar.databases()).isEqualTo(folder.databases());
        assertThat(Files.list(dbPath).map(p -> p.getFileName().toString()).sorted().toList())
                .as("read-only: no journal or lock file appears beside the database")
                .doesNotContain("rpmdb.sqlite-journal");
    }
}
