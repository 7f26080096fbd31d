package io.layeratlas.bench;

import io.layeratlas.bench.simulate.FleetSimulator;
import io.layeratlas.bench.simulate.HostState;
import io.layeratlas.bench.store.SqlQueries;
import io.layeratlas.db.query.HostQuery;
import io.layeratlas.db.query.LayerQuery;
import io.layeratlas.db.query.PackageQuery;
import io.layeratlas.events.Digest;

import javax.sql.DataSource;
import java.net.URI;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Phaser;
import java.util.function.Function;

/**
 * (d) The four lookups at fleet scale with {@link Scale#queryClients()} concurrent clients: "hosts holding layer X",
 * the layer page, the reuse page and a host page. Each is timed through the dashboard's API (when plugged in) and as
 * the bare indexed SQL for the same answer ({@link SqlQueries}) on the same database; p50 and p99 of both. Layers are
 * picked as a random layer of a random host, so popular layers come up as often as users would meet them. A package
 * search ({@link #packageSearch}) runs the same way where the packages are.
 */
public final class QueryBenchmark {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(QueryBenchmark.class);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private QueryBenchmark() {
    }

    enum Kind { HOSTS_HOLDING_LAYER, LAYER_PAGE, REUSE_PAGE, HOST_PAGE }

    /** {@link #apiWarmup}'s default: untimed API requests a client of every kind in each warm-up round. */
    static final int API_WARMUP = 100;

    /**
     * Untimed API requests per client of every kind in each round of {@link #warmUp} before the first kind is timed,
     * and of the package search before it is ({@code LAYERATLAS_BENCH_API_WARMUP}; default {@link #API_WARMUP}; 0 leaves
     * each kind only its tenth of warm-ups, as every run before 2026-12-05 did: the results in bench/results say which
     * in their context's {@code apiWarmup}). The dashboard is a child JVM started just before, where the dashboard
     * users run is a server that has been up for days: over the quiet phase at small scale its JIT compiler threads
     * used more CPU than its request threads (JFR {@code jdk.ThreadCPULoad}: C1+C2 0.21 of the machine against 0.12 for
     * Jetty's threads while "hosts holding layer X", the first kind, was timed; C2 still compiling at the end of the
     * phase), on the same two cores as PostgreSQL, so a cold run times the JVM's start more than the API (10,000 hosts,
     * 2026-12-05: hosts holding p50/p99 49/151 ms cold, 20/88 after 100; its SQL 15-20 / 51-55). The warm-up draws its
     * own inputs (other seeds), so the timed requests ask what they ask without it.
     *
     * @throws IllegalArgumentException when the variable is set to anything but a whole number, 0 or more
     */
    static int apiWarmup() {
        String v = System.getenv().getOrDefault("LAYERATLAS_BENCH_API_WARMUP", String.valueOf(API_WARMUP));
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("LAYERATLAS_BENCH_API_WARMUP must be a whole number of requests, 0 or more: '"
                + v + "'");
    }

    /** The share of one core under which the dashboard's JIT compilers count as settled ({@link #warmUp}). */
    static final double JIT_SETTLED = 0.05;

    /** The most warm-up rounds sent before timing starts, settled or not ({@link #warmUp}). */
    static final int MAX_WARMUP_ROUNDS = 20;

    /** One round of warm-up requests; {@code r} counts from 0, for the round's own seeds. */
    @FunctionalInterface
    interface WarmupRound {
        void send(int r) throws Exception;
    }

