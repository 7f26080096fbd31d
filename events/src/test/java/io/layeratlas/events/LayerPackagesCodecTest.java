package io.layeratlas.events;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LayerPackagesCodecTest {
    static final Digest DIFF = Digest.sha256Of("layer");

    @Test
    void layer_packages_survive_a_round_trip_through_json() {
        LayerPackages event = LayerPackages.of(DIFF, "0.1.0", Instant.parse("2026-12-02T06:40:00.5Z"), List.of(
                PackageDatabase.present(PackageEcosystem.DPKG, "var/lib/dpkg/status", List.of(
                        new InstalledPackage("openssl", "3.0.7-1~deb12u1", "amd64", "openssl", "3.0.7-1~deb12u1"),
                        new InstalledPackage("base-files", "12.4+deb12u5", "amd64", null, null))),
                PackageDatabase.removed(PackageEcosystem.APK, "lib/apk/db/"),
                PackageDatabase.present(PackageEcosystem.RPM, "usr/lib/sysimage/rpm/rpmdb.sqlite", List.of(
                        new InstalledPackage("gpg-pubkey", "3228467c-613798eb", null, null, null)))),
                List.of(new Problem("var/lib/rpm/Packages", "unsupported rpm database (Berkeley DB)")));
        byte[] json = EventCodec.encode(event);
        assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"type\":\"layer-packages\"", "\"schemaVersion\":1",
                "\"diffId\":\"" + DIFF + "\"", "\"ecosystem\":\"dpkg\"", "\"state\":\"removed\"", "\"sourceName\":null",
                "\"readAt\":\"2026-12-02T06:40:00.5Z\"");
        assertThat(EventCodec.decode(json)).isEqualTo(event);
        assertThat(event.key()).isEqualTo(DIFF.toString());
    }

    @Test
    void the_readme_example_decodes_to_what_it_says() throws Exception {
        // The hand-written example in events/README.md, section `layer-packages`: the contract other languages read.
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("## `layer-packages`");
        int start = readme.indexOf("```json\n", section) + "```json\n".length();
        String example = readme.substring(start, readme.indexOf("```", start));

        LayerPackages event = (LayerPackages) EventCodec.decode(example.getBytes(StandardCharsets.UTF_8));

        assertThat(event.diffId()).isEqualTo(Digest.parse("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"));
        assertThat(event.agentVersion()).isEqualTo("0.1.0");
        assertThat(event.readAt()).isEqualTo(Instant.parse("2026-12-02T06:40:00Z"));
        assertThat(event.databases()).containsExactly(
                PackageDatabase.present(PackageEcosystem.DPKG, "var/lib/dpkg/status", List.of(
                        new InstalledPackage("openssl", "3.0.7-1~deb12u1", "amd64", "openssl", "3.0.7-1~deb12u1"),
                        new InstalledPackage("libc6", "2.36-9+deb12u4", "amd64", "glibc", null))),
                PackageDatabase.removed(PackageEcosystem.DPKG, "var/lib/dpkg/status.d/"),
                PackageDatabase.removed(PackageEcosystem.RPM, "var/lib/rpm/rpmdb.sqlite"));
        assertThat(event.databases().get(1).directory()).isTrue();
        assertThat(event.problems()).containsExactly(new Problem("var/lib/rpm/Packages", "unsupported rpm database (Berkeley DB)"));
    }

    @Test
    void a_layer_that_touches_no_database_is_an_empty_list_not_null() {
        LayerPackages event = (LayerPackages) EventCodec.decode(("{\"type\":\"layer-packages\",\"schemaVersion\":1,\"diffId\":\""
                + DIFF + "\",\"agentVersion\":\"0.1.0\",\"readAt\":\"2026-12-02T06:40:00Z\",\"databases\":[],\"problems\":[]}")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(event.databases()).isEmpty();
        assertThat(event.problems()).isEmpty();
    }

    @Test
    void malformed_layer_packages_are_refused_with_a_reason() {
        assertThatThrownBy(() -> decode("{\"ecosystem\":\"pacman\",\"path\":\"var/lib/pacman/local\",\"state\":\"present\",\"packages\":[]}"))
                .isInstanceOf(UndecodableEventException.class).hasMessageContaining("unknown package ecosystem 'pacman'");
        assertThatThrownBy(() -> decode("{\"ecosystem\":\"dpkg\",\"path\":\"var/lib/dpkg/status\",\"state\":\"removed\",\"packages\":"
                + "[{\"name\":\"a\",\"version\":\"1\",\"architecture\":\"all\",\"sourceName\":null,\"sourceVersion\":null}]}"))
                .isInstanceOf(UndecodableEventException.class).hasMessageContaining("removed package database var/lib/dpkg/status lists 1 packages");
        assertThatThrownBy(() -> decode("{\"ecosystem\":\"dpkg\",\"path\":\"/var/lib/dpkg/status\",\"state\":\"present\",\"packages\":[]}"))
                .isInstanceOf(UndecodableEventException.class).hasMessageContaining("not a clean path relative to the layer root");
        assertThatThrownBy(() -> decode("{\"ecosystem\":\"dpkg\",\"path\":\"var/lib/../../etc/status\",\"state\":\"present\",\"packages\":[]}"))
                .isInstanceOf(UndecodableEventException.class).hasMessageContaining("not a clean path");
        assertThatThrownBy(() -> decode("{\"ecosystem\":\"dpkg\",\"path\":\"var/lib/dpkg/status\",\"state\":\"gone\",\"packages\":[]}"))
                .isInstanceOf(UndecodableEventException.class).hasMessageContaining("unknown state 'gone'");
        assertThatThrownBy(() -> decode("{\"ecosystem\":\"dpkg\",\"path\":\"var/lib/dpkg/status\",\"state\":\"present\",\"packages\":"
                + "[{\"name\":\"a\",\"version\":\"\",\"architecture\":\"all\"}]}"))
                .isInstanceOf(UndecodableEventException.class).hasMessageContaining("package a has a blank version");
        String db = "{\"ecosystem\":\"apk\",\"path\":\"lib/apk/db/installed\",\"state\":\"removed\",\"packages\":[]}";
        assertThatThrownBy(() -> decode(db + "," + db))
                .isInstanceOf(UndecodableEventException.class).hasMessageContaining("lists apk database lib/apk/db/installed twice");
        assertThatThrownBy(() -> EventCodec.decode(("{\"type\":\"layer-packages\",\"schemaVersion\":1,\"diffId\":\"sha256:abc\","
                + "\"agentVersion\":\"0.1.0\",\"readAt\":\"2026-12-02T06:40:00Z\",\"databases\":[]}").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(UndecodableEventException.class).hasMessageContaining("not a sha256 digest");
    }

    private static LayerAtlasEvent decode(String databases) {
        return EventCodec.decode(("{\"type\":\"layer-packages\",\"schemaVersion\":1,\"diffId\":\"" + DIFF
                + "\",\"agentVersion\":\"0.1.0\",\"readAt\":\"2026-12-02T06:40:00Z\",\"databases\":[" + databases
                + "],\"problems\":[]}").getBytes(StandardCharsets.UTF_8));
    }
}
