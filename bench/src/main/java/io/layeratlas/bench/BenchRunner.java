package io.layeratlas.bench;

import io.layeratlas.bench.simulate.FleetHeartbeats;
import io.layeratlas.bench.simulate.FleetSimulator;
import io.layeratlas.bench.simulate.PublishReport;
import io.layeratlas.bench.store.CopyLoader;
import io.layeratlas.db.Database;
import io.layeratlas.db.index.IndexWriter;
import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * Runs every benchmark in order and collects the figures: (a) agent scan, (b) indexer throughput against COPY (each
 * applied from a backlog: round 0 published before the indexer starts, the rescan and an unchanged resend while it
 * is held; then freshness through the API during a churn round and during a resend),
 * (d) queries against bare SQL (on the quiet COPY-loaded fleet, the package search on the indexer's quiet database,
 * and the four lookups again on the indexer's database while it applies churn rounds; every host heartbeats in real
 * time meanwhile, {@link FleetHeartbeats}, so the fleet is as fresh as a healthy one), (c) freshness against the
 * transport, (e) memory. Starts its own embedded PostgreSQL and Kafka under {@code work}. Parts not plugged in
 * ({@link BenchPlugins}) are reported as skipped; their baselines still run. One run at a time.
 */
public final class BenchRunner {
    private static final Logger log = LoggerFactory.getLogger(BenchRunner.class);

    private final Scale scale;
    private final Path work;
    private final BenchPlugins plugins;

    private final Part part;

    /** Which benchmarks a run does. */
    public enum Part {
        /** Everything, in the order of the class comment. */
        ALL,
        /**
         * Only (d), the queries against bare SQL, on the COPY-loaded fleet and then on the indexer's database while
         * it applies churn rounds (Kafka, round 0 and the indexer started for it): for profiling the dashboard.
         */
        QUERIES,
        /**
         * Only (b) and (c): the COPY baselines, the indexer's fresh load, rescan and unchanged resend, and freshness
         * through the API during a churn round and a resend beside the transport's: for profiling the indexer.
         */
        INDEXER;

        /** {@code all}, {@code queries} or {@code indexer}. */
        public static Part named(String name) {
            return switch (name) {
                case "all" -> ALL;
                case "queries" -> QUERIES;
                case "indexer" -> INDEXER;
                default -> throw new IllegalArgumentException("unknown part '" + name + "' (all, queries, indexer)");
            };
        }
    }

    public BenchRunner(Scale scale, Path work, BenchPlugins plugins) {
        this(scale, work, plugins, Part.ALL);
    }

    public BenchRunner(Scale scale, Path work, BenchPlugins plugins, Part part) {
        this.scale = scale;
        this.work = work;
        this.plugins = plugins;
        this.part = part;
    }