    /**
     * Sends rounds of {@code perClient} untimed requests a client ({@code round}) until the dashboard's JIT compilers
     * used less than {@link #JIT_SETTLED} of one core over a round ({@link JitCpu}, when the dashboard is a process of
     * this machine, {@link BenchPlugins.RunningDashboard#pid}), or {@link #MAX_WARMUP_ROUNDS} rounds; one round when
     * its compilers cannot be seen; none when {@code perClient} is 0. JFR of the small bench (2026-12-05) showed why a
     * fixed count was not enough: after 100 requests a client of each kind, C2 used 0.2 of the machine while the first
     * kind was timed, and 0.14 after 500, compiling Jetty's parser and the driver's protocol code on the two cores the
     * requests and PostgreSQL share; a dashboard that has served for a day compiles nothing.
     */
    static void warmUp(String what, BenchPlugins.RunningDashboard dashboard, int perClient, WarmupRound round)
            throws Exception {
        if (perClient == 0) {
            return;
        }
        long started = System.nanoTime();
        OptionalLong pid = dashboard.pid();
        int rounds = 0;
        double share = Double.NaN;
        while (rounds < MAX_WARMUP_ROUNDS) {
            Map<Long, Long> before = pid.isPresent() ? JitCpu.sample(pid.getAsLong()) : Map.of();
            long t0 = System.nanoTime();
            round.send(rounds++);
            if (pid.isEmpty() || before.isEmpty()) {
                break;
            }
            long wallMs = Math.max(1, (System.nanoTime() - t0) / 1_000_000);
            share = (double) JitCpu.millisBetween(before, JitCpu.sample(pid.getAsLong())) / wallMs;
            if (share < JIT_SETTLED) {
                break;
            }
        }
        log.info("{} warm-up: {} round(s) of {} requests a client in {} ms; the dashboard's JIT compilers used {} of a "
                + "core in the last", what, rounds, perClient, (System.nanoTime() - started) / 1_000_000,
                Double.isNaN(share) ? "(not seen)" : String.format(Locale.ROOT, "%.3f", share));
    }

    public static List<BenchmarkResult> run(Scale scale, DataSource db, FleetSimulator sim, int round,
                                            Optional<BenchPlugins.RunningDashboard> dashboard) throws Exception {
        List<BenchmarkResult> out = run(scale, db, sim, round, dashboard, "", "");
        out.addAll(mostShared(scale, db, dashboard));
        return out;
    }

    /**
     * The four lookups only, named {@code query.<kind><suffix>.sql|api.p50|p99}: e.g. with suffix {@code .churn} while
     * the indexer applies churn rounds to the same database.
     *
     * @param round the round whose hosts' layers are asked for
     * @param when  added to each figure's note, e.g. ", during churn rounds"
     */
    public static List<BenchmarkResult> run(Scale scale, DataSource db, FleetSimulator sim, int round,
                                            Optional<BenchPlugins.RunningDashboard> dashboard, String suffix, String when)
            throws Exception {
        List<BenchmarkResult> out = new ArrayList<>();
        int warmup = apiWarmup();
        LayerQuery layers = SqlQueries.layers(db);
        HostQuery hosts = SqlQueries.hosts(db);
        if (dashboard.isPresent()) {
            BenchPlugins.RunningDashboard d = dashboard.get();
            warmUp("API", d, warmup, r -> {
                for (Kind kind : Kind.values()) {
                    runClients(scale, warmup, 1_000 + 10L * r + kind.ordinal(), rng -> pick(sim, round, rng),
                            p -> get(uri(d, kind, p)));
                }
            });
        }
        for (Kind kind : Kind.values()) {
            String name = "query." + kind.name().toLowerCase().replace('_', '-') + suffix;
            Request<Pick> bare = p -> {
                try (Connection conn = db.getConnection()) {
                    switch (kind) {
                        case HOSTS_HOLDING_LAYER -> SqlQueries.hostsHoldingLayer(conn, layers, p.layer().toString());
                        case LAYER_PAGE -> SqlQueries.layerPage(conn, layers, p.layer().toString());
                        case REUSE_PAGE -> SqlQueries.reusePage(conn);
                        case HOST_PAGE -> SqlQueries.hostPage(conn, hosts, p.hostId());
                    }
                }
            };
            Optional<Request<Pick>> api = dashboard.map(d -> p -> get(uri(d, kind, p)));
            Latencies[] timed = runAlternating(scale, scale.queriesPerClient(), kind.ordinal(), rng -> pick(sim, round, rng),
                    bare, api);
            Latencies sql = timed[0];
            out.add(BenchmarkResult.absolute(name + ".sql.p50", sql.percentileMs(50), "ms",
                    "bare indexed SQL, " + scale.queryClients() + " clients, " + sql.count() + " requests"
                            + (api.isPresent() ? ALTERNATING : "") + when));
            out.add(BenchmarkResult.absolute(name + ".sql.p99", sql.percentileMs(99), "ms", "bare indexed SQL" + when));
            if (api.isEmpty()) {
                out.add(BenchmarkResult.skipped(name + ".api.p50", "ms", "dashboard not plugged in (BenchPlugins.dashboard)"));
                out.add(BenchmarkResult.skipped(name + ".api.p99", "ms", "dashboard not plugged in"));
                continue;
            }
            out.add(BenchmarkResult.of(name + ".api.p50", timed[1].percentileMs(50), "ms", sql.percentileMs(50), "vs bare SQL p50" + when));
            out.add(BenchmarkResult.of(name + ".api.p99", timed[1].percentileMs(99), "ms", sql.percentileMs(99), "vs bare SQL p99" + when));
        }
        return out;
    }

