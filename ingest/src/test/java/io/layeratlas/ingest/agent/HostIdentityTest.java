package io.layeratlas.ingest.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class HostIdentityTest {

    @Test
    void a_configured_host_id_wins_over_everything_else(@TempDir Path dir) throws Exception {
        Path machineId = Files.writeString(dir.resolve("machine-id"), "3d1219c7c4c5404aaa1f6d2a48adfda4\n");
        HostIdentity id = HostIdentity.resolve(" node-7 ", machineId, () -> Optional.of("DAEMON"), () -> "box");
        assertThat(id).isEqualTo(new HostIdentity("node-7", HostIdentity.Origin.CONFIGURED));
    }

    @Test
    void without_configuration_the_machine_id_is_used(@TempDir Path dir) throws Exception {
        Path machineId = Files.writeString(dir.resolve("machine-id"), "3d1219c7c4c5404aaa1f6d2a48adfda4\n");
        assertThat(HostIdentity.resolve(null, machineId, () -> Optional.of("DAEMON"), () -> "box"))
                .isEqualTo(new HostIdentity("3d1219c7c4c5404aaa1f6d2a48adfda4", HostIdentity.Origin.MACHINE_ID));
    }

    @Test
    void an_empty_or_uninitialized_machine_id_falls_back_to_the_docker_daemon_id(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), "");
        Path uninitialized = Files.writeString(dir.resolve("uninit"), "uninitialized\n");
        assertThat(HostIdentity.resolve("", empty, () -> Optional.of("ABCD:EFGH"), () -> "box").origin())
                .isEqualTo(HostIdentity.Origin.DOCKER_DAEMON);
        assertThat(HostIdentity.resolve(null, uninitialized, () -> Optional.of("ABCD:EFGH"), () -> "box").hostId())
                .isEqualTo("ABCD:EFGH");
    }

    @Test
    void without_machine_id_or_reachable_daemon_the_hostname_is_used(@TempDir Path dir) {
        assertThat(HostIdentity.resolve(null, dir.resolve("missing"), Optional::empty, () -> "box"))
                .isEqualTo(new HostIdentity("box", HostIdentity.Origin.HOSTNAME));
        assertThat(HostIdentity.resolve(null, dir.resolve("missing"), () -> {
            throw new IllegalStateException("daemon gone");
        }, () -> "box").origin()).isEqualTo(HostIdentity.Origin.HOSTNAME);
    }

    @Test
    void an_absent_docker_socket_is_not_waited_for() {
        long start = System.nanoTime();
        assertThat(DockerEngine.daemonId("unix:///nonexistent/docker.sock")).isEmpty();
        assertThat(System.nanoTime() - start).isLessThan(1_000_000_000L);
    }
}
