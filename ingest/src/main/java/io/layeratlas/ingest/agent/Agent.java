package io.layeratlas.ingest.agent;

import io.layeratlas.events.LayerAtlasVersion;
import io.layeratlas.events.Digest;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.Heartbeat;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerPackages;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;
import io.layeratlas.events.SnapshotChunker;
import io.layeratlas.events.Topics;
import io.layeratlas.ingest.packages.LayerDatabases;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The agent of one host: scans its image storage, publishes what it holds to Kafka, and follows changes.
 *
 * <p>{@link #start()} resolves the host ID ({@link HostIdentity}, logged with the effective config), scans once and
 * hands the result to the publisher, then follows changes: the Docker Engine API's {@code /events} stream when
 * the source is an Engine API URI or {@link AgentConfig#dockerHost()} is set, and for a source on disk a
 * {@link java.nio.file.WatchService} on the storage's metadata; changes are debounced
 * ({@link AgentConfig#debounce()}, at most four times that in all) into one rescan. A rescan also runs every
 * {@link AgentConfig#rescanInterval()}.
 *
 * <p>What is published (DESIGN.md, "The Kafka contract"), per scan that found something new:
 * <ol>
 *   <li>an {@link ImageConfigEvent} (topic {@link Topics#IMAGE_CONFIGS}, key image ID) for each image whose config
 *       this agent has not sent before, with the config text verbatim;</li>
 *   <li>the inventory as {@link io.layeratlas.events.HostSnapshot} chunks (topic {@link Topics#HOST_LAYERS}, key
 *       host ID) of one new generation. Generations only grow, across restarts too ({@link GenerationCounter});
 *       each chunk's encoded value is at most the producer's limit ({@link AgentConfig#maxMessageBytes()},
 *       {@code max.request.size}), and {@code chunk}/{@code chunkCount} let the indexer apply only complete
 *       generations. Each chunk carries its {@link io.layeratlas.events.SnapshotEnvelope} as headers.</li>
 * </ol>
 * With {@link AgentConfig#readPackages()} (the default), every scan also reads, for each diff ID of the inventory not
 * sent before, the package databases of the layer's own contents ({@link InventorySource.Scan#layerContents()}) and
 * offers one {@link LayerPackages} (topic {@link Topics#LAYER_PACKAGES}, key diff ID). A diff ID counts as sent once
 * Kafka acknowledges it ({@link SentLayers}, kept in the state folder across restarts), and as offered while it
 * waits, so an unchanged layer is read once, not on every rescan; a layer whose contents the source cannot reach
 * is not sent.
 * A scan equal to the last one (scan time aside) publishes nothing, except every
 * {@link AgentConfig#fullResendInterval()}, when the state and every config are sent again under a new
 * generation; such a resend of an unchanged state goes to {@link Topics#HOST_LAYERS_RESEND} instead. A {@link Heartbeat} (topic {@link Topics#HEARTBEATS}) goes out every
 * {@link AgentConfig#heartbeatInterval()} with the last generation Kafka acknowledged.
 *
 * <p>A failing scan is logged and counted, and the agent goes on. While Kafka is unreachable only the latest state
 * per topic key is held ({@link KafkaPublisher}). A fatal Kafka error (authentication, authorization, unsupported
 * version) stops the agent: {@link #awaitStop()} throws it.
 *
 * <p>Thread-safe. Threads: one scanning, one publishing, one for heartbeats, one per change source, one for
 * metrics when enabled; all daemon threads, all ended by {@link #close()}.
 */
public final class Agent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);
    /** The socket a local Docker daemon listens on; asked for the daemon's ID only when present. */
    static final String DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
    /** How long {@link #close()} may take in all. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final AgentConfig config;
    private final InventorySource source;
    private final AgentMetrics metrics = new AgentMetrics();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();

    // Guarded by lock.
    private boolean started;
    private boolean stopping;
    private boolean scanRequested;
    private long firstChangeNanos = -1;
    private long lastChangeNanos;
    private long nextRescanNanos;

    // Set by start().
    private HostIdentity identity;
    private GenerationCounter generations;
    private KafkaPublisher publisher;
    private MetricsServer metricsServer;
    private final List<AutoCloseable> followers = new ArrayList<>();
    private Thread scanThread;
    private ScheduledExecutorService heartbeats;
    private int maxSnapshotValueBytes;

    // Owned by the scanning thread (and start(), before it exists).
    private Content lastPublished;
    private Instant nextFullResend;
    private final Set<Digest> configsOffered = new HashSet<>();
    /** Images whose config event is over Kafka's message limit: said once, their facts travel in the snapshot. */
    private final Set<Digest> configsTooLarge = new HashSet<>();
    private final Set<Digest> packagesOffered = new HashSet<>();
    private SentLayers sentLayers;

    private volatile Throwable failure;

    /**
     * An agent, not yet started.
     *
     * @param config what to scan and where to publish
     * @param source reads the storage; called from one thread at a time
     */
    public Agent(AgentConfig config, InventorySource source) {
        this.config = Objects.requireNonNull(config, "config");
        this.source = Objects.requireNonNull(source, "source");
    }

    /** The agent's version: the jar's {@code Implementation-Version}, else {@code dev}. */
    public static String version() {
        return LayerAtlasVersion.get();
    }

    /**
     * Resolves the host ID, starts the metrics server (when a port is set) and the Kafka producer, scans once and
     * hands the result to the publisher (sending is asynchronous), then follows changes. Returns once following;
     * does not wait for Kafka.
     *
     * @throws IllegalStateException    if called twice
     * @throws java.io.UncheckedIOException if the metrics port cannot be bound
     * @throws org.apache.kafka.common.KafkaException if the Kafka properties are invalid
     */
    public void start() {
        lock.lock();
        try {
            if (started) {
                throw new IllegalStateException("the agent was started already");
            }
            started = true;
        } finally {
            lock.unlock();
        }
        String identityDaemon = config.dockerHost() != null ? config.dockerHost()
                : DockerEngine.isEngineUri(config.source()) ? config.source() : DEFAULT_DOCKER_HOST;
        identity = HostIdentity.resolve(config.hostId(), identityDaemon);
        log.info("LayerAtlas agent {} starting; host ID {}; config: {}", version(), identity, config.describe().replace("\n", ", "));

        generations = new GenerationCounter(config.stateDir());
        try {
            maxSnapshotValueBytes = KafkaPublisher.maxValueBytes(config, identity.hostId());
            if (config.metricsPort() > 0) {
                metricsServer = new MetricsServer(config.metricsPort(), metrics::scrape, this::healthProblem);
            }
            if (config.readPackages()) {
                sentLayers = new SentLayers(config.stateDir());
            }
            publisher = new KafkaPublisher(config, identity.hostId(), metrics, this::fail, this::delivered);
        } catch (RuntimeException e) {
            // Bad Kafka properties or a busy port: release what was opened, then report.
            close(Duration.ZERO);
            throw e;
        }
        nextFullResend = Instant.now().plus(config.fullResendInterval());

        scanAndPublish();

        startFollowers();
        lock.lock();
        try {
            nextRescanNanos = System.nanoTime() + config.rescanInterval().toNanos();
        } finally {
            lock.unlock();
        }
        scanThread = new Thread(this::scanLoop, "layeratlas-agent-scan");
        scanThread.setDaemon(true);
        scanThread.start();
        heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "layeratlas-agent-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long every = config.heartbeatInterval().toMillis();
        heartbeats.scheduleAtFixedRate(this::heartbeat, 0, every, TimeUnit.MILLISECONDS);
    }

    /** The resolved host ID. @throws IllegalStateException before {@link #start()} */
    public String hostId() {
        if (identity == null) {
            throw new IllegalStateException("the host ID is resolved by start()");
        }
        return identity.hostId();
    }

    /** The resolved host identity, with where it came from; empty before {@link #start()}. */
    public Optional<HostIdentity> identity() {
        return Optional.ofNullable(identity);
    }

    /** The newest snapshot generation Kafka acknowledged completely, or -1 if none yet. */
    public long publishedGeneration() {
        return publisher == null ? -1 : publisher.deliveredGeneration();
    }

    /** Every meter in Prometheus text format, whether or not a metrics port is set. */
    public String metricsText() {
        return metrics.scrape();
    }

    /** Asks for a rescan now (after the debounce), as a storage change would. Thread-safe; no-op when stopped. */
    public void rescanNow() {
        signalChange();
    }

    /** Why the agent stopped on its own, if it did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * Blocks until {@link #close()} is called or the agent stops on a fatal Kafka error.
     *
     * @throws AgentException if the agent stopped on a fatal error (its cause)
     */
    public void awaitStop() throws InterruptedException {
        stopped.await();
        Throwable f = failure;
        if (f != null) {
            throw new AgentException("the agent stopped: Kafka refused it: " + f.getMessage(), f);
        }
    }

    // -------------------------------------------------------------------------------------------------------

    private void startFollowers() {
        Runnable onChange = this::signalChange;
        try {
            if (DockerEngine.isEngineUri(config.source())) {
                followers.add(new EngineEventsFollower(config.source(), onChange));
            } else {
                Path path = Path.of(config.source());
                if (Files.exists(path)) {
                    followers.add(new StorageWatcher(path, onChange));
                } else {
                    log.warn("{} does not exist (yet); changes are noticed by the rescan every {}", path, config.rescanInterval());
                }
                if (config.dockerHost() != null) {
                    followers.add(new EngineEventsFollower(config.dockerHost(), onChange));
                }
            }
        } catch (RuntimeException e) {
            log.warn("cannot follow changes of {} ({}); relying on the rescan every {}", config.source(), e.toString(),
                    config.rescanInterval());
        }
    }

    private void signalChange() {
        lock.lock();
        try {
            long now = System.nanoTime();
            if (firstChangeNanos < 0) {
                firstChangeNanos = now;
            }
            lastChangeNanos = now;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void scanLoop() {
        long debounce = config.debounce().toNanos();
        long maxDelay = debounce * 4;
        while (true) {
            lock.lock();
            try {
                while (true) {
                    if (stopping || failure != null) {
                        return;
                    }
                    long now = System.nanoTime();
                    long due = nextRescanNanos;
                    if (scanRequested) {
                        due = now;
                    }
                    if (firstChangeNanos >= 0) {
                        due = Math.min(due, Math.min(lastChangeNanos + debounce, firstChangeNanos + maxDelay));
                    }
                    if (due - now <= 0) {
                        break;
                    }
                    wake.awaitNanos(due - now);
                }
                scanRequested = false;
                firstChangeNanos = -1;
                nextRescanNanos = System.nanoTime() + config.rescanInterval().toNanos();
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            scanAndPublish();
        }
    }

    /** What makes two scans the same: everything but the scan time. */
    private record Content(String source, String kind, List<ImageRecord> images, List<LayerRecord> layers, List<Problem> problems,
                           List<io.layeratlas.events.ContainerRecord> containers, io.layeratlas.events.HostMetadata host) {
        static Content of(HostInventory i) {
            return new Content(i.source(), i.kind(), i.images(), i.layers(), i.problems(), i.containers(), i.host());
        }
    }

    /** One scan, and whatever it found new handed to the publisher. Never throws. */
    private void scanAndPublish() {
        InventorySource.Scan scan;
        Timer.Sample sample = Timer.start();
        try {
            scan = source.scan(identity.hostId());
            Objects.requireNonNull(scan, "the inventory source returned null");
        } catch (Exception e) {
            sample.stop(metrics.scanDuration);
            metrics.scansFailed.increment();
            log.warn("scan of {} failed, trying again at the next change or in {}: {}", config.source(),
                    config.rescanInterval(), e.toString(), e);
            return;
        } catch (Error e) {
            if (e instanceof VirtualMachineError) {
                throw e;
            }
            metrics.scansFailed.increment();
            log.warn("scan of {} failed: {}", config.source(), e.toString(), e);
            return;
        }
        long nanos = sample.stop(metrics.scanDuration);
        metrics.scansOk.increment();
        HostInventory inventory = scan.inventory();
        metrics.images.set(inventory.images().size());
        metrics.layers.set(inventory.layers().size());

        try {
            publishLayerPackages(scan);
            publish(scan, Duration.ofNanos(nanos));
        } catch (RuntimeException e) {
            metrics.scansFailed.increment();
            log.error("cannot publish the scan of {}: {}", config.source(), e.toString(), e);
        }
    }

    /** Reads and offers the package databases of each layer not sent or offered before; one bad layer is logged. */
    private void publishLayerPackages(InventorySource.Scan scan) {
        if (!config.readPackages()) {
            return;
        }
        String topic = config.topic(Topics.LAYER_PACKAGES);
        Set<Digest> present = new HashSet<>();
        List<KafkaPublisher.Outgoing> out = new ArrayList<>();
        long started = System.nanoTime();
        for (LayerRecord layer : scan.inventory().layers()) {
            Digest diffId = layer.diffId();
            if (!present.add(diffId) || sentLayers.contains(diffId) || packagesOffered.contains(diffId)) {
                continue;
            }
            Optional<LayerDatabases> read;
            try {
                read = scan.layerContents().read(layer);
            } catch (RuntimeException e) {
                log.warn("layer {} (chain ID {}): cannot read its package databases: {}", diffId, layer.chainId(), e.toString(), e);
                continue;
            }
            if (read.isEmpty()) {
                continue;
            }
            metrics.layersRead.increment();
            read.get().problems().forEach(p -> log.info("layer {} (chain ID {}): {}: {}", diffId, layer.chainId(),
                    p.path(), p.reason()));
            packagesOffered.add(diffId);
            byte[] value = EventCodec.encode(LayerPackages.of(diffId, version(), Instant.now(), read.get().databases(),
                    read.get().problems()));
            String key = diffId.toString();
            if (value.length > KafkaPublisher.maxValueBytes(config, key)) {
                metrics.rejectedRecords.increment();
                log.error("the layer-packages event of layer {} takes {} bytes, more than a Kafka message may carry ({} bytes); not sent",
                        diffId, value.length, KafkaPublisher.maxValueBytes(config, key));
                continue;
            }
            out.add(new KafkaPublisher.Outgoing(KafkaPublisher.Kind.LAYER_PACKAGES, topic, key, value, -1));
        }
        packagesOffered.retainAll(present);
        sentLayers.retainOnly(present);
        publisher.offerConfigs(out);
        if (!out.isEmpty()) {
            log.info("read the package databases of {} new layers in {} ms", out.size(),
                    Duration.ofNanos(System.nanoTime() - started).toMillis());
        }
    }

    private void delivered(KafkaPublisher.Outgoing o) {
        if (o.kind() == KafkaPublisher.Kind.LAYER_PACKAGES && sentLayers != null) {
            sentLayers.acknowledged(Digest.parse(o.key()));
        }
    }

    private void publish(InventorySource.Scan scan, Duration took) {
        // The operator's labels are the agent's to say, whatever the reader found.
        HostInventory inventory = scan.inventory().withHost(scan.inventory().host().withLabels(config.labels()));
        Content content = Content.of(inventory);
        boolean fullResend = !Instant.now().isBefore(nextFullResend);
        if (!fullResend && content.equals(lastPublished)) {
            metrics.unchangedScans.increment();
            log.debug("scan of {} found nothing new ({} ms)", config.source(), took.toMillis());
            return;
        }
        if (fullResend) {
            configsOffered.clear();
            nextFullResend = Instant.now().plus(config.fullResendInterval());
            log.info("full resend: publishing the unchanged state and every image config again");
        }

        String configTopic = config.topic(Topics.IMAGE_CONFIGS);
        Set<Digest> present = new HashSet<>();
        List<KafkaPublisher.Outgoing> configs = new ArrayList<>();
        // Images whose config event is offered (now or before): the snapshot names them by reference.
        Set<Digest> byReference = new HashSet<>();
        for (ImageRecord image : inventory.images()) {
            present.add(image.id());
            if (configsOffered.contains(image.id())) {
                byReference.add(image.id());
                continue;
            }
            String text = scan.configs().get(image.id());
            if (text == null || configsTooLarge.contains(image.id())) {
                log.debug("no config event for image {}; its facts travel in the snapshot", image.id());
                continue;
            }
            byte[] value = EventCodec.encode(ImageConfigEvent.of(text, image));
            String key = image.id().toString();
            if (value.length > KafkaPublisher.maxValueBytes(config, key)) {
                metrics.rejectedRecords.increment();
                log.error("the config event of image {} takes {} bytes, more than a Kafka message may carry ({} bytes); not sent",
                        image.id(), value.length, KafkaPublisher.maxValueBytes(config, key));
                configsTooLarge.add(image.id());
                continue;
            }
            configsOffered.add(image.id());
            byReference.add(image.id());
            configs.add(new KafkaPublisher.Outgoing(KafkaPublisher.Kind.CONFIG, configTopic, key, value, -1));
        }
        configsOffered.retainAll(present);
        configsTooLarge.retainAll(present);

        long generation = generations.next();
        // A resend of what was already published goes to its own topic, so that changes never queue behind a fleet's
        // periodic resends in the indexer; a changed state (or the first since start) is a change.
        boolean unchanged = content.equals(lastPublished);
        String snapshotTopic = config.topic(unchanged ? Topics.HOST_LAYERS_RESEND : Topics.HOST_LAYERS);
        List<KafkaPublisher.Outgoing> chunks = new ArrayList<>();
        for (SnapshotChunker.EncodedChunk c : SnapshotChunker.chunk(inventory, identity.hostId(), generation, version(),
                maxSnapshotValueBytes, byReference)) {
            chunks.add(new KafkaPublisher.Outgoing(KafkaPublisher.Kind.SNAPSHOT_CHUNK, snapshotTopic, identity.hostId(),
                    c.value(), generation, c.envelope().headers()));
        }
        publisher.offerConfigs(configs);
        publisher.offerSnapshot(chunks);
        lastPublished = content;
        log.info("scan of {} ({} ms): {} images, {} layers, {} problems; publishing generation {} in {} chunks and {} new configs",
                config.source(), took.toMillis(), inventory.images().size(), inventory.layers().size(),
                inventory.problems().size(), generation, chunks.size(), configs.size());
    }

    private void heartbeat() {
        try {
            if (failure != null) {
                return;
            }
            Heartbeat hb = new Heartbeat(LayerAtlasEvent.SCHEMA_VERSION, identity.hostId(), Instant.now(), version(),
                    publisher.deliveredGeneration(), Math.max(1, config.heartbeatInterval().toSeconds()));
            publisher.offerHeartbeat(new KafkaPublisher.Outgoing(KafkaPublisher.Kind.HEARTBEAT,
                    config.topic(Topics.HEARTBEATS), identity.hostId(), EventCodec.encode(hb), hb.generation()));
        } catch (RuntimeException e) {
            log.warn("cannot queue a heartbeat: {}", e.toString(), e);
        }
    }

    private String healthProblem() {
        Throwable f = failure;
        return f == null ? null : "stopped: " + f;
    }

    private void fail(Throwable e) {
        failure = e;
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        stopped.countDown();
    }

    /** {@link #close(Duration)} with {@link #DEFAULT_CLOSE_TIMEOUT}. */
    @Override
    public void close() {
        close(DEFAULT_CLOSE_TIMEOUT);
    }

    /**
     * Stops following and scanning, delivers what is pending if Kafka takes it within {@code timeout}, and
     * closes the producer; whatever Kafka has not acknowledged by then is logged and dropped. Idempotent.
     */
    public void close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            if (stopping) {
                return;
            }
            stopping = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        for (AutoCloseable f : followers) {
            try {
                f.close();
            } catch (Exception e) {
                log.debug("closing {}", f, e);
            }
        }
        if (heartbeats != null) {
            heartbeats.shutdownNow();
        }
        if (scanThread != null) {
            try {
                // A scan in progress finishes (its result is still published) if it is quick enough.
                scanThread.join(Math.max(1, timeout.toMillis() / 3));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (publisher != null) {
            publisher.close(Duration.ofNanos(Math.max(Duration.ofMillis(100).toNanos(), deadline - System.nanoTime())));
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        log.info("agent stopped; last generation Kafka acknowledged: {}", publishedGeneration());
        stopped.countDown();
    }
}