    public BenchReport run() throws Exception {
        Files.createDirectories(work);
        BenchReport report = new BenchReport();
        report.context("scale", scale.name());
        report.context("startedAt", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        report.context("size", scale.sizeNote());
        report.context("hosts", scale.fleet().hosts());
        report.context("pgSettings", StatementProfile.tuning());
        report.context("imagesPerHost", scale.fleet().imagesPerHost());
        report.context("dataRootImages", scale.dataRootImages());
        report.context("queryClients", scale.queryClients());
        // Read before any phase runs: a malformed value ends the bench now, not after its loads.
        report.context("apiWarmup", QueryBenchmark.apiWarmup());
        // How each lookup's SQL and API figures were timed: in alternating blocks (QueryBenchmark.runAlternating).
        report.context("apiTiming", "alternating blocks of " + QueryBenchmark.BLOCK);
        // Which HTTP client timed the API (HttpGet; java.net.http.HttpClient in every run before 2026-12-06).
        report.context("apiClient", HttpGet.CLIENT);
        report.context("cores", Runtime.getRuntime().availableProcessors());
        report.context("maxHeapBytes", Runtime.getRuntime().maxMemory());
        report.context("java", System.getProperty("java.version"));
        long startRss = Rss.self().orElse(0);

        if (part == Part.ALL) {
            log.info("(a) agent scan of a {}-image data-root", scale.dataRootImages());
            report.addAll(AgentScanBenchmark.run(scale, work, plugins.scanner()));
        }

        String runId = Long.toString(System.currentTimeMillis(), 36);
        FleetSimulator sim = new FleetSimulator(scale.fleet().withTopicPrefix("bench-" + runId + ".")
                .withChurn(Math.max(1, scale.fleet().churnRounds()), scale.fleet().churnFraction()));
        report.context("catalogImages", sim.catalog().imageCount());
        report.context("catalogLayers", sim.catalog().layerCount());
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.startTemporary(StatementProfile.serverSettings(work))) {
            log.info("(b) COPY baseline: {} hosts", scale.fleet().hosts());
            String copyUrl = pg.createDatabase("copy_baseline");
            CopyLoader.Load fresh;
            CopyLoader.Load rescan;
            try (Database db = Database.migrateAndOpen(copyUrl, pg.user(), "", scale.queryClients() + 2,
                    Database.Timeouts.BULK)) {
                CopyLoader loader = new CopyLoader(sim, work.resolve("copy"));
                try (Connection c = db.dataSource().getConnection()) {
                    // The baselines' own statements, to compare with the indexer's phase by phase.
                    checkpoint(copyUrl, pg.user());
                    StatementProfile.reset(copyUrl, pg.user());
                    fresh = loader.loadFresh(c, 0);
                    StatementProfile.write(copyUrl, pg.user(), work, "copy-fresh");
                    analyze(c);
                    checkpoint(copyUrl, pg.user());
                    StatementProfile.reset(copyUrl, pg.user());
                    rescan = loader.rescan(c, 1);
                    StatementProfile.write(copyUrl, pg.user(), work, "copy-rescan");
                    report.context("hostLayerLinksRound0", fresh.hostLayerLinks());
                    report.context("hostLayerLinksRound1", rescan.hostLayerLinks());
                    vacuumAnalyze(c);
                }
                report.add(BenchmarkResult.absolute("indexer.copy.fresh", fresh.linksPerSecond(), "links/s",
                        "COPY of round 0: " + fresh.hostLayerLinks() + " host_layers rows + all other tables in "
                                + fresh.elapsed().toMillis() + " ms"));
                report.add(BenchmarkResult.absolute("indexer.copy.rescan", rescan.linksPerSecond(), "links/s",
                        "staged COPY + set-based merge of round 1: " + rescan.hostLayerLinks() + " links in "
                                + rescan.elapsed().toMillis() + " ms"));

                if (part != Part.INDEXER) {
                    StatementProfile.reset(copyUrl, pg.user());
                    report.addAll(queriesOnCopy(copyUrl, pg.user(), sim, startRss));
                    StatementProfile.write(copyUrl, pg.user(), work, "queries");
                }
            }
            try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka-" + runId), 0,
                    java.util.Map.of("num.partitions", "4"))) {
                String bootstrap = kafka.bootstrapServers();
                sim.createTopics(bootstrap, 4);
                log.info("(b) publishing round 0 of the fleet to Kafka");
                PublishReport published = publishRound(sim, bootstrap, 0);
                report.add(BenchmarkResult.absolute("simulator.publish", published.hostLayerLinks()
                                / Math.max(1e-9, published.elapsed().toNanos() / 1e9), "links/s",
                        published.chunks() + " chunks, " + published.configs() + " configs, " + published.layerPackages()
                                + " layer-packages, " + published.bytes() + " bytes, largest " + published.largestValue()));

                Optional<FreshnessBenchmark.Probes> apiFreshness = Optional.empty();
                Optional<FreshnessBenchmark.Probes> resendFreshness = Optional.empty();
                OptionalLong indexerRss = OptionalLong.empty();
                if (plugins.indexer().isPresent()) {
                    String url = pg.createDatabase("indexer_run");
                    BenchPlugins.IndexerTarget target = new BenchPlugins.IndexerTarget(bootstrap,
                            sim.spec().topicPrefix(), "bench-" + runId, url, pg.user(), "");
                    checkpoint(url, pg.user());
                    StatementProfile.reset(url, pg.user());
                    try (BenchPlugins.RunningIndexer indexer = plugins.indexer().get().start(target)) {
                        long t0 = System.nanoTime();
                        boolean caughtUp = indexer.awaitCaughtUp(Duration.ofMinutes(30));
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        StatementProfile.write(url, pg.user(), work, "fresh");
                        long rows = countHostLayers(url, pg.user());
                        report.add(caughtUp && rows == published.hostLayerLinks()
                                ? BenchmarkResult.of("indexer.fresh", published.hostLayerLinks() / seconds, "links/s",
                                fresh.linksPerSecond(), "Kafka -> PostgreSQL, vs COPY of the same rows")
                                : BenchmarkResult.skipped("indexer.fresh", "links/s", "indexer did not converge: caught up="
                                + caughtUp + ", host_layers " + rows + " of " + published.hostLayerLinks()));

                        // The rescan (round 1) applied from a backlog; then a churn round (2) with freshness sampled.
                        Optional<BenchPlugins.RunningDashboard> dash = Optional.empty();
                        try {
                            if (plugins.dashboard().isPresent()) {
                                dash = Optional.of(plugins.dashboard().get().start(url, pg.user(), ""));
                            }
                            if (part == Part.QUERIES) {
                                report.addAll(packageQueries(scale, url, pg.user(), work, sim, bootstrap, dash, "round 0"));
                                if (dash.isPresent()) {
                                    report.addAll(churnQueries(scale, url, pg.user(), sim, bootstrap, indexer, dash.get(), 0, 1));
                                }
                            } else {
                                // Round 1 published while the indexer is held (a lock on its hosts table), then
                                // timed from release to caught up: the indexer's figure, as COPY + merge is.
                                StatementProfile.reset(url, pg.user());
                                Held round1 = publishWhileHeld(url, pg.user(), () -> publishRound(sim, bootstrap, 1));
                                boolean again = indexer.awaitCaughtUp(Duration.ofMinutes(30));
                                double rs = (System.nanoTime() - round1.releasedAt()) / 1e9;
                                StatementProfile.write(url, pg.user(), work, "rescan");
                                report.add(again ? BenchmarkResult.of("indexer.rescan", round1.published().hostLayerLinks() / rs,
                                        "links/s", rescan.linksPerSecond(), "apply round 1 (published beforehand in "
                                                + round1.published().elapsed().toMillis() + " ms), vs staged COPY merge")
                                        : BenchmarkResult.skipped("indexer.rescan", "links/s", "indexer did not catch up"));
                                if (part == Part.ALL) {
                                    report.addAll(packageQueries(scale, url, pg.user(), work, sim, bootstrap, dash, "round 1"));
                                }

                                // A churn round (round 2) published as fast as the simulator can while the probes
                                // ask the API when their change shows.
                                checkpoint(url, pg.user());
                                StatementProfile.reset(url, pg.user());
                                CompletableFuture<PublishReport> churn = CompletableFuture.supplyAsync(() ->
                                        publishRound(sim, bootstrap, 2));
                                if (dash.isPresent()) {
                                    apiFreshness = Optional.of(FreshnessBenchmark.throughApi(bootstrap, sim,
                                            scale.freshnessSamples(), dash.get(), 0));
                                }
                                churn.get();
                                indexer.awaitCaughtUp(Duration.ofMinutes(30));
                                StatementProfile.write(url, pg.user(), work, "churn");

                                // Every agent's periodic full resend at once, nothing changed: published while the
                                // indexer is held (a lock on its hosts table), then timed from release to caught up,
                                // so the figure is the indexer's, not the simulator's encoding speed.
                                Held held = publishWhileHeld(url, pg.user(), () ->
                                        publishResend(sim, bootstrap, 2, FleetSimulator.resendGeneration(2)));
                                PublishReport resent = held.published();
                                boolean resendDone = indexer.awaitCaughtUp(Duration.ofMinutes(30));
                                double hs = (System.nanoTime() - held.releasedAt()) / 1e9;
                                report.add(resendDone
                                        ? BenchmarkResult.of("indexer.resend-unchanged", resent.hostLayerLinks() / hs, "links/s",
                                        published.hostLayerLinks() / seconds, "every host resends its unchanged state ("
                                                + resent.chunks() + " chunks), applied in " + Math.round(hs * 1000)
                                                + " ms, vs indexer.fresh")
                                        : BenchmarkResult.skipped("indexer.resend-unchanged", "links/s", "indexer did not catch up"
                                        ));

                                if (dash.isPresent()) {
                                    CompletableFuture<PublishReport> resendLoad = CompletableFuture.supplyAsync(() ->
                                            publishResend(sim, bootstrap, 2, FleetSimulator.resendGeneration(2) + 1));
                                    resendFreshness = Optional.of(FreshnessBenchmark.throughApi(bootstrap, sim,
                                            scale.freshnessSamples(), dash.get(), scale.freshnessSamples()));
                                    resendLoad.get();
                                    indexer.awaitCaughtUp(Duration.ofMinutes(30));
                                    // The churn while queries run starts at round 3.
                                    if (part == Part.ALL) {
                                        report.addAll(churnQueries(scale, url, pg.user(), sim, bootstrap, indexer, dash.get(), 1, 3));
                                    }
                                }
                            }
                        } finally {
                            if (dash.isPresent()) {
                                dash.get().close();
                            }
                        }
                        indexerRss = indexer.rssBytes();
                    }
                } else {
                    report.add(BenchmarkResult.skipped("indexer.fresh", "links/s", "indexer not plugged in (BenchPlugins.indexer)"));
                    report.add(BenchmarkResult.skipped("indexer.rescan", "links/s", "indexer not plugged in"));
                    report.add(BenchmarkResult.skipped("indexer.resend-unchanged", "links/s", "indexer not plugged in"));
                }

                if (part != Part.QUERIES) {
                    // The transport baseline: the churn probes' own, timed to a plain consumer beside the API under
                    // the same load; without a dashboard, probes of their own under a round republished as load.
                    Latencies kafkaFreshness;
                    if (apiFreshness.isPresent()) {
                        kafkaFreshness = apiFreshness.get().transport();
                    } else {
                        log.info("(c) freshness: transport baseline under load");
                        CompletableFuture<PublishReport> load = CompletableFuture.supplyAsync(() ->
                                publishRound(sim, bootstrap, 2));
                        kafkaFreshness = FreshnessBenchmark.kafkaBaseline(bootstrap, sim, scale.freshnessSamples());
                        load.get();
                    }
                    report.addAll(FreshnessBenchmark.results(kafkaFreshness, apiFreshness.map(FreshnessBenchmark.Probes::api),
                            resendFreshness.map(FreshnessBenchmark.Probes::api)));
                    report.add(memoryRow("memory.indexer.rss", Optional.of(indexerRss), startRss,
                            "indexer not plugged in or runs in this JVM"));
                }
            }
        }
        if (part == Part.QUERIES) {
            deleteQuietly(work.resolve("kafka-" + runId));
            return report;
        }
        report.add(BenchmarkResult.absolute("memory.bench.rss", Rss.self().orElse(0), "bytes",
                "this JVM at the end (embedded Kafka and all); at start " + startRss));
        deleteQuietly(work.resolve("kafka-" + runId));
        return report;
    }

    /**
     * (d) the lookups on the quiet COPY-loaded fleet, beside their bare SQL, and the dashboard's memory. The bare SQL
     * runs on a read-only pool as the dashboard's and the churn phase's do (its session's settings, e.g. custom plans
     * for every statement, {@code Database.READER_SESSION}): on the COPY loader's writer pool the baseline's
     * statements were planned generically after five runs where the dashboard's are planned each time, so the quiet
     * phase compared two ways of planning as well as the API with its SQL (DESIGN, "Where 'hosts holding a layer'
     * loses its time against its SQL at small scale").
     */
    private List<BenchmarkResult> queriesOnCopy(String copyUrl, String user, FleetSimulator sim, long startRss)
            throws Exception {
        log.info("(d) queries: SQL baseline{}", plugins.dashboard().isPresent() ? " and the dashboard" : "");
        Optional<BenchPlugins.RunningDashboard> dashboardOnCopy = Optional.empty();
        List<BenchmarkResult> out = new java.util.ArrayList<>();
        // The hosts heartbeat through the indexer's write path, as a fleet does whatever else happens (the loads'
        // rows carry simulated times; CopyLoader's rescan of round 1 stored generation 2).
        try (Database db = Database.open(copyUrl, user, "", scale.queryClients() + 2, true);
             Database writer = Database.open(copyUrl, user, "", 1, false);
             FleetHeartbeats beats = FleetHeartbeats.toIndex(sim, new IndexWriter(writer), 2)) {
            if (plugins.dashboard().isPresent()) {
                dashboardOnCopy = Optional.of(plugins.dashboard().get().start(copyUrl, user, ""));
            }
            out.addAll(QueryBenchmark.run(scale, db.dataSource(), sim, 1, dashboardOnCopy));
            out.add(memoryRow("memory.dashboard.rss", dashboardOnCopy.map(BenchPlugins.RunningDashboard::rssBytes),
                    startRss, "dashboard not plugged in"));
        } finally {
            if (dashboardOnCopy.isPresent()) {
                dashboardOnCopy.get().close();
            }
        }
        return out;
    }

    /**
     * (d) again, on the indexer's database while it applies churn: rounds {@code firstRound, firstRound + 1, …} are
     * published back to back (each host's agent sending its changed snapshot) for as long as the four lookups run,
     * then the indexer catches up. Figures are named {@code query.<kind>.churn.…}, each beside the bare SQL of the same
     * answer on the same database at the same time.
     */
    private static List<BenchmarkResult> churnQueries(Scale scale, String url, String user, FleetSimulator sim,
                                                      String bootstrap, BenchPlugins.RunningIndexer indexer,
                                                      BenchPlugins.RunningDashboard dash, int askRound, int firstRound)
            throws Exception {
        log.info("(d) queries while the indexer applies churn rounds from round {}", firstRound);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger published = new java.util.concurrent.atomic.AtomicInteger();
        CompletableFuture<Void> churn = CompletableFuture.runAsync(() -> {
            for (int round = firstRound; !stop.get(); round++) {
                // Above every generation the index has seen (resends from 501, freshness probes from 1001), so each
                // churn round is news to the indexer and not skipped as stale.
                publishRound(sim, bootstrap, round, CHURN_GENERATIONS + round);
                published.incrementAndGet();
            }
        });
        List<BenchmarkResult> out;
        try (Database db = Database.open(url, user, "", scale.queryClients() + 2, true);
             FleetHeartbeats beats = FleetHeartbeats.toKafka(sim, bootstrap)) {
            // The hosts' layers as of the last round the index holds in full: what users ask about while churn lands.
            out = QueryBenchmark.run(scale, db.dataSource(), sim, askRound, Optional.of(dash), ".churn",
                    ", while the indexer applies churn rounds");
        } finally {
            stop.set(true);
            int during = published.get();
            churn.get();
            log.info("churn: {} rounds published while the queries ran, {} in all", during, published.get());
        }
        if (!indexer.awaitCaughtUp(Duration.ofMinutes(30))) {
            throw new IllegalStateException("the indexer did not catch up after the churn rounds");
        }
        return out;
    }

    /**
     * (d) the package search, on the indexer's database, quiet, after {@code applied} is indexed: the COPY-loaded
     * database the other lookups read first has no package rows (CopyLoader writes none).
     */
    private static List<BenchmarkResult> packageQueries(Scale scale, String url, String user, Path work, FleetSimulator sim,
                                                        String bootstrap, Optional<BenchPlugins.RunningDashboard> dash,
                                                        String applied) throws Exception {
        log.info("(d) package search on the indexer's database");
        StatementProfile.reset(url, user);
        try (Database db = Database.open(url, user, "", scale.queryClients() + 2, true);
             FleetHeartbeats beats = FleetHeartbeats.toKafka(sim, bootstrap)) {
            return QueryBenchmark.packageSearch(scale, db.dataSource(), sim, dash,
                    ", on the indexer's database (the COPY-loaded one has no packages), quiet, " + applied + " indexed");
        } finally {
            StatementProfile.write(url, user, work, "package-search-" + applied.replace(' ', '-'));
        }
    }

    private static BenchmarkResult memoryRow(String name, Optional<OptionalLong> rss, long baseline, String missing) {
        if (rss.isEmpty() || rss.get().isEmpty()) {
            return BenchmarkResult.skipped(name, "bytes", missing);
        }
        return BenchmarkResult.of(name, rss.get().getAsLong(), "bytes", baseline, "vs this JVM's RSS at start");
    }

    /** What was published while the indexer was held, and when it was released ({@link System#nanoTime()}). */
    private record Held(PublishReport published, long releasedAt) {
    }

    /**
     * Publishes while the indexer is held by a lock on its hosts table (its next batch waits), then releases it: a
     * timing from {@link Held#releasedAt()} to caught up is the indexer's alone, not the simulator's encoding speed.
     */
    private static Held publishWhileHeld(String url, String user, java.util.function.Supplier<PublishReport> publish)
            throws java.sql.SQLException {
        try (Connection hold = java.sql.DriverManager.getConnection(url, user, "")) {
            hold.setAutoCommit(false);
            try (Statement st = hold.createStatement()) {
                st.execute("LOCK TABLE hosts IN EXCLUSIVE MODE");
            }
            PublishReport published = publish.get();
            checkpoint(url, user);
            long released = System.nanoTime();
            hold.commit();
            return new Held(published, released);
        }
    }

    /** One round with a producer of its own, closed afterwards (as every host's agent has its own). */
    private static PublishReport publishRound(FleetSimulator sim, String bootstrap, int round) {
        return publishRound(sim, bootstrap, round, -1);
    }

    /** First generation of the churn rounds published while queries run: above resends' and probes' generations. */
    private static final long CHURN_GENERATIONS = 100_000;

    private static PublishReport publishRound(FleetSimulator sim, String bootstrap, int round, long generation) {
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(FleetSimulator.producerConfig(bootstrap),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            return sim.publishRound(producer, round, generation);
        }
    }

    /** Every host's full resend of round {@code round}, unchanged, with a producer of its own. */
    private static PublishReport publishResend(FleetSimulator sim, String bootstrap, int round, long generation) {
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(FleetSimulator.producerConfig(bootstrap),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            return sim.publishResendRound(producer, round, generation);
        }
    }

    /**
     * A checkpoint, untimed, before each timed write phase (the baselines' COPY and merge, the indexer's fresh load,
     * rescan, churn and resend). Baselines and indexer share one server and its WAL, and a checkpoint makes the first
     * change of every page after it a full-page image: left to the WAL volume, the checkpoint fell wherever the runs
     * before had filled {@code max_wal_size} to, e.g. into the indexer's rescan and not the baseline's (10,000 hosts:
     * 43,739-45,608 full-page images in the rescan's inserts into host_layers, none in the baseline's merge). Each phase
     * now starts right after one, so each pays the full-page images of the pages it changes, as it would at any time
     * in a fleet's life, and no later checkpoint starts inside it (a phase writes less WAL than starts one).
     */
    private static void checkpoint(String url, String user) throws java.sql.SQLException {
        long t0 = System.nanoTime();
        try (Connection c = java.sql.DriverManager.getConnection(url, user, "");
             Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
        }
        log.info("checkpoint before the phase: {} ms", (System.nanoTime() - t0) / 1_000_000);
    }

    private static void analyze(Connection c) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("ANALYZE");
        }
    }

    /**
     * VACUUM ANALYZE before the quiet phase reads the COPY-loaded fleet, so that its index-only scans find the pages
     * all-visible as on a fleet autovacuum keeps up with, in every run alike: left to autovacuum, one 10,000-host run
     * read it while the visibility map was still unset (the export's pairs statement 14,130 buffers a call against
     * 1,613 and 3,153 in two other runs), which halved that run's SQL baselines ({@code export.sql} 58,140 rows/s
     * against 106,877 and 114,072).
     */
    private static void vacuumAnalyze(Connection c) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("VACUUM (ANALYZE)");
        }
    }

    private static long countHostLayers(String url, String user) throws Exception {
        try (Connection c = java.sql.DriverManager.getConnection(url, user, "");
             Statement s = c.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM host_layers")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            if (Files.exists(dir)) {
                try (var s = Files.walk(dir)) {
                    for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            log.warn("could not delete {}: {}", dir, e.toString());
        }
    }
}
