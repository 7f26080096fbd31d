package io.layeratlas.topics;

import io.layeratlas.events.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates the contract topics ({@link Topics}) if they are missing. Idempotent: an existing topic is left as it
 * is (its partition count and configs are not changed). The replication factor is the broker's
 * {@code default.replication.factor}.
 *
 * <ul>
 *   <li>{@code image-configs}: compacted. Configs are content-addressed by image ID, so the latest record per key
 *       is all a rebuild needs.</li>
 *   <li>{@code heartbeats}: compacted; only a host's last heartbeat matters.</li>
 *   <li>{@code host-layers}: deleted by time, {@link #HOST_LAYERS_RETENTION} by default. Not compacted: a chunked
 *       snapshot is several records with the same key. A rebuild sees every host that published a full snapshot
 *       within the retention, so agents must republish their snapshot more often than that.</li>
 *   <li>{@code host-layers-resend}: the periodic full resends of unchanged states, kept like {@code host-layers}
 *       (a host that has not changed for a week is in the index after a rebuild through its resends).</li>
 *   <li>{@code dead-letter}: deleted by time, {@link #DEAD_LETTER_RETENTION}: long enough for an operator to look.</li>
 * </ul>
 */
public final class TopicSetup {
    private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

    /** Retention of host snapshots: a week, so a host that was switched off over a long weekend survives a rebuild. */
    public static final Duration HOST_LAYERS_RETENTION = Duration.ofDays(7);
    /** Retention of dead letters. */
    public static final Duration DEAD_LETTER_RETENTION = Duration.ofDays(30);

    private TopicSetup() {
    }

    /**
     * Creates the six contract topics with their default names.
     *
     * @param kafkaProperties admin client properties passed through (security…)
     * @param partitions      partitions per topic: the most indexers that can share the work
     * @throws IllegalStateException if the broker cannot be reached or refuses
     */
    public static void ensureTopics(String bootstrapServers, Map<String, String> kafkaProperties, int partitions) {
        ensureTopics(bootstrapServers, kafkaProperties, partitions, "");
    }

    /** As {@link #ensureTopics(String, Map, int)}, with {@code topicPrefix} before every topic name. */
    public static void ensureTopics(String bootstrapServers, Map<String, String> kafkaProperties, int partitions,
                                    String topicPrefix) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1: " + partitions);
        }
        Map<String, Object> props = new HashMap<>(kafkaProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        List<NewTopic> topics = List.of(
                topic(topicPrefix + Topics.IMAGE_CONFIGS, partitions, Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                topic(topicPrefix + Topics.HEARTBEATS, partitions, Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                topic(topicPrefix + Topics.LAYER_PACKAGES, partitions, Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                topic(topicPrefix + Topics.HOST_LAYERS, partitions, Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.RETENTION_MS_CONFIG, String.valueOf(HOST_LAYERS_RETENTION.toMillis()),
                        TopicConfig.RETENTION_BYTES_CONFIG, "-1")),
                topic(topicPrefix + Topics.HOST_LAYERS_RESEND, partitions, Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.RETENTION_MS_CONFIG, String.valueOf(HOST_LAYERS_RETENTION.toMillis()),
                        TopicConfig.RETENTION_BYTES_CONFIG, "-1")),
                topic(topicPrefix + Topics.DEAD_LETTER, partitions, Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.RETENTION_MS_CONFIG, String.valueOf(DEAD_LETTER_RETENTION.toMillis()))));
        try (Admin admin = Admin.create(props)) {
            var result = admin.createTopics(topics);
            for (NewTopic t : topics) {
                try {
                    result.values().get(t.name()).get(60, TimeUnit.SECONDS);
                    log.info("created topic {} ({} partitions, {})", t.name(), partitions, t.configs());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof TopicExistsException) {
                        log.debug("topic {} exists", t.name());
                    } else {
                        throw new IllegalStateException("cannot create topic " + t.name() + ": " + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out creating topics on " + bootstrapServers, e);
        }
    }

    private static NewTopic topic(String name, int partitions, Map<String, String> configs) {
        return new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs);
    }
}
