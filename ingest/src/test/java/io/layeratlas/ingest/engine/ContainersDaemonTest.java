package io.layeratlas.ingest.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.events.ContainerRecord;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.HostMetadata;
import io.layeratlas.ingest.dataroot.DataRootReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16, points 4 and 6: the containers and host facts the agent reads, from the data-root and from the Engine
 * API, against what the test's own dockerd ({@link DockerDaemon}) says: {@code docker ps -a --no-trunc --format json}
 * (ID, Names, State, CreatedAt, Image), {@code docker inspect -f {{.Image}}} (the image ID) and
 * {@code docker info --format json}. The containers: one created and never started, one running (host networking:
 * the daemon has no bridge), one that ran and exited, on two images.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContainersDaemonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** {@code docker ps}'s CreatedAt: Go's {@code time.Time.String()} without the monotonic part. */
    private static final DateTimeFormatter PS_CREATED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss Z 'UTC'");

    private DockerDaemon daemon;
    private HostInventory api;
    private HostInventory disk;
    private List<JsonNode> ps;

    @BeforeAll
    void start_a_daemon_and_make_containers() throws IOException {
        daemon = DockerDaemon.startOrSkip(Path.of("target").toAbsolutePath());
        Path rootfs = DockerDaemon.busyboxRootfs(daemon.dataRoot().resolveSibling("rootfs.tar"), "ID=containers-test");
        daemon.docker("import", "-c", "CMD [\"/bin/sh\"]", rootfs.toString(), "atlas/base:1.0");
        Path other = DockerDaemon.busyboxRootfs(daemon.dataRoot().resolveSibling("other.tar"), "ID=containers-other");
        daemon.docker("import", "-c", "CMD [\"/bin/sh\"]", other.toString(), "atlas/other:2");

        daemon.docker("create", "--network", "host", "--name", "made", "atlas/base:1.0");
        daemon.docker("run", "-d", "--network", "host", "--name", "serving", "atlas/base:1.0", "/bin/busybox", "sleep", "600");
        daemon.docker("run", "--network", "host", "--name", "finished", "atlas/other:2", "/bin/busybox", "true");

        ps = new ArrayList<>();
        for (String line : daemon.docker("ps", "-a", "--no-trunc", "--format", "json").split("\n")) {
            if (!line.isBlank()) {
                ps.add(JSON.readTree(line));
            }
        }
        api = new EngineApiReader().read(daemon.host(), "containers-test").inventory();
        disk = new DataRootReader().read(daemon.dataRoot().toString(), "containers-test").inventory();
    }

    @AfterAll
    void stop_the_daemon() {
        if (daemon != null) {
            daemon.docker("rm", "-f", "serving"); // else the daemon waits for it on shutdown
            daemon.close();
        }
    }

    @Test
    void docker_ps_lists_the_three_containers_in_their_three_states() {
        assertThat(ps).extracting(c -> c.path("Names").asText() + " " + c.path("State").asText())
                .containsExactlyInAnyOrder("made created", "serving running", "finished exited");
    }

    @Test
    void the_data_root_shows_every_container_as_docker_ps_does() {
        assertThat(byId(disk)).isEqualTo(expected(true));
    }

    @Test
    void the_engine_api_shows_every_container_as_docker_ps_does() {
        assertThat(byId(api)).isEqualTo(expected(false));
    }

    @Test
    void creation_times_from_disk_keep_what_docker_ps_rounds_away() {
        for (ContainerRecord c : disk.containers()) {
            String inspected = daemon.docker("inspect", "-f", "{{.Created}}", c.id()).strip();
            assertThat(c.created()).as(c.name()).isEqualTo(Instant.parse(inspected));
        }
    }

    @Test
    void host_facts_come_from_docker_info_or_from_the_data_root() throws IOException {
        JsonNode info = JSON.readTree(daemon.docker("info", "--format", "json"));
        assertThat(api.host()).isEqualTo(new HostMetadata(info.path("ServerVersion").asText(), info.path("Driver").asText(),
                info.path("DockerRootDir").asText(), info.path("OperatingSystem").asText(), Map.of()));
        // On disk: the driver is the image/<driver>/ folder, the data-root is the path read; the rest is unknown.
        assertThat(disk.host()).isEqualTo(new HostMetadata(null, info.path("Driver").asText(),
                daemon.dataRoot().toString(), null, Map.of()));
        assertThat(api.host().dataRoot()).isEqualTo(daemon.dataRoot().toString());
    }

    @Test
    void container_counts_per_image_agree_with_the_containers_listed() {
        for (HostInventory inv : List.of(api, disk)) {
            inv.images().forEach(i -> assertThat(i.containers()).as("%s %s", inv.kind(), i.repoTags())
                    .isEqualTo((int) inv.containers().stream().filter(c -> i.id().equals(c.imageId())).count()));
        }
    }

    /** What docker says, as records; the API's creation time is whole seconds, as docker ps prints it. */
    private Map<String, ContainerRecord> expected(boolean fromDisk) {
        Map<String, ContainerRecord> out = new TreeMap<>();
        for (JsonNode c : ps) {
            String id = c.path("ID").asText();
            Instant created = ZonedDateTime.parse(c.path("CreatedAt").asText(), PS_CREATED).toInstant();
            Digest image = Digest.parse(daemon.docker("inspect", "-f", "{{.Image}}", id).strip());
            out.put(id, new ContainerRecord(id, c.path("Names").asText(), c.path("State").asText(), created, image,
                    c.path("Image").asText()));
        }
        return out;
    }

    private static Map<String, ContainerRecord> byId(HostInventory inv) {
        Map<String, ContainerRecord> out = new TreeMap<>();
        for (ContainerRecord c : inv.containers()) {
            // docker ps prints whole seconds; compare at that precision (the test above checks the rest)
            out.put(c.id(), new ContainerRecord(c.id(), c.name(), c.state(),
                    c.created() == null ? null : c.created().truncatedTo(ChronoUnit.SECONDS), c.imageId(), c.image()));
        }
        return out;
    }
}