    /**
     * The layer every host holds (the fleet's most shared one): its page through the API against its bare SQL, and the
     * CSV and JSON exports of all its hosts in rows (hosts) per second against reading the same answer in bare SQL
     * ({@link SqlQueries#allHostsHoldingLayer}: the layer's images, who holds which with which tag set, those sets,
     * the containers running them, the holders' status columns, in one snapshot); the host IDs alone in bare SQL are
     * {@code export.sql.host-ids}.
     */
    private static List<BenchmarkResult> mostShared(Scale scale, DataSource db, Optional<BenchPlugins.RunningDashboard> dashboard)
            throws Exception {
        String chainId;
        int holders;
        try (Connection c = db.getConnection(); var s = c.createStatement(); var rs = s.executeQuery("""
                SELECT l.chain_id, u.host_count FROM layer_usage u JOIN layers l ON l.layer_key = u.layer_key
                 ORDER BY u.host_count DESC, l.chain_id LIMIT 1""")) {
            rs.next();
            chainId = rs.getString(1);
            holders = rs.getInt(2);
        }
        List<BenchmarkResult> out = new ArrayList<>();
        LayerQuery layers = SqlQueries.layers(db);
        Latencies sql = new Latencies();
        Latencies exportSql = new Latencies();
        Latencies hostIdsSql = new Latencies();
        for (int i = 0; i < 20 + scale.queriesPerClient(); i++) {
            try (Connection c = db.getConnection()) {
                long t0 = System.nanoTime();
                SqlQueries.layerPage(c, layers, chainId); // with its first page of hosts, as the API's answer
                long t1 = System.nanoTime();
                SqlQueries.allHostsHoldingLayer(c, chainId);
                long t2 = System.nanoTime();
                SqlQueries.allHostIdsHoldingLayer(c, chainId);
                if (i >= 20) {
                    sql.add(t1 - t0);
                    exportSql.add(t2 - t1);
                    hostIdsSql.add(System.nanoTime() - t2);
                }
            }
        }
        String note = "the most shared layer (" + holders + " hosts), 1 client";
        out.add(BenchmarkResult.absolute("query.most-shared-layer-page.sql.p99", sql.percentileMs(99), "ms", note));
        double sqlRowsPerSecond = holders / (exportSql.percentileMs(50) / 1000);
        out.add(BenchmarkResult.absolute("export.sql", sqlRowsPerSecond, "rows/s",
                "bare SQL reading what the export writes of each host holding the most shared layer (its images, the"
                        + " holders' (host, image, tag set) keys, the sets, containers, holders' status; five statements,"
                        + " one snapshot), median of " + exportSql.count()));
        out.add(BenchmarkResult.absolute("export.sql.host-ids", holders / (hostIdsSql.percentileMs(50) / 1000), "rows/s",
                "bare SQL reading the host IDs holding the most shared layer alone, median of " + hostIdsSql.count()));
        if (dashboard.isEmpty()) {
            out.add(BenchmarkResult.skipped("query.most-shared-layer-page.api.p99", "ms", "dashboard not plugged in"));
            out.add(BenchmarkResult.skipped("export.csv", "rows/s", "dashboard not plugged in"));
            out.add(BenchmarkResult.skipped("export.json", "rows/s", "dashboard not plugged in"));
            return out;
        }
        Digest layer = Digest.parse(chainId);
        Latencies page = new Latencies();
        Latencies export = new Latencies();
        Latencies exportJson = new Latencies();
        for (int i = 0; i < 20 + scale.queriesPerClient(); i++) {
            long t0 = System.nanoTime();
            HttpGet.text(dashboard.get().layerPage(layer));
            long t1 = System.nanoTime();
            HttpGet.discard(dashboard.get().hostsExport(layer));
            long t2 = System.nanoTime();
            HttpGet.discard(dashboard.get().hostsExportJson(layer));
            long t3 = System.nanoTime();
            if (i >= 20) {
                page.add(t1 - t0);
                export.add(t2 - t1);
                exportJson.add(t3 - t2);
            }
        }
        // What the exports hold, read once more untimed: decoding and parsing a 10,000-host answer is the checker's work.
        long lines = HttpGet.text(dashboard.get().hostsExport(layer)).lines().count() - 1; // minus the header
        long jsonHosts = JSON.readTree(HttpGet.text(dashboard.get().hostsExportJson(layer))).path("hosts").size();
        if (lines != holders || jsonHosts != holders) {
            throw new IllegalStateException("the exports of " + chainId + " listed " + lines + " (CSV) and " + jsonHosts
                    + " (JSON) hosts, not " + holders);
        }
        out.add(BenchmarkResult.of("query.most-shared-layer-page.api.p99", page.percentileMs(99), "ms",
                sql.percentileMs(99), note + ", vs bare SQL p99"));
        out.add(BenchmarkResult.of("export.csv", holders / (export.percentileMs(50) / 1000), "rows/s", sqlRowsPerSecond,
                "GET hosts.csv of the most shared layer (" + holders + " rows), median of " + export.count() + ", vs bare SQL"));
        out.add(BenchmarkResult.of("export.json", holders / (exportJson.percentileMs(50) / 1000), "rows/s", sqlRowsPerSecond,
                "GET hosts.json of the most shared layer (" + holders + " hosts), median of " + exportJson.count()
                        + ", vs bare SQL"));
        return out;
    }

