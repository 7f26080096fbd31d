package io.layeratlas.ingest.engine;

import com.github.dockerjava.transport.DockerHttpClient;
import com.sun.net.httpserver.HttpServer;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;
import io.layeratlas.events.SourceKind;
import io.layeratlas.ingest.Scanner;
import io.layeratlas.ingest.SourceScan;
import io.layeratlas.ingest.dataroot.DataRootReader;
import io.layeratlas.ingest.internal.EngineClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Engine API reader against a real dockerd (see {@link DockerDaemon}), compared with
 * {@link DataRootReader} on the same daemon's data-root, read while the daemon runs.
 *
 * <p>The images: {@code atlas/base:1.0} imported from a busybox root file system (tagged three ways), and two
 * classic-builder images FROM it: {@code atlas/app:1.0} (ENV, RUN, LABEL, a RUN that only deletes a file — a
 * layer of 0 bytes that is not empty — another RUN, CMD) and {@code atlas/tool:1.0} (one RUN), with their
 * intermediate images; {@code atlas/orphan:1.0} (ENV, RUN rm, WORKDIR) saved, removed and loaded back, so it has
 * no parent images; three containers (created, never started).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EngineApiReaderDaemonTest {

    private static final String HOST_ID = "engine-test";

    private DockerDaemon daemon;
    private HostInventory api;
    private HostInventory disk;
    private SourceScan apiScan;
    private Digest base;
    private Digest app;
    private Digest tool;
    private Digest orphan;

    @BeforeAll
    void start_a_daemon_and_make_images() throws IOException {
        daemon = DockerDaemon.startOrSkip(Path.of("target").toAbsolutePath());
        Path work = daemon.dataRoot().resolveSibling("work");
        Path ctx = Files.createDirectories(work.resolve("app"));
        Path rootfs = DockerDaemon.busyboxRootfs(work.resolve("rootfs.tar"), "ID=atlas-test");

        base = Digest.parse(daemon.docker("import", "-c", "CMD [\"/bin/sh\"]", "-m", "LayerAtlas test rootfs",
                rootfs.toString(), "atlas/base:1.0").strip());
        daemon.docker("tag", "atlas/base:1.0", "atlas/base:latest");
        daemon.docker("tag", "atlas/base:1.0", "registry.example:5000/team/base:2");

        Files.writeString(ctx.resolve("Dockerfile"), """
                FROM atlas/base:1.0
                ENV GREETING=hello
                RUN echo "$GREETING" > /greeting
                LABEL org.example.team=atlas
                RUN rm /etc/motd
                RUN mkdir -p /srv && echo two > /srv/two
                CMD ["/bin/sh"]
                """);
        daemon.docker("build", "-q", "-t", "atlas/app:1.0", ctx.toString());
        app = Digest.parse(daemon.docker("image", "inspect", "-f", "{{.Id}}", "atlas/app:1.0").strip());

        Path toolCtx = Files.createDirectories(work.resolve("tool"));
        Files.writeString(toolCtx.resolve("Dockerfile"), """
                FROM atlas/base:1.0
                RUN echo tool > /tool
                """);
        daemon.docker("build", "-q", "-t", "atlas/tool:1.0", toolCtx.toString());
        tool = Digest.parse(daemon.docker("image", "inspect", "-f", "{{.Id}}", "atlas/tool:1.0").strip());

        // Saved, removed and loaded again: the same image, but without the parent images that tell which of its
        // zero-byte steps made layers (RUN rm, WORKDIR) and which did not (ENV).
        Path orphanCtx = Files.createDirectories(work.resolve("orphan"));
        Files.writeString(orphanCtx.resolve("Dockerfile"), """
                FROM atlas/base:1.0
                ENV MODE=orphan
                RUN rm /etc/passwd
                WORKDIR /srv
                """);
        daemon.docker("build", "-q", "-t", "atlas/orphan:1.0", orphanCtx.toString());
        orphan = Digest.parse(daemon.docker("image", "inspect", "-f", "{{.Id}}", "atlas/orphan:1.0").strip());
        Path saved = work.resolve("orphan.tar");
        daemon.docker("save", "-o", saved.toString(), "atlas/orphan:1.0");
        daemon.docker("rmi", "atlas/orphan:1.0");
        daemon.docker("load", "-q", "-i", saved.toString());

        daemon.docker("create", "--name", "web", "atlas/app:1.0");
        daemon.docker("create", "--name", "web-2", "atlas/app:1.0");
        daemon.docker("create", "--name", "shell", "atlas/base:1.0");

        apiScan = new EngineApiReader().read(daemon.host(), HOST_ID);
        api = apiScan.inventory();
        disk = new DataRootReader().read(daemon.dataRoot().toString(), HOST_ID).inventory();
    }

    @AfterAll
    void stop_the_daemon() {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void the_api_lists_every_image_docker_image_ls_all_shows_and_the_data_root_holds() {
        Set<Digest> cli = Arrays.stream(daemon.docker("image", "ls", "-aq", "--no-trunc").split("\\s+"))
                .filter(s -> !s.isBlank()).map(Digest::parse).collect(Collectors.toCollection(TreeSet::new));
        assertThat(ids(api)).containsExactlyElementsOf(cli).containsExactlyElementsOf(ids(disk))
                .contains(base, app, tool).hasSizeGreaterThan(3); // the intermediate build images too
        assertThat(api.kind()).isEqualTo("engine-api");
        assertThat(api.source()).isEqualTo(daemon.host());
        assertThat(api.hostId()).isEqualTo(HOST_ID);
    }

    @Test
    void the_api_and_the_data_root_agree_on_every_image_field_by_field() {
        Map<Digest, ImageRecord> onDisk = byId(disk);
        for (ImageRecord image : api.images()) {
            ImageRecord expected = withHistoryInWholeSeconds(onDisk.get(image.id()));
            assertThat(image).as("image %s", image.id()).isEqualTo(expected);
        }
    }

    @Test
    void the_api_and_the_data_root_agree_on_every_layer_except_what_only_the_disk_knows() {
        // compressed digests and cache IDs are the data-root's alone: the API serves neither
        List<LayerRecord> fromDisk = disk.layers().stream()
                .map(l -> LayerRecord.of(l.chainId(), l.diffId(), l.parentChainId(), l.size())).toList();
        assertThat(api.layers()).containsExactlyElementsOf(fromDisk);
        assertThat(disk.layers()).allSatisfy(l -> assertThat(l.cacheId()).isNotBlank());
    }

    @Test
    void the_only_problem_is_the_loaded_image_whose_zero_byte_steps_the_api_cannot_tell_apart() {
        assertThat(disk.problems()).isEmpty();
        assertThat(api.problems()).singleElement().satisfies(p -> {
            assertThat(p.path()).isEqualTo("GET /images/" + orphan + "/history");
            assertThat(p.reason()).isEqualTo("steps 0..3: cannot tell which 2 of the 3 zero-byte steps made a layer"
                    + " (the API has no empty_layer flag); taken: steps [2, 3], preferring steps that are not metadata-only");
        });
    }

    @Test
    void a_loaded_image_without_parents_still_gets_its_zero_byte_layers_right() {
        ImageRecord o = byId(api).get(orphan);
        assertThat(o.parent()).isNull();
        assertThat(o.diffIds()).hasSize(3);
        assertThat(o.history()).extracting(HistoryEntry::emptyLayer).containsExactly(false, true, false, false);
        assertThat(o.history()).extracting(HistoryEntry::createdBy).last().asString().contains("WORKDIR /srv");
        assertThat(o.history().subList(1, 4)).extracting(HistoryEntry::size).containsOnly(0L);
    }

    @Test
    void tags_parent_and_history_are_those_the_images_were_made_with() {
        ImageRecord b = byId(api).get(base);
        assertThat(b.repoTags()).containsExactly("atlas/base:1.0", "atlas/base:latest", "registry.example:5000/team/base:2");
        assertThat(b.repoDigests()).isEmpty(); // no registry here: nothing was pulled or pushed
        assertThat(b.parent()).isNull();
        assertThat(b.history()).singleElement().satisfies(h -> {
            assertThat(h.comment()).isEqualTo("LayerAtlas test rootfs");
            assertThat(h.emptyLayer()).isFalse();
            assertThat(h.size()).isEqualTo(b.size()).isGreaterThan(Files.size(Path.of("/bin/busybox")) - 1);
        });

        ImageRecord a = byId(api).get(app);
        assertThat(a.repoTags()).containsExactly("atlas/app:1.0");
        assertThat(a.parent()).isNotNull().isNotEqualTo(base); // the image of the step before CMD
        assertThat(a.diffIds()).hasSize(4).startsWith(b.diffIds().get(0));
        assertThat(a.history()).extracting(HistoryEntry::emptyLayer)
                .containsExactly(false, true, false, true, false, false, true);
        assertThat(a.history().get(2).createdBy()).contains("echo \"$GREETING\" > /greeting");
        // inspect's Created keeps nanoseconds; the history API's times are whole seconds
        assertThat(a.created().getNano()).isNotZero();
        assertThat(a.history()).allSatisfy(h -> assertThat(h.created().getNano()).isZero());
    }

    @Test
    void a_layer_of_zero_bytes_is_told_apart_from_an_empty_step() {
        ImageRecord a = byId(api).get(app);
        HistoryEntry rm = a.history().get(4);
        assertThat(rm.createdBy()).contains("rm /etc/motd");
        assertThat(rm.emptyLayer()).isFalse();
        assertThat(rm.size()).isZero();
        assertThat(a.history().get(3).createdBy()).contains("LABEL org.example.team=atlas");
        assertThat(a.history().get(3).emptyLayer()).isTrue();
        LayerRecord rmLayer = layer(api, a.chainIds().get(2));
        assertThat(rmLayer.size()).isZero();
        assertThat(layer(api, a.chainIds().get(1)).size()).isEqualTo("hello\n".length());
    }

    @Test
    void containers_and_shared_size_are_what_docker_system_df_counts() {
        Map<Digest, ImageRecord> images = byId(api);
        assertThat(images.get(app).containers()).isEqualTo(2);
        assertThat(images.get(base).containers()).isEqualTo(1);
        assertThat(images.get(tool).containers()).isZero();
        long baseLayer = layer(api, images.get(base).chainIds().get(0)).size();
        // base, app and tool all hold the busybox layer; nothing else is shared
        assertThat(images.get(base).sharedSize()).isEqualTo(baseLayer);
        assertThat(images.get(tool).sharedSize()).isEqualTo(baseLayer);
        assertThat(images.get(tool).uniqueSize()).isEqualTo("tool\n".length());
        assertThat(images.get(app).uniqueSize()).isEqualTo(images.get(app).size() - baseLayer);
    }

    @Test
    void the_engine_api_gives_no_config_bytes() {
        assertThat(apiScan.configs()).isEmpty();
    }

    @Test
    void the_scanner_reads_the_socket_as_engine_api_by_uri_and_by_path() {
        String socketPath = daemon.host().substring("unix://".length());
        assertThat(Scanner.detect(daemon.host())).contains(SourceKind.ENGINE_API);
        assertThat(Scanner.detect(socketPath)).contains(SourceKind.ENGINE_API);
        HostInventory byPath = new Scanner().scan(socketPath, Optional.empty(), HOST_ID);
        assertThat(byPath.kind()).isEqualTo("engine-api");
        assertThat(byPath.images()).isEqualTo(api.images());
    }

    @Test
    void an_image_the_daemon_cannot_inspect_is_a_problem_and_the_rest_is_read_over_tcp() throws IOException {
        String failing = "/images/" + tool + "/json";
        HttpServer proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        try (DockerHttpClient upstream = EngineClients.http(daemon.host(), Duration.ofSeconds(30))) {
            proxy.createContext("/", exchange -> {
                String uri = exchange.getRequestURI().toString();
                int status;
                byte[] body;
                if (uri.equals(failing)) {
                    status = 404;
                    body = ("{\"message\":\"No such image: " + tool + "\"}").getBytes(StandardCharsets.UTF_8);
                } else {
                    try (DockerHttpClient.Response r = upstream.execute(DockerHttpClient.Request.builder()
                            .method(DockerHttpClient.Request.Method.GET).path(uri).build());
                         InputStream in = r.getBody()) {
                        status = r.getStatusCode();
                        body = in.readAllBytes();
                    }
                }
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(status, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            proxy.start();
            HostInventory viaTcp = new EngineApiReader()
                    .read("tcp://127.0.0.1:" + proxy.getAddress().getPort(), HOST_ID).inventory();

            assertThat(viaTcp.problems()).containsExactlyInAnyOrderElementsOf(concat(api.problems(),
                    new Problem("GET " + failing, "HTTP 404: No such image: " + tool)));
            assertThat(ids(viaTcp)).doesNotContain(tool).contains(base, app).hasSize(api.images().size() - 1);
            assertThat(byId(viaTcp).get(app)).isEqualTo(byId(api).get(app));
        } finally {
            proxy.stop(0);
        }
    }

    private static ImageRecord withHistoryInWholeSeconds(ImageRecord r) {
        List<HistoryEntry> history = r.history().stream().map(h -> new HistoryEntry(
                h.created() == null ? null : h.created().truncatedTo(ChronoUnit.SECONDS),
                h.createdBy(), h.comment(), h.emptyLayer(), h.size())).toList();
        return new ImageRecord(r.id(), r.repoTags(), r.repoDigests(), r.parent(), r.created(), r.size(), r.diffIds(),
                r.chainIds(), history, r.containers(), r.sharedSize(), r.uniqueSize(), r.os(), r.architecture());
    }

    private static List<Problem> concat(List<Problem> problems, Problem more) {
        List<Problem> all = new java.util.ArrayList<>(problems);
        all.add(more);
        return all;
    }

    private static Set<Digest> ids(HostInventory inv) {
        return inv.images().stream().map(ImageRecord::id).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Map<Digest, ImageRecord> byId(HostInventory inv) {
        return inv.images().stream().collect(Collectors.toMap(ImageRecord::id, Function.identity()));
    }

    private static LayerRecord layer(HostInventory inv, Digest chainId) {
        return inv.layers().stream().filter(l -> l.chainId().equals(chainId)).findFirst().orElseThrow();
    }
}
