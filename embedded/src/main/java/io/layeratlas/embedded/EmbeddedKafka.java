package io.layeratlas.embedded;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool$;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Kafka's own broker in this JVM: {@link KafkaRaftServer}, KRaft mode, one node that is both broker and controller.
 * Used by {@code layeratlas up} and by integration tests; production runs a real cluster.
 *
 * <p>The log folder is formatted on first start and reused afterwards, so a restart keeps every topic. After a
 * crash (SIGKILL) the broker's own log recovery runs on the next start; a format the crash interrupted is redone.
 * Tuned down to fit 2 cores and little memory (one cleaner thread with a 2 MiB dedupe buffer instead of 128 MiB,
 * two network and I/O threads). Not thread-safe: start and close from one thread.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final Path logDir;
    private final int brokerPort;
    private final int controllerPort;
    /** SASL/PLAIN users (name → password) of a broker that enforces ACLs; empty for a plaintext, open broker. */
    private final Map<String, String> users;
    private final String superUser;
    private KafkaRaftServer server;

    private EmbeddedKafka(Path logDir, int brokerPort, int controllerPort, Map<String, String> users, String superUser) {
        this.logDir = logDir;
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
        this.users = Map.copyOf(users);
        this.superUser = superUser;
    }

    /**
     * Formats {@code logDir} if it is new and starts the broker.
     *
     * @param logDir     the broker's data; created if absent, kept across restarts
     * @param brokerPort the client port on 127.0.0.1, or 0 for a free one
     * @param overrides  broker properties that replace the defaults below (may be empty)
     * @throws IllegalStateException if formatting or start-up fails
     */
    public static EmbeddedKafka start(Path logDir, int brokerPort, Map<String, String> overrides) {
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Kafka log folder " + logDir, e);
        }
        EmbeddedKafka kafka = new EmbeddedKafka(logDir.toAbsolutePath(), brokerPort == 0 ? freePort() : brokerPort, freePort(),
                Map.of(), null);
        kafka.startServer(overrides);
        return kafka;
    }

    /**
     * A broker whose client listener needs SASL/PLAIN (over plaintext: for tests on 127.0.0.1 only) and that
     * enforces ACLs with KRaft's {@code StandardAuthorizer}, denying whatever no ACL allows; for tests of the ACLs
     * in {@code deploy/kafka/}. Clients log in with {@link #saslPlain(String, String)}.
     *
     * @param users     user name → password, every user that may log in
     * @param superUser one of {@code users}, allowed everything (the one that sets ACLs)
     */
    public static EmbeddedKafka startWithAcls(Path logDir, Map<String, String> users, String superUser) {
        if (!users.containsKey(superUser)) {
            throw new IllegalArgumentException("the super user must be one of the users: " + superUser);
        }
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Kafka log folder " + logDir, e);
        }
        EmbeddedKafka kafka = new EmbeddedKafka(logDir.toAbsolutePath(), freePort(), freePort(), users, superUser);
        kafka.startServer(Map.of());
        return kafka;
    }

    /** Client properties to log in as {@code user} to a broker from {@link #startWithAcls}. */
    public static Map<String, String> saslPlain(String user, String password) {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + user + "\" password=\"" + password + "\";");
    }

    /** A broker on a free port in a fresh folder; for tests. */
    public static EmbeddedKafka startTemporary(Path dir) {
        return start(dir, 0, Map.of());
    }

    /** {@code 127.0.0.1:<port>}, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    private Properties config(Map<String, String> overrides) {
        Map<String, String> p = new HashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        if (!users.isEmpty()) {
            p.put("listeners", "SASL_PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", "SASL_PLAINTEXT://127.0.0.1:" + brokerPort);
            p.put("inter.broker.listener.name", "SASL_PLAINTEXT");
            p.put("listener.security.protocol.map", "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
            p.put("sasl.enabled.mechanisms", "PLAIN");
            p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
            StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"")
                    .append(superUser).append("\" password=\"").append(users.get(superUser)).append('"');
            users.forEach((user, password) -> jaas.append(" user_").append(user).append("=\"").append(password).append('"'));
            p.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", jaas.append(';').toString());
            p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
            p.put("allow.everyone.if.no.acl.found", "false");
            // ANONYMOUS: the node itself on its PLAINTEXT controller listener, bound to 127.0.0.1.
            p.put("super.users", "User:" + superUser + ";User:ANONYMOUS");
        }
        p.put("log.dirs", logDir.resolve("data").toString());
        p.put("metadata.log.dir", logDir.resolve("meta").toString());
        // One node: every internal topic must fit a replication factor of one.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "2");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        // Consumers in tests and in `up` should not wait 3 s for a rebalance that never comes.
        p.put("group.initial.rebalance.delay.ms", "0");
        // Small machine: the cleaner's default 128 MiB dedupe buffer and 8 I/O threads are for real brokers.
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
        p.put("log.cleaner.threads", "1");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "true");
        p.putAll(overrides);
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }

    private void startServer(Map<String, String> overrides) {
        Properties props = config(overrides);
        Path propsFile = logDir.resolve("server.properties");
        try (Writer w = Files.newBufferedWriter(propsFile, StandardCharsets.UTF_8)) {
            props.store(w, "written by LayerAtlas on every start");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + propsFile, e);
        }
        // A process killed while formatting leaves part of a format behind, which the broker refuses. Nothing can
        // have been written before a format finished, so an unfinished one is wiped and done again.
        Path formatting = logDir.resolve("formatting");
        if (Files.exists(formatting) || !Files.exists(logDir.resolve("meta/meta.properties"))) {
            try {
                Files.writeString(formatting, "a format of this folder began and has not finished\n");
                Folders.deleteTree(logDir.resolve("meta"));
                Folders.deleteTree(logDir.resolve("data"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare " + logDir + " for formatting", e);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int rc = StorageTool$.MODULE$.execute(new String[]{"format", "-t", Uuid.randomUuid().toString(),
                    "-c", propsFile.toString(), "--ignore-formatted"}, new PrintStream(out, true, StandardCharsets.UTF_8));
            if (rc != 0) {
                throw new IllegalStateException("formatting Kafka storage in " + logDir + " failed: " + out.toString(StandardCharsets.UTF_8));
            }
            try {
                Files.delete(formatting);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + formatting, e);
            }
        }
        server = new KafkaRaftServer(KafkaConfig.fromProps(props), Time.SYSTEM);
        server.startup();
        log.info("Kafka broker (KRaft, one node) listening on {}", bootstrapServers());
    }

    /** Stops the broker and waits for it; the log folder stays. */
    @Override
    public void close() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    /** A port on 127.0.0.1 that was free a moment ago. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
