package io.layeratlas.topics;

import io.layeratlas.events.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Creates the contract topics ({@link Topics}) if they are missing, with their configs, and waits until every
 * partition of each has a leader that serves it. Idempotent: an existing topic is left as it is (its partition count
 * and configs are not changed). The replication factor is the broker's {@code default.replication.factor}. Used by
 * every process that needs the topics before it starts (the indexer, {@code up}, {@code simulate}, the bench's fleet
 * simulator), so that each gets the same topics.
 *
 * <ul>
 *   <li>{@code image-configs}: compacted. Configs are content-addressed by image ID, so the latest record per key
 *       is all a rebuild needs.</li>
 *   <li>{@code heartbeats}: compacted; only a host's last heartbeat matters.</li>
 *   <li>{@code layer-packages}: compacted; content-addressed by diff ID, one record per layer for the fleet.</li>
 *   <li>{@code host-layers}: deleted by time, {@link #HOST_LAYERS_RETENTION} by default. Not compacted: a chunked
 *       snapshot is several records with the same key. A rebuild sees every host that published a full snapshot
 *       within the retention, so agents must republish their snapshot more often than that.</li>
 *   <li>{@code host-layers-resend}: the periodic full resends of unchanged states, kept like {@code host-layers}
 *       (a host that has not changed for a week is in the index after a rebuild through its resends).</li>
 *   <li>{@code dead-letter}: deleted by time, {@link #DEAD_LETTER_RETENTION}: long enough for an operator to look.</li>
 * </ul>
 *
 * <p>Why wait for leaders: a producer that publishes into a topic the moment it is created (or into an auto-created
 * one) can be refused with NOT_LEADER_OR_FOLLOWER while the topic is being set up, and an idempotent producer on a
 * busy broker can then be wedged for good (OUT_OF_ORDER_SEQUENCE_NUMBER until its records expire); and a topic just
 * created can be unknown to the broker answering for a moment ({@code UnknownTopicOrPartitionException} from
 * describing it ended a 10,000-host bench run). Ready means: the metadata names a leader for every partition, and
 * that leader answers for it (its end offset); this needs DESCRIBE on the topics, besides CREATE for missing ones.
 * What Kafka calls retriable ({@link RetriableException}) is retried until {@link #TIMEOUT}; anything else fails at
 * once. Thread-safe (no state); each call opens and closes its own admin client.
 */
public final class TopicSetup {
    private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

    /** Retention of host snapshots: a week, so a host that was switched off over a long weekend survives a rebuild. */
    public static final Duration HOST_LAYERS_RETENTION = Duration.ofDays(7);
    /** Retention of dead letters. */
    public static final Duration DEAD_LETTER_RETENTION = Duration.ofDays(30);
    /**
     * How long creating the topics and waiting for their leaders may take in all: a healthy broker takes well under a
     * second; a controller that is electing itself or a broker still starting, some seconds.
     */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long RETRY_BACKOFF_MS = 100;

    private TopicSetup() {
    }

    /**
     * Creates the six contract topics with their default names.
     *
     * @param kafkaProperties admin client properties passed through (security…)
     * @param partitions      partitions per topic created: the most indexers that can share the work
     * @throws IllegalArgumentException if {@code partitions} is less than 1
     * @throws IllegalStateException    if the broker cannot be reached or refuses (authorization, policy), or the
     *                                  topics have no leader within {@link #TIMEOUT}
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
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        try (Admin admin = Admin.create(props)) {
            create(admin, topics, deadline);
            awaitLeaders(admin, topics.stream().map(NewTopic::name).toList(), deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out creating topics on " + bootstrapServers, e);
        }
    }

    /** Creates those of {@code topics} that do not exist; a topic refused for a retriable reason is asked again. */
    private static void create(Admin admin, List<NewTopic> topics, long deadline)
            throws InterruptedException, TimeoutException {
        List<NewTopic> pending = topics;
        while (true) {
            CreateTopicsResult result = admin.createTopics(pending);
            List<NewTopic> retry = new ArrayList<>();
            RetriableException lastRetriable = null;
            for (NewTopic t : pending) {
                try {
                    result.values().get(t.name()).get(remainingNanos(deadline), TimeUnit.NANOSECONDS);
                    log.info("created topic {} ({} partitions, {})", t.name(), t.numPartitions(), t.configs());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof TopicExistsException) {
                        log.debug("topic {} exists", t.name());
                    } else if (e.getCause() instanceof RetriableException r) {
                        retry.add(t);
                        lastRetriable = r;
                    } else {
                        throw new IllegalStateException("cannot create topic " + t.name() + ": " + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
            if (retry.isEmpty()) {
                return;
            }
            pauseBeforeRetry(deadline, "cannot create topics " + retry.stream().map(NewTopic::name).toList(), lastRetriable);
            pending = retry;
        }
    }

    /**
     * Waits until every partition of {@code names} has a leader that serves it, asking again while the answer is
     * retriable. A leader in the metadata is not enough: the broker may still be creating its replica (18 partitions
     * took it 2 s on a loaded machine), and a produce meanwhile gets NOT_LEADER_OR_FOLLOWER. Listing each partition's
     * end offset (ListOffsets) is answered by the leader's replica itself.
     */
    private static void awaitLeaders(Admin admin, List<String> names, long deadline)
            throws InterruptedException, TimeoutException {
        while (true) {
            RetriableException retriable = null;
            try {
                Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames()
                        .get(remainingNanos(deadline), TimeUnit.NANOSECONDS);
                if (described.values().stream().allMatch(TopicSetup::led)) {
                    Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
                    described.values().forEach(t -> t.partitions().forEach(p ->
                            ends.put(new TopicPartition(t.name(), p.partition()), OffsetSpec.latest())));
                    admin.listOffsets(ends).all().get(remainingNanos(deadline), TimeUnit.NANOSECONDS);
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException r)) {
                    throw new IllegalStateException("cannot describe topics " + names + ": " + e.getCause().getMessage(), e.getCause());
                }
                retriable = r;
            }
            pauseBeforeRetry(deadline, "topics " + names + " have no leader", retriable);
        }
    }

    private static boolean led(TopicDescription topic) {
        return topic.partitions().stream().map(TopicPartitionInfo::leader).allMatch(l -> l != null && !l.isEmpty());
    }

    /** Sleeps before the next try, or fails with {@code what} (and the last retriable error) if the time is up. */
    private static void pauseBeforeRetry(long deadline, String what, RetriableException last) throws InterruptedException {
        if (remainingNanos(deadline) <= TimeUnit.MILLISECONDS.toNanos(RETRY_BACKOFF_MS)) {
            throw new IllegalStateException(what + " after " + TIMEOUT.toSeconds() + " s"
                    + (last == null ? "" : ": " + last.getMessage()), last);
        }
        Thread.sleep(RETRY_BACKOFF_MS);
    }

    private static long remainingNanos(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    private static NewTopic topic(String name, int partitions, Map<String, String> configs) {
        return new NewTopic(name, Optional.of(partitions), Optional.empty()).configs(configs);
    }
}
