package io.layeratlas.indexer;

import io.layeratlas.db.Database;
import io.layeratlas.db.index.BatchOutcome;
import io.layeratlas.db.index.FatalDatabaseException;
import io.layeratlas.db.index.HostLiveness;
import io.layeratlas.db.index.IndexBatch;
import io.layeratlas.db.index.IndexTransaction;
import io.layeratlas.db.index.RejectedEventException;
import io.layeratlas.db.index.IndexWriter;
import io.layeratlas.db.index.StoredOffset;
import io.layeratlas.db.index.TransientDatabaseException;
import io.layeratlas.events.Digest;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.SnapshotEnvelope;
import io.layeratlas.events.UndecodableEventException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumes the contract topics into the PostgreSQL index: one consumer thread polls and decodes, one applying thread
 * runs one database transaction per polled batch that applies the batch's effects <em>and</em> stores the next
 * offsets ({@code consumer_offsets}); batches are applied one at a time in poll order, and the next batch gathers and
 * decodes what arrives while the one before it is applied (the two cost about the same: CPU in this process, then in
 * PostgreSQL), up to bounds of records, bytes and time: the byte bound adapts so that a batch takes about 400 ms in
 * the database, so a change published during a flood of others waits about two batches, not the flood. After each
 * batch, a best-effort {@code commitAsync} to Kafka for the usual lag tools (KafkaConsumer Javadoc, "Storing Offsets
 * Outside Kafka"). On partition assignment it seeks to the offsets stored in the database, or to the beginning
 * when there are none, so an empty or restored database resumes exactly where its data ends.
 *
 * <p>A batch is applied set-based ({@link IndexTransaction#apply(IndexBatch)}): a fixed number of statements however
 * many records it holds, and only what changed is written. Full resends arrive on their own topic
 * ({@link IndexerConfig#hostLayersResendTopic()}); their chunks are not decoded when their headers
 * ({@link SnapshotEnvelope}) claim the holdings the index already has, and the resend partitions are paused while
 * any change waits, so that a fleet's periodic resends never hold a change back for more than one batch.
 *
 * <p>Delivery is at least once with idempotent effects: a redelivered record is skipped by offset, and applying an
 * event twice changes nothing anyway.
 *
 * <p>Failures: a poison record (undecodable, unknown schema version, failing validation) goes to the dead-letter
 * topic with headers {@code reason}, {@code topic}, {@code partition}, {@code offset}, and the partition moves on; a
 * batch the database refuses (SQLSTATE 22, 23) is applied in halves down to the one record it refuses, which is
 * dead-lettered the same way while every other record is applied. A transient database failure (restart, lost
 * connection, deadlock, serialization failure, admin shutdown) or a dead-letter send failure rolls the batch back,
 * pauses consumption and retries the batch with backoff (100 ms doubling up to {@link IndexerConfig#maxRetryBackoff()}),
 * forever, each retry counted in {@code layeratlas.indexer.retries}. An error no retry can fix — a fatal Kafka error
 * (authentication, authorization, unsupported version) or a {@link FatalDatabaseException} (permission denied,
 * undefined table, syntax) — stops the consumer thread with an ERROR log; {@link #failure()} then says why and the
 * {@code indexer} command exits non-zero.
 *
 * <p>Several indexers with the same {@link IndexerConfig#groupId()} share the partitions. Thread-safe: every
 * public method may be called from any thread; the Kafka consumer itself is used only by the indexer's thread.
 */
public final class Indexer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Indexer.class);

    /** Dead-letter header names. */
    public static final String HEADER_REASON = "reason";
    public static final String HEADER_TOPIC = "topic";
    public static final String HEADER_PARTITION = "partition";
    public static final String HEADER_OFFSET = "offset";

    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    /**
     * Bounds of one batch transaction: raw value bytes, records, and how long to gather already-fetched polls. Two
     * batches live at once (one applied, the next gathered and decoded) and a decoded snapshot takes several times its
     * JSON on the heap: at 32 MiB the bench's indexer died of OutOfMemoryError at -Xmx512m during churn (JFR: 480 MB
     * live).
     */
    private static final long MAX_BATCH_BYTES = 16L * 1024 * 1024;
    private static final long MIN_BATCH_BYTES = 1L * 1024 * 1024;
    /**
     * Batches are bounded in time too: the byte bound adapts so that a batch takes about this long in the database. A
     * change gathered while a batch is applied goes in the next one, so it waits at most about twice this behind a
     * backlog that the indexer keeps up with (issue 10: a change visible within 1 s during a churn round).
     */
    private static final long TARGET_BATCH_NANOS = Duration.ofMillis(400).toNanos();
    /** Default records per batch; {@code max.poll.records} in the Kafka properties sets it. */
    private static final int DEFAULT_BATCH_RECORDS = 2_000;
    /**
     * Records per poll: few, so that a batch stops within a few records of its byte bound (snapshot chunks are up to
     * the agents' 1 MiB; a poll of 2,000 took 44 MB into one batch).
     */
    private static final int POLL_RECORDS = 8;
    private static final Duration MAX_BATCH_WAIT = Duration.ofMillis(100);
    /** How long a poll waits while a batch is being applied, before asking whether it is done. */
    private static final Duration POLL_WHILE_APPLYING = Duration.ofMillis(5);

    private final IndexerConfig config;
    private final IndexWriter writer;
    private final HostLiveness liveness;
    private final EventValidator validator;
    private final MeterRegistry registry;
    private final Timer batchTimer;
    private final Counter retries;
    private final DistributionSummary statementsPerBatch;
    private final DistributionSummary batchBytes;
    private final int batchRecords;
    private final AtomicLong lag = new AtomicLong(-1);

    private volatile boolean closing;
    private volatile boolean running;
    private volatile Throwable failure;
    private KafkaConsumer<byte[], byte[]> consumer;
    private Thread thread;
    private Admin admin;

    /** An indexer reporting metrics to Micrometer's global registry. Call {@link #start()} to begin. */
    public Indexer(IndexerConfig config, Database database) {
        this(config, database, Metrics.globalRegistry);
    }

    /**
     * An indexer reporting to {@code registry}: {@code layeratlas.indexer.records} (counter; tags topic, outcome =
     * applied | dead-lettered | duplicate), {@code layeratlas.indexer.batch} (timer), {@code layeratlas.indexer.retries}
     * (batches rolled back for a retry), {@code layeratlas.indexer.lag} (gauge: records behind on the assigned
     * partitions at the last poll), {@code layeratlas.indexer.batch.bytes} (summary: record value bytes per applied
     * batch).
     */
    public Indexer(IndexerConfig config, Database database, MeterRegistry registry) {
        this.config = Objects.requireNonNull(config, "config");
        this.writer = new IndexWriter(Objects.requireNonNull(database, "database"));
        this.liveness = new HostLiveness(database);
        this.validator = new EventValidator(config);
        this.batchRecords = batchRecordsOf(config);
        this.registry = Objects.requireNonNull(registry, "registry");
        this.batchTimer = Timer.builder("layeratlas.indexer.batch").tag("group", config.groupId())
                .description("time to apply one polled batch, transaction and dead letters included").register(registry);
        this.retries = Counter.builder("layeratlas.indexer.retries").tag("group", config.groupId())
                .description("batches rolled back to be retried").register(registry);
        this.statementsPerBatch = DistributionSummary.builder("layeratlas.indexer.statements").tag("group", config.groupId())
                .description("SQL statements per batch transaction: fixed, whatever the number of records in it")
                .register(registry);
        this.batchBytes = DistributionSummary.builder("layeratlas.indexer.batch.bytes").tag("group", config.groupId())
                .baseUnit("bytes").description("record value bytes of one applied batch: bounded by size and by time")
                .register(registry);
        Gauge.builder("layeratlas.indexer.lag", lag, AtomicLong::get).tag("group", config.groupId())
                .description("records behind on the assigned partitions at the last poll; -1 when unknown")
                .register(registry);
    }

    /**
     * Empties the index (every fact, counter and stored offset; see {@link IndexWriter#dropIndex()}) and returns an
     * indexer that, once {@link #start() started}, consumes every topic from the beginning: {@code layeratlas indexer
     * --rebuild}. Stop every other indexer of the database first.
     */
    public static Indexer rebuild(IndexerConfig config, Database database) {
        log.warn("dropping the index for a rebuild from the topics' beginning");
        new IndexWriter(database).dropIndex();
        return new Indexer(config, database);
    }

    /**
     * Starts the consumer thread.
     *
     * @throws IllegalStateException if already started or closed
     */
    public synchronized void start() {
        if (thread != null || closing) {
            throw new IllegalStateException("an indexer starts once");
        }
        log.info("starting indexer: {}", config);
        consumer = new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        running = true;
        thread = new Thread(this::run, "layeratlas-indexer-" + config.groupId());
        thread.start();
    }

    /**
     * True when everything currently in the consumed topics has been applied to the database by this indexer's
     * group: for every partition the offset stored in PostgreSQL has reached the end offset. Asks the broker and the
     * database (a few milliseconds); false when either cannot be asked or the indexer is not running.
     */
    public boolean caughtUp() {
        if (!running) {
            return false;
        }
        try {
            return groupLag() == 0;
        } catch (RuntimeException e) {
            log.debug("cannot tell whether the indexer has caught up: {}", e.toString());
            return false;
        }
    }

    /** Records behind on this indexer's assigned partitions at its last poll; -1 when unknown. */
    public long lag() {
        return lag.get();
    }

    /** True while the consumer thread runs. */
    public boolean isRunning() {
        return running;
    }

    /** Why the consumer thread stopped on its own (a fatal Kafka error), if it did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /** Host IDs without heartbeat or snapshot for {@link IndexerConfig#staleAfter()}, sorted. */
    public List<String> staleHosts() {
        return liveness.staleHostIds(config.staleAfter(), Instant.now());
    }

    /** Retires a host (see {@link IndexWriter#retireHost}); false if the index has no such host. */
    public boolean retireHost(String hostId) {
        return writer.retireHost(hostId);
    }

    /** Stops the consumer thread (flag plus {@code wakeup()}), waits for it, and closes the Kafka clients. Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closing = true;
            t = thread;
            if (consumer != null) {
                consumer.wakeup();
            }
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
                admin = null;
            }
        }
    }

    private Map<String, Object> consumerProperties() {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        // Where to start is decided on assignment from the offsets stored in PostgreSQL; this is only the fallback.
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // A host's snapshot is a few chunks of up to the agents' 1 MiB message limit: fetch several hosts per partition
        // at once (Kafka's default of 1 MiB per partition would make every batch a host or two).
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 16 * 1024 * 1024);
        p.putAll(config.kafkaProperties());
        // A batch gathers many polls (max.poll.records given here bounds the batch's records instead): see POLL_RECORDS.
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(POLL_RECORDS, batchRecordsOf(config)));
        // Offsets are stored with the effects, in PostgreSQL; Kafka's copy is written after each commit, never before.
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return p;
    }

    /** Records per batch: {@code max.poll.records} of the Kafka properties, or {@link #DEFAULT_BATCH_RECORDS}. */
    private static int batchRecordsOf(IndexerConfig config) {
        String given = config.kafkaProperties().get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG);
        return given == null ? DEFAULT_BATCH_RECORDS : Integer.parseInt(given.trim());
    }

    private Map<String, Object> producerProperties() {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        // A dead letter must not be lost or duplicated by a producer retry.
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // Dead letters are sent before the batch commits; a broker that cannot take them should fail the batch
        // (to be retried) within a minute rather than hold the transaction open for the default two.
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        p.putAll(config.kafkaProperties());
        p.keySet().removeIf(k -> k.startsWith("group.") || k.startsWith("auto.offset") || k.startsWith("max.poll")
                || k.startsWith("session.") || k.startsWith("heartbeat.") || k.equals("isolation.level"));
        return p;
    }

    private void run() {
        KafkaProducer<byte[], byte[]> producer = null;
        ExecutorService applying = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "layeratlas-indexer-apply-" + config.groupId());
            t.setDaemon(true);
            return t;
        });
        try {
            producer = new KafkaProducer<>(producerProperties(), new ByteArraySerializer(), new ByteArraySerializer());
            new Loop(consumer, producer, applying).run();
        } catch (WakeupException e) {
            if (!closing) {
                failure = e;
                log.error("indexer woken up unexpectedly", e);
            }
        } catch (InterruptException e) {
            log.info("indexer interrupted");
        } catch (RuntimeException | Error e) {
            failure = e;
            log.error("indexer stopped: {}", e.toString(), e);
        } finally {
            applying.shutdown();
            running = false;
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.debug("closing the consumer: {}", e.toString());
            }
            if (producer != null) {
                producer.close(Duration.ofSeconds(5));
            }
            log.info("indexer stopped");
        }
    }

    /** The consumer thread's state: which partitions still need their stored offset, and the retry backoff. */
    private final class Loop implements ConsumerRebalanceListener {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final KafkaProducer<byte[], byte[]> producer;
        private final Set<TopicPartition> unpositioned = new HashSet<>();
        private final ExecutorService applying;
        private boolean pausedForRetry;
        private long retryAtNanos;
        private Duration backoff = MIN_BACKOFF;
        /** The batch the applying thread works on, if any: at most one, so batches commit in poll order. */
        private InFlight inFlight;
        /** The byte bound of the batch gathering now ({@link #adaptBudget}). */
        private long budgetBytes = MAX_BATCH_BYTES;

        Loop(KafkaConsumer<byte[], byte[]> consumer, KafkaProducer<byte[], byte[]> producer, ExecutorService applying) {
            this.consumer = consumer;
            this.producer = producer;
            this.applying = applying;
        }

        void run() {
            consumer.subscribe(config.consumedTopics(), this);
            Gathering gathering = new Gathering();
            try {
                while (!closing) {
                    // While a batch is being applied, the next one gathers (and decodes) what arrives, up to its
                    // bounds: a change that comes meanwhile goes in the very next transaction.
                    ConsumerRecords<byte[], byte[]> records = ConsumerRecords.empty();
                    if (!gathering.full()) {
                        records = consumer.poll(inFlight != null ? POLL_WHILE_APPLYING
                                : gathering.isEmpty() ? config.pollTimeout() : Duration.ZERO);
                    }
                    boolean due = System.nanoTime() - retryAtNanos >= 0;
                    if (!unpositioned.isEmpty() && due) {
                        position();
                    }
                    if (pausedForRetry && due && inFlight == null) {
                        Set<TopicPartition> resumable = new HashSet<>(consumer.assignment());
                        resumable.removeAll(unpositioned);
                        consumer.resume(resumable);
                        pausedForRetry = false;
                    }
                    gathering.add(records);
                    boolean send = gathering.full() || records.isEmpty()
                            || System.nanoTime() - gathering.startNanos() >= MAX_BATCH_WAIT.toNanos();
                    if (inFlight != null) {
                        if (!inFlight.result().isDone() && !gathering.full()) {
                            afterPoll(records);
                            continue;
                        }
                        InFlight done = inFlight;
                        inFlight = null;
                        if (!finish(done) && !gathering.isEmpty()) {
                            rewind(gathering.records(), Set.copyOf(done.batch().records().keySet()));
                            gathering = new Gathering();
                        }
                        send = true;
                    }
                    if (send && !gathering.isEmpty()) {
                        inFlight = submit(gathering.decoded());
                        gathering = new Gathering();
                    }
                    afterPoll(records);
                }
            } finally {
                if (inFlight != null) {
                    // The batch's transaction commits or rolls back on its own; wait so the pool is not closed under it.
                    try {
                        inFlight.result().get(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        log.debug("last batch on shutdown: {}", e.toString());
                    }
                }
            }
        }

        private void afterPoll(ConsumerRecords<byte[], byte[]> records) {
            updateLag();
            if (!pausedForRetry) {
                prioritiseChanges(records.partitions());
            }
        }

        /**
         * The next batch as it gathers: polled records by partition in offset order, each decoded as it arrives (the
         * CPU-heavy part outside the database, overlapping the batch being applied), until {@link #full()}.
         */
        private final class Gathering {
            private final Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> records = new HashMap<>();
            private final Map<TopicPartition, List<Entry>> entries = new HashMap<>();
            private long bytes;
            private int count;
            private long startNanos;

            void add(ConsumerRecords<byte[], byte[]> polled) {
                if (polled.isEmpty()) {
                    return;
                }
                if (count == 0) {
                    startNanos = System.nanoTime();
                }
                for (TopicPartition tp : polled.partitions()) {
                    List<ConsumerRecord<byte[], byte[]>> list = polled.records(tp);
                    long size = 0;
                    for (ConsumerRecord<byte[], byte[]> r : list) {
                        size += Math.max(0, r.serializedValueSize());
                    }
                    // Records are independent: large ones decode on every core.
                    List<Entry> decoded = (size > 256 * 1024 ? list.parallelStream() : list.stream())
                            .map(r -> prepare(r, false)).toList();
                    records.computeIfAbsent(tp, t -> new ArrayList<>()).addAll(list);
                    entries.computeIfAbsent(tp, t -> new ArrayList<>()).addAll(decoded);
                    bytes += size;
                    count += list.size();
                }
            }

            boolean isEmpty() {
                return count == 0;
            }

            boolean full() {
                return bytes >= budgetBytes || count >= batchRecords;
            }

            long startNanos() {
                return startNanos;
            }

            Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> records() {
                return records;
            }

            Decoded decoded() {
                List<TopicPartition> partitions = new ArrayList<>(entries.keySet());
                // A fixed order, so that two consumers claiming the same partitions (one a zombie) cannot deadlock.
                partitions.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
                List<Entry> ordered = new ArrayList<>(count);
                for (TopicPartition tp : partitions) {
                    ordered.addAll(entries.get(tp));
                }
                return new Decoded(records, ordered, startNanos, bytes);
            }
        }

        /**
         * Bounds batches in time: after each applied batch, the byte bound becomes what the database applied in
         * {@link #TARGET_BATCH_NANOS} at that batch's rate, growing at most twofold a batch and only from a batch that
         * filled at least half of it (a small batch says little of the rate), within
         * [{@link #MIN_BATCH_BYTES}, {@link #MAX_BATCH_BYTES}].
         */
        private void adaptBudget(long bytes, long applyNanos) {
            if (bytes <= 0 || applyNanos <= 0) {
                return;
            }
            long atRate = (long) (bytes * ((double) TARGET_BATCH_NANOS / applyNanos));
            if (applyNanos > TARGET_BATCH_NANOS) {
                budgetBytes = Math.max(MIN_BATCH_BYTES, Math.min(budgetBytes, atRate));
            } else if (bytes >= budgetBytes / 2) {
                budgetBytes = Math.min(MAX_BATCH_BYTES, Math.max(budgetBytes, Math.min(2 * budgetBytes, atRate)));
            }
        }

        /** Hands a decoded batch to the applying thread. */
        private InFlight submit(Decoded batch) {
            return new InFlight(batch, applying.submit(() -> {
                long start = System.nanoTime();
                Map<TopicPartition, Long> next = new HashMap<>();
                applySlice(batch.entries(), next);
                long applyNanos = System.nanoTime() - start;
                if (log.isDebugEnabled()) {
                    Map<String, Integer> byTopic = new java.util.TreeMap<>();
                    batch.records().forEach((tp, list) -> byTopic.merge(tp.topic(), list.size(), Integer::sum));
                    log.debug("batch applied: {} bytes, {}, {} ms after its first poll, {} ms in the database",
                            batch.bytes(), byTopic, (start - batch.startNanos()) / 1_000_000, applyNanos / 1_000_000);
                }
                return new Applied(next, applyNanos);
            }));
        }

        /**
         * Waits for a batch's transaction. Applied: its offsets go to Kafka too (for lag tools). A transient failure:
         * everything already polled is rewound to the batch's first offsets, consumption pauses, and the batch is
         * retried after the backoff; never skipped. What no retry can fix is rethrown and ends the loop.
         *
         * @return whether the batch was applied
         */
        private boolean finish(InFlight batch) {
            try {
                Map<TopicPartition, Long> nextOffsets;
                try {
                    Applied applied = batch.result().get();
                    nextOffsets = applied.nextOffsets();
                    adaptBudget(batch.batch().bytes(), applied.applyNanos());
                    batchBytes.record(batch.batch().bytes());
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptException(e);
                }
                commitToKafka(nextOffsets);
                backoff = MIN_BACKOFF;
                return true;
            } catch (WakeupException | InterruptException | FatalDatabaseException e) {
                throw e;
            } catch (RuntimeException e) {
                // Transient database trouble, or a dead letter that could not be sent: rolled back (done); rewind,
                // pause, retry later. Never skip. What a retry cannot fix ended the loop above.
                retries.increment();
                log.warn("batch of {} records not indexed, retrying in {} ms: {}", batch.batch().entries().size(),
                        backoff.toMillis(), e.getMessage());
                rewind(batch.batch().records(), Set.of());
                consumer.pause(consumer.assignment());
                pausedForRetry = true;
                scheduleRetry();
                return false;
            } finally {
                batchTimer.record(System.nanoTime() - batch.batch().startNanos(), TimeUnit.NANOSECONDS);
            }
        }

        /** Seeks each assigned partition of these records, except {@code skip}, back to its first record's offset. */
        private void rewind(Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> records, Set<TopicPartition> skip) {
            Set<TopicPartition> assigned = consumer.assignment();
            records.forEach((tp, list) -> {
                if (assigned.contains(tp) && !skip.contains(tp)) {
                    consumer.seek(tp, list.get(0).offset());
                }
            });
        }

        /**
         * Changes before resends: while any record of the change topics came in the last poll or is still waiting
         * (lag known from the last fetch), the resend topic's partitions stay paused, so that a fleet's periodic full
         * resends never hold a change back for more than one batch.
         */
        private void prioritiseChanges(Set<TopicPartition> polled) {
            String resend = config.hostLayersResendTopic();
            boolean changesWaiting = false;
            for (TopicPartition tp : polled) {
                changesWaiting |= !tp.topic().equals(resend);
            }
            Set<TopicPartition> resendPartitions = new HashSet<>();
            for (TopicPartition tp : consumer.assignment()) {
                if (tp.topic().equals(resend)) {
                    resendPartitions.add(tp);
                } else if (!unpositioned.contains(tp)) {
                    var l = consumer.currentLag(tp);
                    changesWaiting |= l.isPresent() && l.getAsLong() > 0;
                }
            }
            resendPartitions.removeAll(unpositioned);
            if (changesWaiting) {
                consumer.pause(resendPartitions);
            } else {
                consumer.resume(resendPartitions);
            }
        }

        // New partitions stay paused until they are positioned at the offsets stored in the database, which the
        // loop does right after poll returns: no database call inside the callback, so an unreachable database
        // cannot hold up the rebalance.
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            consumer.pause(partitions);
            unpositioned.addAll(partitions);
            retryAtNanos = System.nanoTime();
            log.info("assigned {}", partitions);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // Nothing to commit: every applied batch stored its offsets in the same transaction.
            unpositioned.removeAll(partitions);
            if (!partitions.isEmpty()) {
                log.info("revoked {}", partitions);
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            unpositioned.removeAll(partitions);
            log.info("lost {}", partitions);
        }

        private void position() {
            try {
                Map<TopicPartition, Long> stored = new HashMap<>();
                for (StoredOffset o : writer.storedOffsets(config.groupId())) {
                    stored.put(new TopicPartition(o.topic(), o.partition()), o.nextOffset());
                }
                Set<TopicPartition> assigned = consumer.assignment();
                List<TopicPartition> fromStart = new ArrayList<>();
                for (TopicPartition tp : unpositioned) {
                    if (!assigned.contains(tp)) {
                        continue;
                    }
                    Long next = stored.get(tp);
                    if (next == null) {
                        fromStart.add(tp);
                    } else {
                        consumer.seek(tp, next);
                    }
                }
                if (!fromStart.isEmpty()) {
                    consumer.seekToBeginning(fromStart);
                }
                log.info("positioned {} at the offsets stored in the database ({} from the beginning)", unpositioned, fromStart);
                if (!pausedForRetry) {
                    consumer.resume(unpositioned);
                }
                unpositioned.clear();
                backoff = MIN_BACKOFF;
            } catch (TransientDatabaseException e) {
                retries.increment();
                log.warn("cannot read stored offsets, retrying in {} ms: {}", backoff.toMillis(), e.getMessage());
                scheduleRetry();
            }
        }

        private void scheduleRetry() {
            retryAtNanos = System.nanoTime() + backoff.toNanos();
            Duration doubled = backoff.multipliedBy(2);
            backoff = doubled.compareTo(config.maxRetryBackoff()) > 0 ? config.maxRetryBackoff() : doubled;
        }

        /**
         * Decodes and checks one record. A chunk on the resend topic whose headers carry its envelope is left
         * undecoded: it most likely resends what the index holds, which the database then confirms from the
         * envelope alone ({@link IndexBatch.Unchanged}); if not, it is decoded and the batch applied again.
         */
        private Entry prepare(ConsumerRecord<byte[], byte[]> r, boolean mustDecode) {
            Optional<SnapshotEnvelope> envelope = Optional.empty();
            if (r.topic().equals(config.hostLayersTopic()) || r.topic().equals(config.hostLayersResendTopic())) {
                envelope = SnapshotEnvelope.fromHeaders(name -> {
                    Header h = r.headers().lastHeader(name);
                    return h == null ? null : h.value();
                });
            }
            if (!mustDecode && envelope.isPresent() && r.key() != null && r.topic().equals(config.hostLayersResendTopic())) {
                return Entry.unchanged(r, new String(r.key(), StandardCharsets.UTF_8), envelope.get());
            }
            LayerAtlasEvent event;
            try {
                event = EventCodec.decode(r.value());
            } catch (UndecodableEventException e) {
                return Entry.poison(r, "undecodable: " + e.getMessage());
            }
            Optional<String> invalid = validator.problem(r.topic(), r.key(), event);
            if (invalid.isPresent()) {
                return Entry.poison(r, "invalid: " + invalid.get());
            }
            Digest holdings = null;
            if (event instanceof HostSnapshot chunk && envelope.isPresent() && envelope.get().equals(
                    new SnapshotEnvelope(chunk.generation(), chunk.chunk(), chunk.chunkCount(), chunk.scannedAt(),
                            envelope.get().holdings()))) {
                holdings = envelope.get().holdings();
            }
            return Entry.decoded(r, event, holdings);
        }

        /**
         * Applies entries (partition by partition, each in offset order) in one transaction. If the database refuses
         * the data, the slice is split in two halves applied one after the other, down to the one record it refuses,
         * which is dead-lettered with the database's reason while every other record is applied.
         */
        private void applySlice(List<Entry> slice, Map<TopicPartition, Long> nextOffsets) {
            while (true) {
                try {
                    BatchResult result = writer.inTransaction(tx -> applyInTransaction(tx, slice));
                    result.count(registry);
                    statementsPerBatch.record(result.statements());
                    nextOffsets.putAll(result.nextOffsets());
                    return;
                } catch (NeedDecode redo) {
                    redo.refs().forEach(i -> slice.set(i, prepare(slice.get(i).record(), true)));
                } catch (WakeupException | InterruptException | TransientDatabaseException | FatalDatabaseException
                         | DeadLetterFailedException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // Refused data (RejectedEventException), or a fault in applying some record.
                    List<Integer> live = new ArrayList<>();
                    for (int i = 0; i < slice.size(); i++) {
                        if (slice.get(i).poison() == null) {
                            live.add(i);
                        }
                    }
                    if (live.size() <= 1) {
                        if (live.isEmpty()) {
                            throw e;
                        }
                        int i = live.get(0);
                        String why = e instanceof RejectedEventException ? e.getMessage() : "indexer could not apply it: " + e;
                        slice.set(i, Entry.poison(slice.get(i).record(), "refused: " + why));
                        continue;
                    }
                    log.info("the database refused a batch of {} records ({}); applying it in halves to find the record",
                            slice.size(), e.getMessage());
                    int half = slice.size() / 2;
                    applySlice(new ArrayList<>(slice.subList(0, half)), nextOffsets);
                    applySlice(new ArrayList<>(slice.subList(half, slice.size())), nextOffsets);
                    return;
                }
            }
        }

        private BatchResult applyInTransaction(IndexTransaction tx, List<Entry> slice) {
            BatchResult result = new BatchResult();
            Map<StoredOffset.Partition, Long> first = new HashMap<>();
            Map<StoredOffset.Partition, Long> last = new HashMap<>();
            for (Entry e : slice) {
                StoredOffset.Partition p = new StoredOffset.Partition(e.record().topic(), e.record().partition());
                first.putIfAbsent(p, e.record().offset());
                last.put(p, e.record().offset());
            }
            Map<StoredOffset.Partition, Long> stored = tx.claimPartitions(config.groupId(), first);
            IndexBatch batch = new IndexBatch();
            List<Entry> poisoned = new ArrayList<>();
            for (int i = 0; i < slice.size(); i++) {
                Entry e = slice.get(i);
                StoredOffset.Partition p = new StoredOffset.Partition(e.record().topic(), e.record().partition());
                if (e.record().offset() < stored.getOrDefault(p, first.get(p))) {
                    result.add(e.record().topic(), "duplicate");
                } else if (e.poison() != null) {
                    poisoned.add(e);
                } else if (e.unchanged() != null) {
                    batch.addUnchanged(i, e.hostId(), e.unchanged());
                } else {
                    batch.add(i, e.event(), e.record().value(), e.holdings());
                }
            }
            BatchOutcome outcome = tx.apply(batch);
            if (!outcome.needDecode().isEmpty()) {
                throw new NeedDecode(outcome.needDecode());
            }
            outcome.outcomes().forEach((i, what) -> result.add(slice.get(i).record().topic(), what));
            List<Future<RecordMetadata>> letters = new ArrayList<>();
            for (Entry e : poisoned) {
                log.warn("dead-lettering {}-{}@{}: {}", e.record().topic(), e.record().partition(), e.record().offset(), e.poison());
                letters.add(deadLetter(e.record(), e.poison()));
                result.add(e.record().topic(), "dead-lettered");
            }
            if (!letters.isEmpty()) {
                // The dead letters must be in Kafka before the offsets past them are committed.
                producer.flush();
                for (Future<RecordMetadata> f : letters) {
                    try {
                        f.get();
                    } catch (ExecutionException ex) {
                        throw new DeadLetterFailedException("cannot write to " + config.deadLetterTopic() + ": " + ex.getCause(), ex.getCause());
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                        throw new InterruptException(ex);
                    }
                }
            }
            Map<StoredOffset.Partition, Long> next = new HashMap<>();
            last.forEach((p, off) -> next.put(p, Math.max(stored.getOrDefault(p, first.get(p)), off + 1)));
            tx.saveOffsets(config.groupId(), next);
            next.forEach((p, off) -> result.nextOffsets().put(new TopicPartition(p.topic(), p.partition()), off));
            result.statements = tx.statements();
            return result;
        }

        private Future<RecordMetadata> deadLetter(ConsumerRecord<byte[], byte[]> record, String reason) {
            ProducerRecord<byte[], byte[]> letter = new ProducerRecord<>(config.deadLetterTopic(), null, record.key(), record.value());
            for (Header h : record.headers()) {
                letter.headers().add(h);
            }
            letter.headers().add(HEADER_REASON, reason.getBytes(StandardCharsets.UTF_8));
            letter.headers().add(HEADER_TOPIC, record.topic().getBytes(StandardCharsets.UTF_8));
            letter.headers().add(HEADER_PARTITION, String.valueOf(record.partition()).getBytes(StandardCharsets.UTF_8));
            letter.headers().add(HEADER_OFFSET, String.valueOf(record.offset()).getBytes(StandardCharsets.UTF_8));
            try {
                return producer.send(letter);
            } catch (KafkaException e) {
                throw new DeadLetterFailedException("cannot send to " + config.deadLetterTopic() + ": " + e, e);
            }
        }

        private void commitToKafka(Map<TopicPartition, Long> nextOffsets) {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            Set<TopicPartition> assigned = consumer.assignment();
            nextOffsets.forEach((tp, next) -> {
                if (assigned.contains(tp)) {
                    offsets.put(tp, new OffsetAndMetadata(next));
                }
            });
            if (offsets.isEmpty()) {
                return;
            }
            // Kafka's copy only feeds lag tools; PostgreSQL has the offsets that count. Asynchronous, so the next batch
            // goes to the database without waiting for the broker's answer (completed by a later poll).
            try {
                consumer.commitAsync(offsets, (committed, e) -> {
                    if (e != null) {
                        log.debug("committing offsets to Kafka failed: {}", e.toString());
                    }
                });
            } catch (WakeupException | InterruptException e) {
                throw e;
            } catch (KafkaException e) {
                log.debug("committing offsets to Kafka failed: {}", e.toString());
            }
        }

        private void updateLag() {
            long total = 0;
            for (TopicPartition tp : consumer.assignment()) {
                var l = consumer.currentLag(tp);
                if (l.isEmpty()) {
                    total = -1;
                    break;
                }
                total += l.getAsLong();
            }
            lag.set(consumer.assignment().isEmpty() ? -1 : total);
        }
    }

    /**
     * A gathered batch, decoded: its records by partition, its entries in apply order, when its first record was
     * polled, its records' value bytes.
     */
    private record Decoded(Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> records, List<Entry> entries,
                           long startNanos, long bytes) {
    }

    /** A decoded batch being applied: the next offsets it stored and its time in the database, once committed. */
    private record InFlight(Decoded batch, Future<Applied> result) {
    }

    private record Applied(Map<TopicPartition, Long> nextOffsets, long applyNanos) {
    }

    /** One polled record as the batch sees it: decoded, left undecoded as an unchanged resend, or poison. */
    private record Entry(ConsumerRecord<byte[], byte[]> record, LayerAtlasEvent event, Digest holdings, String hostId,
                         SnapshotEnvelope unchanged, String poison) {
        static Entry decoded(ConsumerRecord<byte[], byte[]> r, LayerAtlasEvent event, Digest holdings) {
            return new Entry(r, event, holdings, null, null, null);
        }

        static Entry unchanged(ConsumerRecord<byte[], byte[]> r, String hostId, SnapshotEnvelope envelope) {
            return new Entry(r, null, null, hostId, envelope, null);
        }

        static Entry poison(ConsumerRecord<byte[], byte[]> r, String why) {
            return new Entry(r, null, null, null, null, why);
        }
    }

    /** Thrown inside a batch's transaction to roll it back: these undecoded chunks must be decoded after all. */
    private static final class NeedDecode extends RuntimeException {
        private final List<Integer> refs;

        NeedDecode(List<Integer> refs) {
            super("undecoded resends that do not match the index", null, false, false);
            this.refs = refs;
        }

        List<Integer> refs() {
            return refs;
        }
    }

    /** Counts and next offsets of one applied batch. */
    private static final class BatchResult {
        private final Map<String, Map<String, Integer>> counts = new HashMap<>();
        private final Map<TopicPartition, Long> nextOffsets = new HashMap<>();
        private int statements;

        Map<TopicPartition, Long> nextOffsets() {
            return nextOffsets;
        }

        int statements() {
            return statements;
        }

        void add(String topic, String outcome) {
            counts.computeIfAbsent(topic, t -> new HashMap<>()).merge(outcome, 1, Integer::sum);
        }

        void count(MeterRegistry registry) {
            counts.forEach((topic, byOutcome) -> byOutcome.forEach((outcome, n) ->
                    registry.counter("layeratlas.indexer.records", "topic", topic, "outcome", outcome).increment(n)));
        }
    }

    /** Records behind, summed over every partition of the consumed topics: end offset minus stored offset. */
    private long groupLag() {
        Admin a = admin();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        try {
            var described = a.describeTopics(config.consumedTopics()).topicNameValues();
            for (var e : described.entrySet()) {
                TopicDescription d;
                try {
                    d = e.getValue().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException ex) {
                    if (ex.getCause() instanceof UnknownTopicOrPartitionException) {
                        continue; // a topic nobody created yet holds nothing to index
                    }
                    throw new IllegalStateException(ex.getCause());
                }
                d.partitions().forEach(p -> {
                    latest.put(new TopicPartition(e.getKey(), p.partition()), OffsetSpec.latest());
                    earliest.put(new TopicPartition(e.getKey(), p.partition()), OffsetSpec.earliest());
                });
            }
            var ends = a.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
            var starts = a.listOffsets(earliest).all().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, Long> stored = new HashMap<>();
            for (StoredOffset o : writer.storedOffsets(config.groupId())) {
                stored.put(new TopicPartition(o.topic(), o.partition()), o.nextOffset());
            }
            long behind = 0;
            for (var e : ends.entrySet()) {
                long end = e.getValue().offset();
                long from = stored.getOrDefault(e.getKey(), starts.get(e.getKey()).offset());
                behind += Math.max(0, end - from);
            }
            return behind;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    private synchronized Admin admin() {
        if (admin == null) {
            Map<String, Object> p = new HashMap<>(config.kafkaProperties());
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
            admin = Admin.create(p);
        }
        return admin;
    }
}
