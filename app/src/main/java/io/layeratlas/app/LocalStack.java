package io.layeratlas.app;

import io.layeratlas.agent.Agents;
import io.layeratlas.agent.HostIds;
import io.layeratlas.agent.SourceSpec;
import io.javalin.Javalin;
import io.layeratlas.dashboard.Dashboard;
import io.layeratlas.dashboard.DashboardConfig;
import io.layeratlas.db.Database;
import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.embedded.EmbeddedPostgresServer;
import io.layeratlas.events.SourceKind;
import io.layeratlas.indexer.Indexer;
import io.layeratlas.indexer.IndexerConfig;
import io.layeratlas.ingest.agent.Agent;
import io.layeratlas.ingest.agent.AgentConfig;
import io.layeratlas.topics.TopicSetup;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything {@code layeratlas up} runs, in one JVM: broker, database, indexer, dashboard, agents.
 * Started in dependency order; {@link #close()} stops it in reverse. Also the fixture of the end-to-end test.
 */
final class LocalStack implements AutoCloseable {

    /**
     * @param stateDir       broker log, database and agent state live below it
     * @param port           dashboard port (0 = any free port)
     * @param kafkaPort      broker port on 127.0.0.1 (0 = any free port)
     * @param sources        one agent each
     * @param kind           forced source kind, or empty to detect
     * @param rescanInterval each agent's full rescan period
     * @param rebuildIndex   drop the index and re-consume the topics first
     */
    record Settings(Path stateDir, int port, int kafkaPort, List<SourceSpec> sources, Optional<SourceKind> kind,
                    Duration rescanInterval, boolean rebuildIndex) {
    }

    private final Deque<AutoCloseable> running = new ArrayDeque<>();
    private EmbeddedKafka kafka;
    private Database db;
    private Indexer indexer;
    private Javalin web;

    private LocalStack() {
    }

    static LocalStack start(Settings settings, PrintStream out) {
        LocalStack stack = new LocalStack();
        try {
            stack.startAll(settings, out);
            return stack;
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    private void startAll(Settings s, PrintStream out) {
        Path state = s.stateDir();
        out.println("state in " + state);
        out.println("starting Kafka broker (KRaft, one node, in-process)…");
        kafka = EmbeddedKafka.start(state.resolve("kafka"), s.kafkaPort(), Map.of());
        running.push(kafka);
        out.println("  Kafka at " + kafka.bootstrapServers());

        out.println("starting PostgreSQL (embedded)…");
        EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(state.resolve("postgres"), 0);
        running.push(pg);
        db = Database.migrateAndOpen(pg.jdbcUrl(), pg.user(), "", 8);
        running.push(db);
        out.println("  PostgreSQL at " + pg.jdbcUrl() + " (user " + pg.user() + "), e.g. ./layeratlas hosts retire HOST --db-url "
                + pg.jdbcUrl() + " --db-user " + pg.user());

        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 1);
        IndexerConfig indexerConfig = IndexerConfig.defaults(kafka.bootstrapServers());
        if (s.rebuildIndex()) {
            out.println("rebuilding the index from the topics…");
            indexer = Indexer.rebuild(indexerConfig, db);
        } else {
            indexer = new Indexer(indexerConfig, db);
        }
        indexer.start();
        running.push(indexer);
        out.println("indexer running");

        // The dashboard reads through its own pool, with the time limits a separate dashboard has: a stalled
        // indexer transaction or a slow page cannot take the other's connections.
        Database reader = Database.open(pg.jdbcUrl(), pg.user(), "", 4, true);
        running.push(reader);
        int port = s.port() == 0 ? EmbeddedKafka.freePort() : s.port();
        web = Dashboard.create(DashboardConfig.defaults().withPort(port), reader).start(port);
        running.push(web::stop);

        for (SourceSpec spec : s.sources()) {
            String hostId = HostIds.forSource(spec, Optional.empty());
            AgentConfig config = AgentConfig.defaults(spec.location(), kafka.bootstrapServers())
                    .withKind(s.kind()).withHostId(hostId).withRescanInterval(s.rescanInterval())
                    .withStateDir(state.resolve("agents").resolve(safeName(hostId)));
            Agent agent = Agents.start(config,
                    inventory -> out.println("host " + inventory.hostId() + ": " + inventory.images().size() + " images, "
                            + inventory.layers().size() + " layers in " + inventory.source()
                            + (inventory.problems().isEmpty() ? "" : "; " + inventory.problems().size()
                            + " items skipped, first: " + inventory.problems().get(0).path() + ": "
                            + inventory.problems().get(0).reason())));
            running.push(agent);
            out.println("agent for host " + hostId + " reading " + spec.location());
        }
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    Database database() {
        return db;
    }

    Indexer indexer() {
        return indexer;
    }

    int dashboardPort() {
        return web.port();
    }

    @Override
    public void close() {
        while (!running.isEmpty()) {
            AutoCloseable c = running.pop();
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("while stopping " + c.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
    }

    static String safeName(String hostId) {
        return hostId.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