    /** What a request of a kind asks the dashboard. */
    private static URI uri(BenchPlugins.RunningDashboard d, Kind kind, Pick p) {
        return switch (kind) {
            case HOSTS_HOLDING_LAYER -> d.hostsHoldingLayer(p.layer());
            case LAYER_PAGE -> d.layerPage(p.layer());
            case REUSE_PAGE -> d.reusePage();
            case HOST_PAGE -> d.hostPage(p.hostId());
        };
    }

    /** GETs and discards the answer ({@link HttpGet#discard}); anything but 200 fails the run. */
    private static void get(URI uri) throws Exception {
        HttpGet.discard(uri);
    }

    /** The range the OpenSSL names are asked with: below it are the fleet's vulnerable builds. */
    static final String OPENSSL_RANGE = "<3.0.8";

    /**
     * A package search at fleet scale, {@code query.package-search.sql|api.p50|p99}: a random package name of the
     * catalog's databases, asked bare (every build of it), or one time in four an OpenSSL name ({@code openssl},
     * {@code libssl*}) with the range {@link #OPENSSL_RANGE}: through the API ({@code /api/v1/packages?q=…}: images
     * and hosts, first pages) against the bare SQL of the same answer ({@link SqlQueries#packageSearch}), with
     * {@link Scale#queryClients()} clients (half as many requests as the lookups, at least 50 a client; the API's
     * after {@link #apiWarmup} untimed ones), on a database that holds the packages (the indexer's).
     *
     * @param where added to each figure's note: which database, in what state
     */
    public static List<BenchmarkResult> packageSearch(Scale scale, DataSource db, FleetSimulator sim,
                                                      Optional<BenchPlugins.RunningDashboard> dashboard, String where)
            throws Exception {
        List<String> names = sim.catalog().packageNames();
        List<String> openssl = names.stream().filter(n -> n.equals("openssl") || n.startsWith("libssl")).toList();
        if (openssl.isEmpty()) {
            throw new IllegalStateException("no layer of the catalog lists an OpenSSL package to search for");
        }
        Function<SplittableRandom, String> question = rng -> rng.nextInt(4) == 0
                ? openssl.get(rng.nextInt(openssl.size())) + OPENSSL_RANGE
                : names.get(rng.nextInt(names.size()));
        long seed = 100;
        // Half the lookups' requests (at least 50 a client): keeps --scale small within its time budget.
        int perClient = Math.max(Math.min(50, scale.queriesPerClient()), scale.queriesPerClient() / 2);
        String name = "query.package-search";
        List<BenchmarkResult> out = new ArrayList<>();
        long started = System.nanoTime();
        PackageQuery packages = SqlQueries.packages(db);
        Optional<Request<String>> asked = dashboard.map(d -> q -> get(d.packageSearch(q)));
        int warmup = apiWarmup();
        if (asked.isPresent()) {
            warmUp("package search", dashboard.get(), warmup, r -> runClients(scale, warmup, 1_000 + seed + 10L * r,
                    question, asked.get()));
        }
        Latencies[] timed = runAlternating(scale, perClient, seed, question, q -> {
            try (Connection conn = db.getConnection()) {
                SqlQueries.packageSearch(conn, packages, q);
            }
        }, asked);
        Latencies sql = timed[0];
        String what = " of " + names.size() + " names, 1 in 4 an OpenSSL name" + OPENSSL_RANGE;
        out.add(BenchmarkResult.absolute(name + ".sql.p50", sql.percentileMs(50), "ms", "bare SQL, "
                + scale.queryClients() + " clients, " + sql.count() + " requests" + what
                + (asked.isPresent() ? ALTERNATING : "") + where));
        out.add(BenchmarkResult.absolute(name + ".sql.p99", sql.percentileMs(99), "ms", "bare SQL" + where));
        if (asked.isEmpty()) {
            out.add(BenchmarkResult.skipped(name + ".api.p50", "ms", "dashboard not plugged in (BenchPlugins.dashboard)"));
            out.add(BenchmarkResult.skipped(name + ".api.p99", "ms", "dashboard not plugged in"));
            return out;
        }
        Latencies api = timed[1];
        log.info("package search: {} SQL and {} API requests in {} ms", sql.count(), api.count(),
                (System.nanoTime() - started) / 1_000_000);
        out.add(BenchmarkResult.of(name + ".api.p50", api.percentileMs(50), "ms", sql.percentileMs(50),
                "vs bare SQL p50" + where));
        out.add(BenchmarkResult.of(name + ".api.p99", api.percentileMs(99), "ms", sql.percentileMs(99),
                "vs bare SQL p99" + where));
        return out;
    }

