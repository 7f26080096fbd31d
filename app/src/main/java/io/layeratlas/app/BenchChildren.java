package io.layeratlas.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.bench.BenchPlugins;
import io.layeratlas.bench.Rss;
import io.layeratlas.events.Digest;
import io.layeratlas.events.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bench's plug-ins for the indexer and the dashboard: each runs as a child JVM ({@code java -cp <this jar>
 * io.layeratlas.app.Main indexer|dashboard …}), as in production, so that its resident memory can be read from
 * {@code /proc} (in-process RSS would include the bench's embedded Kafka and PostgreSQL). Peak RSS is sampled every
 * 250 ms while the child runs. Child output goes to {@code <work>/<name>.log}.
 */
final class BenchChildren {
    private static final Logger log = LoggerFactory.getLogger(BenchChildren.class);
    /** The dashboard's heap: a production-like bound, so RSS reflects the need and not the machine's RAM. */
    static final String CHILD_HEAP = "-Xmx1g";
    /**
     * The indexer's heap, as README's deployment section gives it: its memory is bounded by its batches (at most
     * two of 16 MiB of values: one applied, the next decoded), not by the fleet, so that it fits its 768 MiB.
     */
    static final String INDEXER_HEAP = "-Xmx512m";

    private BenchChildren() {
    }

    /** Starts {@code layeratlas indexer} on the target; the timing starts once its schema migration is done. */
    static BenchPlugins.IndexerHarness indexer(Path work) {
        return target -> {
            Child child = Child.start(work, "indexer", INDEXER_HEAP, List.of("indexer",
                    "--bootstrap-servers", target.bootstrapServers(),
                    "--db-url", target.jdbcUrl(), "--db-user", target.user(),
                    "--group-id", target.consumerGroup(), "--topic-prefix", target.topicPrefix(),
                    "--topic-partitions", "4"), target.password());
            try {
                awaitTable(child, target, Duration.ofMinutes(2));
            } catch (Exception e) {
                child.close();
                throw e;
            }
            return new ChildIndexer(child, target);
        };
    }

    /** Starts {@code layeratlas dashboard} on a free port; returns once it answers. */
    static BenchPlugins.DashboardHarness dashboard(Path work) {
        return (jdbcUrl, user, password) -> {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Child child = Child.start(work, "dashboard-" + port, CHILD_HEAP, List.of("dashboard",
                    "--db-url", jdbcUrl, "--db-user", user, "--port", Integer.toString(port)), password);
            ChildDashboard d = new ChildDashboard(child, URI.create("http://127.0.0.1:" + port));
            try {
                d.awaitUp(Duration.ofMinutes(2));
            } catch (Exception e) {
                d.close();
                throw e;
            }
            return d;
        };
    }

    /** A child JVM with its peak RSS. */
    private static final class Child implements AutoCloseable {
        final String name;
        final Process process;
        final Path logFile;
        final AtomicLong peakRss = new AtomicLong(-1);
        final Thread sampler;

        private Child(String name, Process process, Path logFile) {
            this.name = name;
            this.process = process;
            this.logFile = logFile;
            this.sampler = new Thread(() -> {
                while (process.isAlive()) {
                    Rss.of(process.pid()).ifPresent(r -> peakRss.accumulateAndGet(r, Math::max));
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "rss-" + name);
            sampler.setDaemon(true);
            sampler.start();
        }

        static Child start(Path work, String name, String heap, List<String> args, String password) throws IOException {
            Files.createDirectories(work);
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add(heap);
            // Extra JVM options for the children, e.g. -XX:StartFlightRecording=… to profile the dashboard.
            String extra = System.getenv("LAYERATLAS_BENCH_CHILD_JAVA_OPTS");
            if (extra != null && !extra.isBlank()) {
                cmd.addAll(List.of(extra.trim().split("\\s+")));
            }
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(Main.class.getName());
            cmd.addAll(args);
            Path logFile = work.resolve(name + ".log").toAbsolutePath();
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile()));
            // The password goes through the environment, never the command line.
            pb.environment().put("LAYERATLAS_DB_PASSWORD", password == null ? "" : password);
            log.info("starting {} as a child JVM ({}), log {}", name, heap, logFile);
            Process process = pb.start();
            // Should the bench JVM stop early (Ctrl-C), its children go with it.
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroy, "stop-" + name));
            return new Child(name, process, logFile);
        }

        void checkAlive() {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + logFile);
            }
        }

        OptionalLong peak() {
            long p = peakRss.get();
            return p < 0 ? OptionalLong.empty() : OptionalLong.of(p);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy(); // SIGTERM: the command's shutdown hook closes the indexer or the web server
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            sampler.interrupt();
        }
    }

    private static void awaitTable(Child child, BenchPlugins.IndexerTarget target, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            child.checkAlive();
            try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
                 var s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT to_regclass('consumer_offsets') IS NOT NULL")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the indexer did not migrate its database within " + timeout);
    }

    /**
     * Caught up = for every partition of the consumed topics, the offset the indexer stored in PostgreSQL (with the
     * batch's effects) has reached the end offset the broker reports: the same test as {@code Indexer.caughtUp()},
     * asked from outside the child.
     */
    private static final class ChildIndexer implements BenchPlugins.RunningIndexer {
        private final Child child;
        private final BenchPlugins.IndexerTarget target;
        private final Admin admin;

        ChildIndexer(Child child, BenchPlugins.IndexerTarget target) {
            this.child = child;
            this.target = target;
            this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, target.bootstrapServers()));
        }

        @Override
        public boolean awaitCaughtUp(Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            List<String> topics = List.of(target.topicPrefix() + Topics.IMAGE_CONFIGS,
                    target.topicPrefix() + Topics.HOST_LAYERS, target.topicPrefix() + Topics.HOST_LAYERS_RESEND,
                    target.topicPrefix() + Topics.HEARTBEATS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).forEach((t, d) ->
                    d.partitions().forEach(p -> latest.put(new TopicPartition(t, p.partition()), OffsetSpec.latest())));
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, r) -> ends.put(tp, r.offset()));
            try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.user(), target.password());
                 PreparedStatement ps = c.prepareStatement(
                         "SELECT topic, partition, next_offset FROM consumer_offsets WHERE consumer_group = ?")) {
                ps.setString(1, target.consumerGroup());
                while (true) {
                    child.checkAlive();
                    if (behind(ps, ends) == 0) {
                        return true;
                    }
                    if (System.nanoTime() > deadline) {
                        return false;
                    }
                    Thread.sleep(20);
                }
            }
        }

        private static long behind(PreparedStatement ps, Map<TopicPartition, Long> ends) throws SQLException {
            Map<TopicPartition, Long> stored = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stored.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
                }
            }
            long behind = 0;
            for (var e : ends.entrySet()) {
                // A partition with records but no stored offset is behind by at least one (the start may be > 0).
                long from = stored.getOrDefault(e.getKey(), e.getValue() > 0 ? e.getValue() - 1 : 0L);
                behind += Math.max(0, e.getValue() - from);
            }
            return behind;
        }

        @Override
        public OptionalLong rssBytes() {
            return child.peak();
        }

        @Override
        public void close() throws Exception {
            admin.close(Duration.ofSeconds(5));
            child.close();
        }
    }

    private static final class ChildDashboard implements BenchPlugins.RunningDashboard {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final Child child;
        private final URI base;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        ChildDashboard(Child child, URI base) {
            this.child = child;
            this.base = base;
        }

        void awaitUp(Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                child.checkAlive();
                try {
                    HttpResponse<Void> r = http.send(HttpRequest.newBuilder(reusePage()).GET().build(),
                            HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(200);
            }
            throw new IllegalStateException("the dashboard did not answer within " + timeout + "; see " + child.logFile);
        }

        private URI at(String path) {
            return base.resolve(path);
        }

        private static String enc(String s) {
            return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
        }

        @Override
        public URI hostsHoldingLayer(Digest chainId) {
            return at("/api/v1/layers/" + chainId + "/hosts");
        }

        @Override
        public URI layerPage(Digest chainId) {
            return at("/api/v1/layers/" + chainId);
        }

        @Override
        public URI reusePage() {
            return at("/api/v1/reuse");
        }

        @Override
        public URI hostPage(String hostId) {
            return at("/api/v1/hosts/" + enc(hostId));
        }

        @Override
        public URI hostsExport(Digest chainId) {
            return at("/api/v1/layers/" + chainId + "/hosts.csv");
        }

        @Override
        public URI hostsExportJson(Digest chainId) {
            return at("/api/v1/layers/" + chainId + "/hosts.json");
        }

        @Override
        public URI packageSearch(String question) {
            return at("/api/v1/packages?q=" + enc(question));
        }

        @Override
        public boolean showsGeneration(String hostId, long generation) throws Exception {
            // The host's status and totals without list rows (limit=0): the probe asks every 5 ms for as long as a
            // sample waits, and whole pages (1,166 layers of a full-scale host, ~65 ms of SQL at 10,000 hosts by
            // pg_stat_statements) kept one of the box's two cores busy beside the indexer it measures; one row of
            // each list still sorted all of them (44.6 of the 75.6 s of statements of a 1,000-host churn phase).
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(hostPage(hostId) + "?limit=0")).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                return false;
            }
            JsonNode g = JSON.readTree(r.body()).path("status").path("generation");
            return g.isNumber() && g.asLong() >= generation;
        }

        @Override
        public OptionalLong pid() {
            return OptionalLong.of(child.process.pid());
        }

        @Override
        public OptionalLong rssBytes() {
            return child.peak();
        }

        @Override
        public void close() throws Exception {
            child.close();
        }
    }
}
