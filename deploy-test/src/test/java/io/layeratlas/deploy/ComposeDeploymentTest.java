package io.layeratlas.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.RestartPolicy;
import io.layeratlas.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.containers.wait.strategy.WaitStrategy;
import org.testcontainers.utility.DockerImageName;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The deployment as an operator runs it: every service of {@code docker-compose.yml} as a container, started by
 * Testcontainers on the test's own dockerd ({@link TestDockerd}), with the image, command, environment, volumes,
 * health check, restart policy and start order the file gives it ({@link ComposeFile} reads them from the file).
 * Only the images differ, through the file's own variables: {@link OfflineImages} builds PostgreSQL and Kafka on a
 * Debian base and LayerAtlas from the repository's Dockerfile, since no registry is reachable here. The agent reads
 * fleet-main's {@value #HOST} data-root, mounted read-only through the file's {@code DOCKER_DATA_ROOT}.
 *
 * <p>Host networking stands in for compose's network: each container reaches the others' service names on loopback
 * (extra {@code /etc/hosts} entries), so the ports the file uses must be free on this machine; the test says which
 * is not. Expected answers come from Docker's own output for that host ({@code truth/build-01/image-inspect.json}).
 * The first run on a machine builds the base images (minutes); later runs reuse them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeDeploymentTest {
    private static final String HOST = "build-01";
    /** Every port the compose file's services listen on with host networking. */
    private static final List<Integer> PORTS = List.of(9092, 9093, 5432, 7070, 9464);
    private static final Duration SERVICE_START = Duration.ofMinutes(4);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MACHINE_NAME = machineName();

    private static TestDockerd dockerd;
    private static ComposeFile compose;
    private static final String PROJECT = "la" + UUID.randomUUID().toString().substring(0, 8);
    private static final Map<String, GenericContainer<?>> running = new ConcurrentHashMap<>();
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** diff ID → host → image IDs holding it, as Docker reported. */
    private static final Map<String, Map<String, Set<String>>> truth = new TreeMap<>();

    @BeforeAll
    static void start_the_compose_deployment() throws Exception {
        for (int port : PORTS) {
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
            } catch (IOException e) {
                throw new IllegalStateException("port " + port + " is taken on this machine; the deployment test runs "
                        + "the compose file's services on the host's network, which needs ports " + PORTS, e);
            }
        }
        long t0 = System.nanoTime();
        dockerd = TestDockerd.start();
        // A run that died left containers (restart: unless-stopped brings them back) and volumes behind.
        String leftovers = dockerd.docker(Duration.ofSeconds(30), "ps", "-aq").strip();
        if (!leftovers.isEmpty()) {
            List<String> rm = new ArrayList<>(List.of("rm", "-f", "-v"));
            rm.addAll(List.of(leftovers.split("\\s+")));
            dockerd.docker(Duration.ofMinutes(2), rm.toArray(String[]::new));
        }
        dockerd.docker(Duration.ofMinutes(2), "volume", "prune", "-f");

        Path root = Fixtures.projectRoot();
        OfflineImages images = new OfflineImages(dockerd, root);
        Map<String, String> variables = new LinkedHashMap<>();
        variables.put("KAFKA_IMAGE", images.kafka());
        variables.put("POSTGRES_IMAGE", images.postgres());
        variables.put("LAYERATLAS_IMAGE", images.layeratlas("layeratlas"));
        variables.put("LAYERATLAS_AGENT_IMAGE", images.layeratlas("agent"));
        variables.put("DOCKER_DATA_ROOT", Fixtures.dataRoot(HOST).toString());
        variables.put("HOSTNAME", HOST);
        variables.put("LAYERATLAS_DB_PASSWORD", "pw-" + UUID.randomUUID());
        long t1 = System.nanoTime();
        System.out.printf("deploy-test: images ready in %d s (%s)%n", (t1 - t0) / 1_000_000_000, variables);

        compose = ComposeFile.read(Path.of(System.getProperty("layeratlas.composeFile",
                root.resolve("docker-compose.yml").toString())), variables);
        // As compose: each service starts once what it depends on is up, independent ones at the same time.
        Map<String, CompletableFuture<Void>> started = new LinkedHashMap<>();
        ExecutorService pool = Executors.newCachedThreadPool();
        try {
            for (String name : startOrder()) {
                ComposeFile.Service s = compose.service(name);
                CompletableFuture<?>[] deps = s.dependsOn().stream().map(d -> started.get(d.service()))
                        .toArray(CompletableFuture[]::new);
                started.put(name, CompletableFuture.allOf(deps).thenRunAsync(() -> start(s), pool));
            }
            CompletableFuture.allOf(started.values().toArray(CompletableFuture[]::new)).join();
        } finally {
            pool.shutdown();
        }
        System.out.printf("deploy-test: %d services up in %d s%n", running.size(), (System.nanoTime() - t1) / 1_000_000_000);

        for (JsonNode image : JSON.readTree(Fixtures.truth(HOST).resolve("image-inspect.json").toFile())) {
            for (JsonNode layer : image.path("RootFS").path("Layers")) {
                truth.computeIfAbsent(layer.asText(), k -> new TreeMap<>())
                        .computeIfAbsent(HOST, k -> new TreeSet<>()).add(image.get("Id").asText());
            }
        }
    }

    @AfterAll
    static void stop() throws IOException {
        Path logs = Fixtures.projectRoot().resolve("deploy-test/target/deploy-test-logs");
        Files.createDirectories(logs);
        List<String> names = compose == null ? List.of() : new ArrayList<>(startOrder());
        java.util.Collections.reverse(names);
        for (String name : names) {
            GenericContainer<?> c = running.get(name);
            if (c == null) {
                continue;
            }
            try {
                Files.writeString(logs.resolve(name + ".log"), c.getLogs());
            } catch (RuntimeException e) {
                // the container is gone; its log with it
            }
            c.stop();
        }
        if (dockerd != null) {
            if (compose != null) {
                dockerd.docker(Duration.ofMinutes(2), "volume", "prune", "-f");
                // each run rebuilds the LayerAtlas images: the previous ones would pile up in the cache
                dockerd.docker(Duration.ofMinutes(2), "image", "prune", "-f");
            }
            dockerd.close();
        }
    }

    @Test
    @Order(1)
    void the_dashboard_says_which_hosts_hold_each_layer_as_docker_reported() throws Exception {
        assertThat(truth).as("diff IDs in %s's truth", HOST).hasSizeGreaterThan(20);
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                assertThat(answers()).isEqualTo(truth));
        // A layer this host does not hold is not found, rather than listed with the wrong host.
        assertThat(get("/api/v1/layers/sha256:" + "0".repeat(64) + "/hosts").statusCode()).isEqualTo(404);
    }

    @Test
    @Order(2)
    void restarting_the_indexer_container_loses_nothing_published_meanwhile() throws Exception {
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).until(() -> generation().isPresent());
        long before = generation().orElseThrow();
        DockerClient docker = DockerClientFactory.instance().client();
        String indexer = running.get("indexer").getContainerId();
        docker.stopContainerCmd(indexer).withTimeout(20).exec();
        // While the indexer is down, the agent restarts and publishes its host anew (a higher generation).
        docker.restartContainerCmd(running.get("agent").getContainerId()).withTimeout(20).exec();
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() ->
                metric("layeratlas_agent_snapshots_published_total") >= 1);
        assertThat(generation()).as("nothing is applied while the indexer is stopped").contains(before);

        docker.startContainerCmd(indexer).exec();
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
                assertThat(generation().orElseThrow()).isGreaterThan(before));
        assertThat(answers()).isEqualTo(truth);
    }

    private static String machineName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Services in an order that starts each after what it depends on. */
    private static List<String> startOrder() {
        Set<String> order = new LinkedHashSet<>();
        for (String name : compose.services().keySet()) {
            visit(name, order, new LinkedHashSet<>());
        }
        return new ArrayList<>(order);
    }

    private static void visit(String name, Set<String> order, Set<String> path) {
        if (order.contains(name)) {
            return;
        }
        if (!path.add(name)) {
            throw new IllegalArgumentException("depends_on cycle: " + path);
        }
        for (ComposeFile.Dependency d : compose.service(name).dependsOn()) {
            visit(d.service(), order, path);
        }
        order.add(name);
    }

    /**
     * Starts one service as compose would, once its dependencies' conditions hold: {@code service_healthy} is Docker's
     * own health status from the file's check, which the container runs.
     */
    private static void start(ComposeFile.Service s) {
        for (ComposeFile.Dependency d : s.dependsOn()) {
            GenericContainer<?> dep = running.get(d.service());
            assertThat(dep.isRunning()).as("%s depends on %s", s.name(), d.service()).isTrue();
            if (d.condition().equals("service_healthy")) {
                assertThat(dep.isHealthy()).as("%s waits for %s to be healthy", s.name(), d.service()).isTrue();
            }
        }
        List<Bind> binds = new ArrayList<>();
        for (String v : s.volumes()) {
            // a named volume belongs to the project, as compose names it; a path is a bind mount
            binds.add(Bind.parse(v.startsWith("/") || v.startsWith(".") ? v : PROJECT + "_" + v));
        }
        WaitStrategy wait = s.healthCheck().isPresent() ? Wait.forHealthcheck() : new AbstractWaitStrategy() {
            @Override
            protected void waitUntilReady() {
                // compose's service_started: running is enough
            }
        };
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(s.image()))
                .withNetworkMode("host")
                .withEnv(s.environment())
                .waitingFor(wait.withStartupTimeout(SERVICE_START))
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withName(PROJECT + "-" + s.name() + "-1");
                    List<String> hosts = new ArrayList<>();
                    compose.services().keySet().forEach(n -> hosts.add(n + ":127.0.0.1"));
                    // On the host's network a container is named as the machine is; Kafka resolves its own name.
                    hosts.add(MACHINE_NAME + ":127.0.0.1");
                    cmd.getHostConfig().withBinds(binds).withExtraHosts(hosts.toArray(String[]::new));
                    s.restart().ifPresent(r -> cmd.getHostConfig().withRestartPolicy(RestartPolicy.parse(r)));
                    s.healthCheck().ifPresent(h -> cmd.withHealthcheck(new HealthCheck().withTest(h.test())
                            .withInterval(h.interval().toNanos()).withRetries(h.retries())));
                });
        if (!s.command().isEmpty()) {
            c.withCommand(s.command().toArray(String[]::new));
        }
        running.put(s.name(), c);
        c.start();
    }

    /** diff ID → host → images, from the dashboard's API, for every diff ID of the truth. */
    private static Map<String, Map<String, Set<String>>> answers() throws Exception {
        Map<String, Map<String, Set<String>>> seen = new TreeMap<>();
        for (String diffId : truth.keySet()) {
            HttpResponse<String> r = get("/api/v1/layers/" + diffId + "/hosts");
            if (r.statusCode() != 200) {
                continue;
            }
            Map<String, Set<String>> hosts = new TreeMap<>();
            for (JsonNode h : JSON.readTree(r.body()).get("hosts")) {
                Set<String> imageIds = new TreeSet<>();
                h.get("images").forEach(i -> imageIds.add(i.isTextual() ? i.asText() : i.get("id").asText()));
                hosts.put(h.get("hostId").asText(), imageIds);
            }
            seen.put(diffId, hosts);
        }
        return seen;
    }

    /** The host's generation as the dashboard shows it, once the index has the host. */
    private static java.util.Optional<Long> generation() throws Exception {
        HttpResponse<String> r = get("/api/v1/hosts");
        if (r.statusCode() != 200) {
            return java.util.Optional.empty();
        }
        for (JsonNode h : JSON.readTree(r.body()).get("hosts")) {
            JsonNode status = h.path("status");
            if (status.path("hostId").asText().equals(HOST)) {
                return java.util.Optional.of(status.get("generation").asLong());
            }
        }
        return java.util.Optional.empty();
    }

    /** The dashboard at the container port the compose file publishes. */
    private static HttpResponse<String> get(String path) throws Exception {
        int port = compose.service("dashboard").containerPorts().get(0);
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A counter or gauge from the agent's /metrics, at the port the compose file gives the agent; -1 if absent. */
    private static double metric(String name) {
        try {
            int port = Integer.parseInt(compose.service("agent").environment().get("LAYERATLAS_METRICS_PORT"));
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            for (String line : r.body().split("\n")) {
                if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        } catch (IOException e) {
            return -1; // not up yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return -1;
    }
}
