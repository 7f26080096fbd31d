package io.layeratlas.ingest.agent;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Sends the agent's records to Kafka from one thread of its own, holding only the latest state per topic key
 * while Kafka is unreachable.
 *
 * <p>Work is taken in rounds: every pending record (image configs first, then the snapshot's chunks, then the
 * heartbeat) is sent asynchronously, then {@code flush()} waits until each is acknowledged or has failed after
 * the producer's own retries ({@code delivery.timeout.ms}); when a send fails at once with a retriable error
 * (no metadata within {@code max.block.ms}: Kafka is away), the rest of the round is not tried. A record that failed with a retriable error goes back
 * to the pending set, unless something newer for the same key arrived meanwhile: pending state is one map entry
 * per image ID, one snapshot (the newest generation) and one heartbeat, so an outage never grows a buffer.
 * Rounds after a failure wait 1 s, doubling to 30 s. A rejected record (too large, invalid) is logged and dropped;
 * a fatal error (authentication, authorization, unsupported version, or anything unexpected) stops publishing
 * and is reported to the agent, which stops.
 *
 * <p>A snapshot that is retried keeps its generation, so a chunk may reach Kafka more than once; the pair
 * (generation, chunk) identifies it. Offer methods are thread-safe; {@link #close} is called once.
 */
final class KafkaPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaPublisher.class);
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** Room for the record batch header (61 bytes), the record's own header and varints. */
    private static final int RECORD_OVERHEAD_BYTES = 256;

    /** What a record carries, for metrics and the log. */
    enum Kind { CONFIG, LAYER_PACKAGES, SNAPSHOT_CHUNK, HEARTBEAT }

    /**
     * One record to send. {@code generation} is the snapshot's for chunks and heartbeats, -1 for configs;
     * {@code headers} are sent as the record's headers (a chunk's {@link io.layeratlas.events.SnapshotEnvelope}).
     */
    record Outgoing(Kind kind, String topic, String key, byte[] value, long generation, Map<String, byte[]> headers) {
        Outgoing(Kind kind, String topic, String key, byte[] value, long generation) {
            this(kind, topic, key, value, generation, Map.of());
        }
    }

    private final Producer<String, byte[]> producer;
    private final AgentMetrics metrics;
    private final Consumer<Throwable> onFatal;
    private final Consumer<Outgoing> onDelivered;
    private final Thread thread;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // Guarded by lock: the latest state not yet acknowledged, one entry per topic key. Content-addressed records
    // (image configs, layer packages) share one map keyed by topic and key.
    private final Map<String, Outgoing> pendingConfigs = new LinkedHashMap<>();
    private List<Outgoing> pendingSnapshot = List.of();
    private Outgoing pendingHeartbeat;
    private boolean closing;
    private long backoffUntilNanos;
    private Duration backoff = FIRST_BACKOFF;

    // Owned by the publishing thread.
    private boolean reachable = true;
    private Instant unreachableSince;

    private volatile long deliveredGeneration = -1;
    private volatile Throwable fatal;

    /**
     * @param onDelivered told each record Kafka acknowledged, on the publishing thread (must be quick)
     */
    KafkaPublisher(AgentConfig config, String hostId, AgentMetrics metrics, Consumer<Throwable> onFatal,
                   Consumer<Outgoing> onDelivered) {
        this(new KafkaProducer<>(producerConfig(config, hostId), new StringSerializer(), new ByteArraySerializer()),
                metrics, onFatal, onDelivered);
    }

    KafkaPublisher(Producer<String, byte[]> producer, AgentMetrics metrics, Consumer<Throwable> onFatal,
                   Consumer<Outgoing> onDelivered) {
        this.producer = producer;
        this.metrics = metrics;
        this.onFatal = onFatal;
        this.onDelivered = onDelivered;
        this.thread = new Thread(this::run, "layeratlas-agent-publish");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * The producer's configuration: the agent's defaults, then {@code kafkaProperties} on top, then the
     * serializers (which the agent needs as they are).
     */
    static Map<String, Object> producerConfig(AgentConfig config, String hostId) {
        Map<String, Object> p = ProducerSettings.agent(config.bootstrapServers(), "layeratlas-agent-" + hostId);
        p.putAll(config.kafkaProperties());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /**
     * The largest value, in bytes, that a record keyed by {@code key} may carry: the smaller of the configured
     * {@link AgentConfig#maxMessageBytes()} and the producer's {@code max.request.size}, less the key, the record and
     * batch overhead, and a snapshot chunk's headers ({@link io.layeratlas.events.SnapshotEnvelope#MAX_HEADER_BYTES}).
     *
     * @throws IllegalArgumentException if {@code max.request.size} is not a number
     */
    static int maxValueBytes(AgentConfig config, String key) {
        int request = 1_048_576; // the producer's default max.request.size
        String configured = config.kafkaProperties().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if (configured != null) {
            try {
                request = Integer.parseInt(configured.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Kafka property max.request.size is not a number of bytes: '" + configured + "'");
            }
        }
        int limit = Math.min(config.maxMessageBytes(), request);
        return limit - key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length - RECORD_OVERHEAD_BYTES
                - io.layeratlas.events.SnapshotEnvelope.MAX_HEADER_BYTES;
    }

    /** Replaces the pending snapshot with a newer generation's chunks (all of one generation, in order). */
    void offerSnapshot(List<Outgoing> chunks) {
        lock.lock();
        try {
            if (!pendingSnapshot.isEmpty()) {
                log.info("snapshot generation {} not yet delivered is replaced by generation {}",
                        pendingSnapshot.get(0).generation(), chunks.get(0).generation());
            }
            pendingSnapshot = List.copyOf(chunks);
            updatePending();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds content-addressed records (image configs, layer packages), replacing any pending one for the same topic
     * and key.
     */
    void offerConfigs(List<Outgoing> configs) {
        if (configs.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            for (Outgoing c : configs) {
                pendingConfigs.put(keyed(c), c);
            }
            updatePending();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Replaces the pending heartbeat. */
    void offerHeartbeat(Outgoing heartbeat) {
        lock.lock();
        try {
            pendingHeartbeat = heartbeat;
            updatePending();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The newest generation whose every chunk Kafka acknowledged, or -1. */
    long deliveredGeneration() {
        return deliveredGeneration;
    }

    /** True while nothing is waiting to be sent or in flight. */
    boolean idle() {
        lock.lock();
        try {
            return pendingConfigs.isEmpty() && pendingSnapshot.isEmpty() && pendingHeartbeat == null && !inRound;
        } finally {
            lock.unlock();
        }
    }

    private boolean inRound; // guarded by lock

    private void run() {
        try {
            List<Outgoing> round;
            while ((round = takeRound()) != null) {
                sendRound(round);
                if (fatal != null) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            fail(e);
        } finally {
            lock.lock();
            try {
                inRound = false;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Waits for pending work (and past any backoff) and takes all of it; null when closing and nothing is left. */
    private List<Outgoing> takeRound() throws InterruptedException {
        lock.lock();
        try {
            inRound = false;
            while (true) {
                boolean empty = pendingConfigs.isEmpty() && pendingSnapshot.isEmpty() && pendingHeartbeat == null;
                if (empty && closing) {
                    return null;
                }
                long wait = backoffUntilNanos - System.nanoTime();
                if (!empty && (wait <= 0 || closing)) {
                    break;
                }
                if (empty) {
                    changed.await();
                } else {
                    changed.awaitNanos(wait);
                }
            }
            List<Outgoing> round = new ArrayList<>(pendingConfigs.values());
            round.addAll(pendingSnapshot);
            if (pendingHeartbeat != null) {
                round.add(pendingHeartbeat);
            }
            pendingConfigs.clear();
            pendingSnapshot = List.of();
            pendingHeartbeat = null;
            inRound = true;
            return round;
        } finally {
            lock.unlock();
        }
    }

    private void sendRound(List<Outgoing> round) {
        List<Future<RecordMetadata>> futures = new ArrayList<>(round.size());
        Throwable aborted = null;
        for (Outgoing o : round) {
            if (aborted != null) {
                // Each send() would block max.block.ms on missing metadata: one is enough to know Kafka is away.
                futures.add(java.util.concurrent.CompletableFuture.failedFuture(aborted));
                continue;
            }
            Future<RecordMetadata> f = send(o);
            futures.add(f);
            if (f.isDone()) {
                Throwable error = outcome(f);
                if (error != null && classify(error) == Severity.RETRIABLE) {
                    aborted = error;
                }
            }
        }
        producer.flush();

        List<Outgoing> retry = new ArrayList<>();
        Throwable firstRetriable = null;
        Map<Long, Boolean> snapshotComplete = new HashMap<>();
        for (int i = 0; i < round.size(); i++) {
            Outgoing o = round.get(i);
            Throwable error = outcome(futures.get(i));
            if (o.kind() == Kind.SNAPSHOT_CHUNK) {
                snapshotComplete.merge(o.generation(), error == null, Boolean::logicalAnd);
            }
            if (error == null) {
                delivered(o);
                continue;
            }
            switch (classify(error)) {
                case RETRIABLE -> {
                    retry.add(o);
                    if (firstRetriable == null) {
                        firstRetriable = error;
                    }
                }
                case REJECTED -> log.error("Kafka rejected {} {} (key {}, {} bytes), dropped: {}",
                        o.kind(), o.generation() >= 0 ? "of generation " + o.generation() : "", o.key(), o.value().length, error.toString());
                case FATAL -> {
                    fail(error);
                    return;
                }
            }
        }
        snapshotComplete.forEach((generation, complete) -> {
            if (complete) {
                deliveredGeneration = Math.max(deliveredGeneration, generation);
                metrics.generation.set(deliveredGeneration);
                metrics.snapshotsPublished.increment();
                log.info("published snapshot generation {}", generation);
            }
        });
        requeue(retry, firstRetriable);
    }

    private Future<RecordMetadata> send(Outgoing o) {
        try {
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(o.topic(), o.key(), o.value());
            o.headers().forEach((name, value) -> record.headers().add(name, value));
            return producer.send(record, (metadata, error) -> {
                if (error != null) {
                    switch (classify(error)) {
                        case RETRIABLE -> metrics.retriableErrors.increment();
                        case REJECTED -> metrics.rejectedRecords.increment();
                        case FATAL -> metrics.fatalErrors.increment();
                    }
                }
            });
        } catch (RuntimeException e) {
            // send() throws rather than calling back for a closed producer, an interrupt or a bad config.
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    private static Throwable outcome(Future<RecordMetadata> f) {
        if (!f.isDone()) {
            // flush() returned early: the producer was closed under it.
            return new org.apache.kafka.common.errors.TimeoutException("not acknowledged before the producer closed");
        }
        try {
            f.get(0, TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        } catch (java.util.concurrent.TimeoutException e) {
            return e;
        }
    }

    private enum Severity { RETRIABLE, REJECTED, FATAL }

    /**
     * Retriable: Kafka said so ({@link RetriableException}: timeouts, no leader, not enough replicas, broker gone).
     * Rejected: this record will never be accepted (too large, invalid); other records still can.
     * Fatal: the agent cannot publish at all until an operator acts (credentials, ACLs, protocol version) or
     * something unexpected happened.
     */
    private static Severity classify(Throwable e) {
        if (e instanceof RetriableException) {
            return Severity.RETRIABLE;
        }
        if (e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException || e instanceof InvalidRecordException) {
            return Severity.REJECTED;
        }
        if (e instanceof AuthenticationException || e instanceof AuthorizationException || e instanceof UnsupportedVersionException) {
            return Severity.FATAL;
        }
        if (e instanceof org.apache.kafka.common.KafkaException && e.getMessage() != null
                && e.getMessage().contains("closed")) {
            // Sends aborted by close(): retriable in principle; at close the rest is dropped with a log line.
            return Severity.RETRIABLE;
        }
        return Severity.FATAL;
    }

    private static String keyed(Outgoing o) {
        return o.topic() + " " + o.key();
    }

    private void delivered(Outgoing o) {
        metrics.lastPublishEpochSeconds.set(Instant.now().getEpochSecond());
        try {
            onDelivered.accept(o);
        } catch (RuntimeException e) {
            log.warn("after delivering {} {}: {}", o.kind(), o.key(), e.toString(), e);
        }
        switch (o.kind()) {
            case CONFIG -> metrics.configsPublished.increment();
            case LAYER_PACKAGES -> metrics.layerPackagesPublished.increment();
            case HEARTBEAT -> metrics.heartbeatsPublished.increment();
            case SNAPSHOT_CHUNK -> {
            }
        }
    }

    private void requeue(List<Outgoing> retry, Throwable why) {
        lock.lock();
        try {
            if (retry.isEmpty()) {
                backoff = FIRST_BACKOFF;
                backoffUntilNanos = 0;
                if (!reachable) {
                    log.info("Kafka reachable again after {} s; the latest state was delivered",
                            Duration.between(unreachableSince, Instant.now()).toSeconds());
                    reachable = true;
                    metrics.kafkaReachable.set(1);
                }
                updatePending();
                return;
            }
            if (closing) {
                log.warn("closing with {} records not delivered (Kafka unreachable: {})", retry.size(), why.toString());
                return;
            }
            List<Outgoing> failedChunks = new ArrayList<>();
            for (Outgoing o : retry) {
                switch (o.kind()) {
                    case CONFIG, LAYER_PACKAGES -> pendingConfigs.putIfAbsent(keyed(o), o);
                    case HEARTBEAT -> {
                        if (pendingHeartbeat == null) {
                            pendingHeartbeat = o;
                        }
                    }
                    case SNAPSHOT_CHUNK -> failedChunks.add(o);
                }
            }
            if (!failedChunks.isEmpty() && pendingSnapshot.isEmpty()) {
                // Only the chunks that failed: the acknowledged ones of this generation are in Kafka already.
                pendingSnapshot = failedChunks;
            }
            updatePending();
            if (reachable) {
                reachable = false;
                unreachableSince = Instant.now();
                metrics.kafkaReachable.set(0);
                log.warn("Kafka unreachable ({}); holding only the latest state until it is back: {} image configs, "
                                + "snapshot generation {}, the newest heartbeat", why.toString(), pendingConfigs.size(),
                        pendingSnapshot.isEmpty() ? "-" : pendingSnapshot.get(0).generation());
            } else {
                log.debug("Kafka still unreachable ({}); {} records held", why.toString(), metrics.pendingRecords.get());
            }
            backoffUntilNanos = System.nanoTime() + backoff.toNanos();
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        } finally {
            lock.unlock();
        }
    }

    private void updatePending() {
        metrics.pendingRecords.set(pendingConfigs.size() + pendingSnapshot.size() + (pendingHeartbeat == null ? 0 : 1));
    }

    private void fail(Throwable e) {
        if (fatal == null) {
            fatal = e;
            log.error("Kafka refused the agent for good, publishing stops: {}", e.toString(), e);
            onFatal.accept(e);
        }
    }

    /**
     * Sends what is pending in one last round and closes the producer, all within {@code timeout}: what Kafka has
     * not acknowledged by then is dropped with a log line. Call once.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    void close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            closing = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            // Most of the bound for the last round; what is left lets close() abort a round stuck on a dead broker.
            thread.join(Math.max(1, timeout.toMillis() * 3 / 4));
            producer.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            thread.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            producer.close(Duration.ZERO);
        }
    }
}
