package io.layeratlas.app;

import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.events.Topics;
import io.layeratlas.testing.Fixtures;
import io.layeratlas.topics.TopicSetup;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.FileWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 14, item 4: {@code deploy/kafka/acls.sh}, run through Kafka's own {@code AclCommand} (what
 * {@code kafka-acls.sh} runs) against a broker that enforces ACLs (KRaft {@code StandardAuthorizer}, SASL/PLAIN):
 * agents write only the inventory and heartbeat topics, indexers read them and write the dead-letter topic, and
 * nobody else writes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaAclsTest {
    private static final String PREFIX = "acl.";
    private static final Map<String, String> USERS = Map.of("admin", "admin-pw", "agent", "agent-pw",
            "indexer", "indexer-pw", "stranger", "stranger-pw");
    private EmbeddedKafka kafka;

    @BeforeAll
    void start_the_broker_and_apply_the_acls(@TempDir Path dir) throws Exception {
        kafka = EmbeddedKafka.startWithAcls(dir.resolve("kafka"), USERS, "admin");
        Path adminConfig = dir.resolve("admin.properties");
        Properties admin = new Properties();
        admin.putAll(login("admin"));
        try (FileWriter w = new FileWriter(adminConfig.toFile(), StandardCharsets.UTF_8)) {
            admin.store(w, null);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder("bash", Fixtures.projectRoot().resolve("deploy/kafka/acls.sh").toString(), "add")
                .redirectErrorStream(true);
        pb.environment().putAll(Map.of("BOOTSTRAP_SERVERS", kafka.bootstrapServers(), "COMMAND_CONFIG", adminConfig.toString(),
                "TOPIC_PREFIX", PREFIX, "AGENT_PRINCIPAL", "User:agent", "INDEXER_PRINCIPAL", "User:indexer",
                "INDEXER_GROUP", "indexers", "KAFKA_ACLS", java + " -Xmx256m -cp " + classpath + " org.apache.kafka.tools.AclCommand"));
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out.toString(StandardCharsets.UTF_8)).isZero();
        // The indexer creates the topics, as it does on start.
        TopicSetup.ensureTopics(kafka.bootstrapServers(), login("indexer"), 1, PREFIX);
    }

    @AfterAll
    void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void an_agent_writes_host_layers_configs_and_heartbeats_but_not_the_dead_letter_topic() throws Exception {
        for (String topic : List.of(Topics.HOST_LAYERS, Topics.IMAGE_CONFIGS, Topics.HEARTBEATS)) {
            send("agent", PREFIX + topic);
        }
        assertDenied("agent", PREFIX + Topics.DEAD_LETTER);
    }

    @Test
    void an_indexer_reads_what_agents_wrote_and_writes_the_dead_letter_topic_but_no_inventory() throws Exception {
        send("agent", PREFIX + Topics.HOST_LAYERS);
        Map<String, Object> config = new HashMap<>(login("indexer"));
        config.putAll(Map.of("bootstrap.servers", kafka.bootstrapServers(), "group.id", "indexers", "auto.offset.reset", "earliest"));
        try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(PREFIX + Topics.HOST_LAYERS));
            ConsumerRecords<String, String> records = ConsumerRecords.empty();
            for (int i = 0; i < 30 && records.isEmpty(); i++) {
                records = consumer.poll(Duration.ofSeconds(1));
            }
            assertThat(records.isEmpty()).isFalse();
        }
        send("indexer", PREFIX + Topics.DEAD_LETTER);
        assertDenied("indexer", PREFIX + Topics.HOST_LAYERS);
    }

    @Test
    void a_principal_without_acls_writes_nothing() {
        for (String topic : List.of(Topics.HOST_LAYERS, Topics.IMAGE_CONFIGS, Topics.HEARTBEATS, Topics.DEAD_LETTER)) {
            assertDenied("stranger", PREFIX + topic);
        }
    }

    private static Map<String, String> login(String user) {
        return EmbeddedKafka.saslPlain(user, USERS.get(user));
    }

    private KafkaProducer<String, String> producer(String user) {
        Map<String, Object> config = new HashMap<>(login(user));
        config.putAll(Map.of("bootstrap.servers", kafka.bootstrapServers(), "max.block.ms", "15000",
                "delivery.timeout.ms", "15000", "request.timeout.ms", "10000"));
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    private void send(String user, String topic) throws Exception {
        try (var producer = producer(user)) {
            producer.send(new ProducerRecord<>(topic, "web-01", "{}")).get(30, TimeUnit.SECONDS);
        }
    }

    private void assertDenied(String user, String topic) {
        try (var producer = producer(user)) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, "web-01", "{}")).get(30, TimeUnit.SECONDS))
                    .as("%s writing %s", user, topic)
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(AuthorizationException.class);
        } catch (IllegalStateException | AuthorizationException e) {
            // The producer may refuse before any send (no cluster-level right to be idempotent): denied too.
            assertThat(e).hasMessageContaining("uthoriz");
        }
    }
}
