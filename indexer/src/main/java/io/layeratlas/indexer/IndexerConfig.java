package io.layeratlas.indexer;

import io.layeratlas.events.Topics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The indexer's settings, validated once. Immutable and thread-safe.
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}
 * @param groupId          consumer group; indexers with the same group share the partitions, and the offsets they
 *                         store in PostgreSQL are kept per group
 * @param kafkaProperties  Kafka client properties passed through to the consumer, the dead-letter producer and the
 *                         admin client (security, timeouts, {@code group.instance.id}…); they override the indexer's
 *                         defaults except the deserializers and {@code enable.auto.commit}
 * @param staleAfter       a host without heartbeat (or snapshot) for this long is stale
 * @param topicPrefix      prepended to every contract topic name ({@link Topics}); empty for the default names
 * @param pollTimeout      how long one {@code poll} waits for records; also how often a paused indexer checks
 *                         whether to retry
 * @param maxRetryBackoff  the longest wait between retries of a batch the database could not take (the wait
 *                         starts at 100 ms and doubles up to this)
 */
public record IndexerConfig(String bootstrapServers, String groupId, Map<String, String> kafkaProperties,
                            Duration staleAfter, String topicPrefix, Duration pollTimeout, Duration maxRetryBackoff) {

    /** The default consumer group. */
    public static final String DEFAULT_GROUP_ID = "layeratlas-indexer";

    public IndexerConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(staleAfter, "staleAfter");
        Objects.requireNonNull(pollTimeout, "pollTimeout");
        Objects.requireNonNull(maxRetryBackoff, "maxRetryBackoff");
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrapServers must not be blank");
        }
        if (groupId.isBlank()) {
            throw new IllegalArgumentException("groupId must not be blank");
        }
        if (staleAfter.isNegative() || staleAfter.isZero()) {
            throw new IllegalArgumentException("staleAfter must be positive: " + staleAfter);
        }
        if (pollTimeout.isNegative() || pollTimeout.isZero()) {
            throw new IllegalArgumentException("pollTimeout must be positive: " + pollTimeout);
        }
        if (maxRetryBackoff.toMillis() < 100) {
            throw new IllegalArgumentException("maxRetryBackoff must be at least 100 ms: " + maxRetryBackoff);
        }
        kafkaProperties = kafkaProperties == null ? Map.of() : Map.copyOf(kafkaProperties);
        topicPrefix = topicPrefix == null ? "" : topicPrefix;
    }

    /**
     * The defaults for a broker at {@code bootstrapServers}: group {@value #DEFAULT_GROUP_ID}, no extra Kafka
     * properties, no topic prefix.
     */
    public static IndexerConfig defaults(String bootstrapServers) {
        return new IndexerConfig(bootstrapServers, DEFAULT_GROUP_ID, Map.of(),
                // Ten heartbeats at the agent's default interval (AgentConfig, 30 s): a slow broker or a long GC
                // does not make a host stale.
                Duration.ofMinutes(5),
                "",
                // Short enough that close() and a retry after a database outage are prompt; an idle poll costs nothing.
                Duration.ofMillis(500),
                // A restarting PostgreSQL is back within seconds; beyond 30 s we only add delay after it returns.
                Duration.ofSeconds(30));
    }

    public IndexerConfig withGroupId(String groupId) {
        return new IndexerConfig(bootstrapServers, groupId, kafkaProperties, staleAfter, topicPrefix, pollTimeout, maxRetryBackoff);
    }

    public IndexerConfig withKafkaProperties(Map<String, String> kafkaProperties) {
        return new IndexerConfig(bootstrapServers, groupId, kafkaProperties, staleAfter, topicPrefix, pollTimeout, maxRetryBackoff);
    }

    public IndexerConfig withStaleAfter(Duration staleAfter) {
        return new IndexerConfig(bootstrapServers, groupId, kafkaProperties, staleAfter, topicPrefix, pollTimeout, maxRetryBackoff);
    }

    public IndexerConfig withTopicPrefix(String topicPrefix) {
        return new IndexerConfig(bootstrapServers, groupId, kafkaProperties, staleAfter, topicPrefix, pollTimeout, maxRetryBackoff);
    }

    public IndexerConfig withMaxRetryBackoff(Duration maxRetryBackoff) {
        return new IndexerConfig(bootstrapServers, groupId, kafkaProperties, staleAfter, topicPrefix, pollTimeout, maxRetryBackoff);
    }

    /** {@link Topics#HOST_LAYERS} with the prefix. */
    public String hostLayersTopic() {
        return topicPrefix + Topics.HOST_LAYERS;
    }

    /** {@link Topics#HOST_LAYERS_RESEND} with the prefix. */
    public String hostLayersResendTopic() {
        return topicPrefix + Topics.HOST_LAYERS_RESEND;
    }

    /** {@link Topics#IMAGE_CONFIGS} with the prefix. */
    public String imageConfigsTopic() {
        return topicPrefix + Topics.IMAGE_CONFIGS;
    }

    /** {@link Topics#HEARTBEATS} with the prefix. */
    public String heartbeatsTopic() {
        return topicPrefix + Topics.HEARTBEATS;
    }

    /** {@link Topics#LAYER_PACKAGES} with the prefix. */
    public String layerPackagesTopic() {
        return topicPrefix + Topics.LAYER_PACKAGES;
    }

    /** {@link Topics#DEAD_LETTER} with the prefix. */
    public String deadLetterTopic() {
        return topicPrefix + Topics.DEAD_LETTER;
    }

    /** The topics the indexer consumes. */
    public List<String> consumedTopics() {
        return List.of(imageConfigsTopic(), hostLayersTopic(), hostLayersResendTopic(), heartbeatsTopic(), layerPackagesTopic());
    }

    /** This config with secrets masked, for the start-up log: any property whose name mentions a password, secret or JAAS config. */
    @Override
    public String toString() {
        Map<String, String> masked = new java.util.TreeMap<>();
        kafkaProperties.forEach((k, v) -> masked.put(k,
                k.matches("(?i).*(password|secret|jaas|token|credential).*") ? "*****" : v));
        return "IndexerConfig[bootstrapServers=" + bootstrapServers + ", groupId=" + groupId + ", kafkaProperties=" + masked
                + ", staleAfter=" + staleAfter + ", topicPrefix='" + topicPrefix + "', pollTimeout=" + pollTimeout
                + ", maxRetryBackoff=" + maxRetryBackoff + "]";
    }
}