    /** A random layer (of a random host's in the round) and that host: what the four lookups ask about. */
    private record Pick(Digest layer, String hostId) {
    }

    private static Pick pick(FleetSimulator sim, int round, SplittableRandom rng) {
        int host = rng.nextInt(sim.spec().hosts());
        HostState s = sim.model().host(host, round);
        return new Pick(sim.catalog().layer(s.layers()[rng.nextInt(s.layers().length)]).chainId(), s.hostId());
    }

    @FunctionalInterface
    interface Request<T> {
        void run(T input) throws Exception;
    }

    /** Requests a client sends of one kind (SQL or API) before all clients switch to the other ({@link #runAlternating}). */
    static final int BLOCK = 10;

    /** Added to the SQL figure's note when the API was timed in blocks beside it ({@link #runAlternating}). */
    static final String ALTERNATING = ", in blocks of " + BLOCK + " a client alternating with the API's on the same questions";

    /**
     * Bare SQL and the API timed in alternating blocks: {@link Scale#queryClients()} threads, each drawing its questions
     * from its own stream ({@code seed}, client), {@value #BLOCK} at a time; every client asks its block of SQL, all
     * wait for each other, every client asks the same block of the API, all wait, and so on, the API first in every
     * other block, after a tenth as many (at least 5) untimed questions. Timing the two in separate windows, as the
     * bench did until 2026-12-05, put whatever else ran on the machine into one figure and not the other: the churn
     * rounds the indexer applies, the dashboard's JIT compiler still at work after its warm-up. Alternating blocks
     * spread that over both alike, while SQL is still only timed beside SQL and the API beside the API, so the API's
     * own CPU (its JVM, its HTTP) slows the API's figure, not its baseline. Without an API, SQL alone as before.
     *
     * @return {SQL, API} latencies; the API's empty when {@code api} is
     */
    private static <T> Latencies[] runAlternating(Scale scale, int perClient, long seed,
                                             Function<SplittableRandom, T> draw,
                                             Request<T> sql, Optional<Request<T>> api) throws Exception {
        int clients = scale.queryClients();
        int warmup = Math.max(5, perClient / 10);
        int blocks = (warmup + perClient + BLOCK - 1) / BLOCK;
        Phaser together = new Phaser(clients);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Latencies[]>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                futures.add(pool.submit(() -> {
                    SplittableRandom rng = new SplittableRandom(seed * 1_000L + client);
                    Latencies[] l = {new Latencies(), new Latencies()};
                    List<T> questions = new ArrayList<>(BLOCK);
                    try {
                        for (int b = 0, asked = 0; b < blocks; b++) {
                            questions.clear();
                            for (int q = 0; q < BLOCK && asked + q < warmup + perClient; q++) {
                                questions.add(draw.apply(rng));
                            }
                            for (int k = 0; k < 2; k++) {
                                int which = (b + k) % 2; // 0 = SQL, 1 = API
                                if (which == 1 && api.isEmpty()) {
                                    continue;
                                }
                                Request<T> request = which == 0 ? sql : api.get();
                                for (int q = 0; q < questions.size(); q++) {
                                    long t0 = System.nanoTime();
                                    request.run(questions.get(q));
                                    if (asked + q >= warmup) {
                                        l[which].add(System.nanoTime() - t0);
                                    }
                                }
                                if (api.isPresent() && together.arriveAndAwaitAdvance() < 0) {
                                    throw new IllegalStateException("another client failed");
                                }
                            }
                            asked += questions.size();
                        }
                    } catch (Exception | Error e) {
                        together.forceTermination();
                        throw e;
                    }
                    return l;
                }));
            }
            Latencies[] all = {new Latencies(), new Latencies()};
            for (Future<Latencies[]> f : futures) {
                Latencies[] l = f.get();
                all[0].addAll(l[0]);
                all[1].addAll(l[1]);
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * {@link Scale#queryClients()} threads, each drawing its inputs from its own stream ({@code seed}, client) and
     * timing {@code perClient} requests after a tenth as many (at least 5) untimed warm-ups: {@link #runAlternating}
     * with one kind of request.
     */
    private static <T> Latencies runClients(Scale scale, int perClient, long seed, Function<SplittableRandom, T> draw,
                                            Request<T> request) throws Exception {
        return runAlternating(scale, perClient, seed, draw, request, Optional.empty())[0];
    }
}
