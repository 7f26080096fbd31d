package io.layeratlas.bench;

import io.layeratlas.bench.simulate.FleetSimulator;
import io.layeratlas.bench.simulate.HostState;
import io.layeratlas.bench.store.SqlQueries;
import io.layeratlas.events.Digest;

import javax.sql.DataSource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * (d) The four lookups at fleet scale with {@link Scale#queryClients()} concurrent clients: "hosts holding layer X",
 * the layer page, the reuse page and a host page. Each is timed through the dashboard's API (when plugged in) and as
 * the bare indexed SQL for the same answer ({@link SqlQueries}) on the same database; p50 and p99 of both. Layers are
 * picked as a random layer of a random host, so popular layers come up as often as users would meet them.
 */
public final class QueryBenchmark {
    private QueryBenchmark() {
    }

    enum Kind { HOSTS_HOLDING_LAYER, LAYER_PAGE, REUSE_PAGE, HOST_PAGE }

    public static List<BenchmarkResult> run(Scale scale, DataSource db, FleetSimulator sim, int round,
                                            Optional<BenchPlugins.RunningDashboard> dashboard) throws Exception {
        List<BenchmarkResult> out = new ArrayList<>();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        for (Kind kind : Kind.values()) {
            String name = "query." + kind.name().toLowerCase().replace('_', '-');
            Latencies sql = runClients(scale, sim, round, kind, (c, layer, host) -> {
                try (Connection conn = db.getConnection()) {
                    switch (kind) {
                        case HOSTS_HOLDING_LAYER -> SqlQueries.hostsHoldingLayer(conn, layer.toString());
                        case LAYER_PAGE -> SqlQueries.layerPage(conn, layer.toString());
                        case REUSE_PAGE -> SqlQueries.reusePage(conn);
                        case HOST_PAGE -> SqlQueries.hostPage(conn, host);
                    }
                }
            });
            out.add(BenchmarkResult.absolute(name + ".sql.p50", sql.percentileMs(50), "ms",
                    "bare indexed SQL, " + scale.queryClients() + " clients, " + sql.count() + " requests"));
            out.add(BenchmarkResult.absolute(name + ".sql.p99", sql.percentileMs(99), "ms", "bare indexed SQL"));
            if (dashboard.isEmpty()) {
                out.add(BenchmarkResult.skipped(name + ".api.p50", "ms", "dashboard not plugged in (BenchPlugins.dashboard)"));
                out.add(BenchmarkResult.skipped(name + ".api.p99", "ms", "dashboard not plugged in"));
                continue;
            }
            BenchPlugins.RunningDashboard d = dashboard.get();
            Latencies api = runClients(scale, sim, round, kind, (c, layer, host) -> {
                URI uri = switch (kind) {
                    case HOSTS_HOLDING_LAYER -> d.hostsHoldingLayer(layer);
                    case LAYER_PAGE -> d.layerPage(layer);
                    case REUSE_PAGE -> d.reusePage();
                    case HOST_PAGE -> d.hostPage(host);
                };
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("GET " + uri + " answered " + r.statusCode());
                }
            });
            out.add(BenchmarkResult.of(name + ".api.p50", api.percentileMs(50), "ms", sql.percentileMs(50), "vs bare SQL p50"));
            out.add(BenchmarkResult.of(name + ".api.p99", api.percentileMs(99), "ms", sql.percentileMs(99), "vs bare SQL p99"));
        }
        return out;
    }

    @FunctionalInterface
    interface Request {
        void run(int client, Digest layer, String hostId) throws Exception;
    }

    private static Latencies runClients(Scale scale, FleetSimulator sim, int round, Kind kind, Request request)
            throws Exception {
        int clients = scale.queryClients();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Latencies>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                futures.add(pool.submit(() -> {
                    SplittableRandom rng = new SplittableRandom(kind.ordinal() * 1_000L + client);
                    Latencies l = new Latencies();
                    int warmup = Math.max(5, scale.queriesPerClient() / 10);
                    for (int i = 0; i < warmup + scale.queriesPerClient(); i++) {
                        int host = rng.nextInt(sim.spec().hosts());
                        HostState s = sim.model().host(host, round);
                        Digest layer = sim.catalog().layer(s.layers()[rng.nextInt(s.layers().length)]).chainId();
                        long t0 = System.nanoTime();
                        request.run(client, layer, s.hostId());
                        if (i >= warmup) {
                            l.add(System.nanoTime() - t0);
                        }
                    }
                    return l;
                }));
            }
            Latencies all = new Latencies();
            for (Future<Latencies> f : futures) {
                all.addAll(f.get());
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }
}
