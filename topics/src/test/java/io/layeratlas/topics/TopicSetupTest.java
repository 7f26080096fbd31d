package io.layeratlas.topics;

import io.layeratlas.embedded.EmbeddedKafka;
import io.layeratlas.events.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract's topics as a real broker (Kafka's own, in-process) reports them after {@link TopicSetup}: expected
 * configs are events/README.md's "Topics" table, not {@link TopicSetup}'s constants.
 */
class TopicSetupTest {
    private static final List<String> ALL = List.of(Topics.IMAGE_CONFIGS, Topics.HEARTBEATS, Topics.LAYER_PACKAGES,
            Topics.HOST_LAYERS, Topics.HOST_LAYERS_RESEND, Topics.DEAD_LETTER);
    @TempDir
    static Path dir;
    private static EmbeddedKafka kafka;
    private static Admin admin;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.startTemporary(dir.resolve("kafka"));
        admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
    }

    @AfterAll
    static void stop() {
        admin.close();
        kafka.close();
    }

    @Test
    void every_topic_gets_the_cleanup_the_contract_documents_set_on_the_topic() throws Exception {
        String prefix = "configs.";
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 2, prefix);

        Map<String, Config> configs = configs(prefix);
        // events/README.md, "Topics": compacted, or deleted after 7 days (snapshots) and 30 days (dead letters).
        for (String compacted : List.of(Topics.IMAGE_CONFIGS, Topics.HEARTBEATS, Topics.LAYER_PACKAGES)) {
            assertThat(topicValue(configs.get(compacted), "cleanup.policy")).as(compacted).isEqualTo("compact");
        }
        for (String snapshots : List.of(Topics.HOST_LAYERS, Topics.HOST_LAYERS_RESEND)) {
            assertThat(topicValue(configs.get(snapshots), "cleanup.policy")).as(snapshots).isEqualTo("delete");
            assertThat(topicValue(configs.get(snapshots), "retention.ms")).as(snapshots)
                    .isEqualTo(String.valueOf(Duration.ofDays(7).toMillis()));
            assertThat(topicValue(configs.get(snapshots), "retention.bytes")).as(snapshots).isEqualTo("-1");
        }
        assertThat(topicValue(configs.get(Topics.DEAD_LETTER), "cleanup.policy")).isEqualTo("delete");
        assertThat(topicValue(configs.get(Topics.DEAD_LETTER), "retention.ms"))
                .isEqualTo(String.valueOf(Duration.ofDays(30).toMillis()));
    }

    @Test
    void when_it_returns_every_partition_has_a_leader_that_takes_a_record_at_the_first_try() throws Exception {
        String prefix = "leaders.";
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 3, prefix);

        Map<String, TopicDescription> described = describe(prefix);
        assertThat(described.keySet()).containsExactlyInAnyOrderElementsOf(ALL);
        for (TopicDescription d : described.values()) {
            assertThat(d.partitions()).as(d.name()).hasSize(3)
                    .allSatisfy(p -> assertThat(p.leader()).isNotNull().matches(l -> !l.isEmpty()));
        }
        // Without retries, a send to a partition whose leader does not serve it yet (NOT_LEADER_OR_FOLLOWER, as in a
        // SimulatedFleetIndexedTest run that then wedged its idempotent producer) fails.
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers(),
                "retries", "0", "enable.idempotence", "false", "acks", "all"), new StringSerializer(), new StringSerializer())) {
            for (String topic : ALL) {
                for (int partition = 0; partition < 3; partition++) {
                    producer.send(new ProducerRecord<>(prefix + topic, partition, "k", "v")).get(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void a_second_run_changes_nothing_and_an_existing_topic_is_left_as_it_is() throws Exception {
        String prefix = "again.";
        // A host-layers topic someone made by hand: one partition, the broker's default cleanup.
        admin.createTopics(List.of(new NewTopic(prefix + Topics.HOST_LAYERS, 1, (short) 1))).all().get();

        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 2, prefix);
        TopicSetup.ensureTopics(kafka.bootstrapServers(), Map.of(), 4, prefix);

        Map<String, TopicDescription> described = describe(prefix);
        assertThat(described.get(Topics.HOST_LAYERS).partitions()).hasSize(1);
        assertThat(described.get(Topics.IMAGE_CONFIGS).partitions()).as("created by the first run").hasSize(2);
        ConfigEntry retention = configs(prefix).get(Topics.HOST_LAYERS).get("retention.ms");
        assertThat(retention.source()).isNotEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
    }

    @Test
    void fewer_than_one_partition_is_refused_before_the_broker_is_asked() {
        assertThatThrownBy(() -> TopicSetup.ensureTopics("localhost:1", Map.of(), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitions");
    }

    /** A config's value, provided the broker reports it as set on the topic (not its own default). */
    private static String topicValue(Config config, String name) {
        ConfigEntry entry = config.get(name);
        assertThat(entry.source()).as(name).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        return entry.value();
    }

    /** The configs of the contract's topics under {@code prefix}, by unprefixed name. */
    private static Map<String, Config> configs(String prefix) throws Exception {
        Map<ConfigResource, Config> configs = admin.describeConfigs(ALL.stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, prefix + t)).toList()).all().get();
        return configs.entrySet().stream()
                .collect(Collectors.toMap(e -> e.getKey().name().substring(prefix.length()), Map.Entry::getValue));
    }

    /** The contract's topics under {@code prefix}, by unprefixed name. */
    private static Map<String, TopicDescription> describe(String prefix) throws Exception {
        return admin.describeTopics(ALL.stream().map(t -> prefix + t).toList()).allTopicNames().get().values().stream()
                .collect(Collectors.toMap(d -> d.name().substring(prefix.length()), Function.identity()));
    }
}
