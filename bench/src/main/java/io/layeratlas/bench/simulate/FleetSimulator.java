package io.layeratlas.bench.simulate;

import io.layeratlas.events.CompressedDigest;
import io.layeratlas.events.Digest;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.Heartbeat;
import io.layeratlas.events.HostInventory;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerPackages;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.SnapshotChunker;
import io.layeratlas.events.SourceKind;
import io.layeratlas.events.Topics;
import io.layeratlas.topics.TopicSetup;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import io.layeratlas.ingest.agent.AgentConfig;
import io.layeratlas.ingest.agent.ProducerSettings;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publishes the events of a synthetic fleet to Kafka exactly as the hosts' agents would: per host and round, the
 * package databases of every layer (diff ID) it newly holds on {@code layer-packages} (key = diff ID; most layers
 * with {@code databases: []}, see {@link ImageCatalog#layerDatabases}), the configs of images it newly holds on
 * {@code image-configs} (key = image ID, value = the config JSON verbatim), then its inventory as {@code HostSnapshot} chunks on {@code host-layers} (key = host ID, no value above
 * {@link SimulationSpec#maxMessageBytes()}, with the chunk's envelope headers), then a heartbeat on {@code heartbeats}
 * (at the time it is sent, as an agent's clock says; between rounds {@link FleetHeartbeats} sends the periodic ones).
 * Chunks come from the agent's own {@link SnapshotChunker} and go out with the agent's producer settings
 * ({@link ProducerSettings#agent}). {@link #publishResendRound} is every agent's periodic full resend at once: the
 * same state under a new generation ({@link #resendGeneration}) on {@code host-layers-resend}. Hosts are generated one at a
 * time, so memory stays at the catalog's size whatever the fleet's.
 *
 * <p>Everything is deterministic from the spec; {@link #expectedHostLayers(int)} and {@link #expectedHostImages(int)}
 * say exactly what a round sent. Thread-safe: several threads may publish at once (e.g. a fleet round as load while
 * another thread times single hosts), each with its own or a shared producer.
 */
public final class FleetSimulator {
    private static final Logger log = LoggerFactory.getLogger(FleetSimulator.class);
    /** Agents of the simulated fleet report this version, so simulated data is recognisable in the index. */
    public static final String AGENT_VERSION = "simulated";
    /** Between two heartbeats of a host: the agent's default ({@link AgentConfig#DEFAULT_HEARTBEAT_INTERVAL}). */
    public static final Duration HEARTBEAT_INTERVAL = AgentConfig.DEFAULT_HEARTBEAT_INTERVAL;
    private static final String GZIP_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    private final SimulationSpec spec;
    private final ImageCatalog catalog;
    private final FleetModel model;
    private final BitSet configsSent = new BitSet();
    private final Set<Digest> packagesSent = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Per host, the generation of its last snapshot sent (-1: none yet), which its heartbeats name as the agent's do. */
    private final AtomicLongArray sentGenerations;

    /** Builds the catalog (about a second for the full spec); hosts are generated while publishing. */
    public FleetSimulator(SimulationSpec spec) {
        this.spec = spec;
        this.catalog = ImageCatalog.generate(spec);
        this.model = new FleetModel(catalog);
        long[] none = new long[spec.hosts()];
        java.util.Arrays.fill(none, -1);
        this.sentGenerations = new AtomicLongArray(none);
    }

    public SimulationSpec spec() {
        return spec;
    }

    public ImageCatalog catalog() {
        return catalog;
    }

    public FleetModel model() {
        return model;
    }

    public String hostLayersTopic() {
        return spec.topicPrefix() + Topics.HOST_LAYERS;
    }

    public String hostLayersResendTopic() {
        return spec.topicPrefix() + Topics.HOST_LAYERS_RESEND;
    }

    public String imageConfigsTopic() {
        return spec.topicPrefix() + Topics.IMAGE_CONFIGS;
    }

    public String heartbeatsTopic() {
        return spec.topicPrefix() + Topics.HEARTBEATS;
    }

    public String layerPackagesTopic() {
        return spec.topicPrefix() + Topics.LAYER_PACKAGES;
    }

    /**
     * The producer configuration an agent uses ({@link ProducerSettings#agent}), with a larger record pool: one
     * simulator process publishes for a whole fleet, where each agent publishes for one host.
     */
    public static Map<String, Object> producerConfig(String bootstrapServers) {
        Map<String, Object> p = ProducerSettings.agent(bootstrapServers, "layeratlas-simulator");
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(64 * 1024 * 1024));
        return p;
    }

    /**
     * Creates the contract's topics with the spec's prefix, {@code partitions} partitions and the contract's configs,
     * leaving existing ones alone, and waits until every partition has a leader that serves it ({@link TopicSetup}, as
     * the indexer command does). Publishing into auto-created topics instead can wedge an idempotent producer on a busy broker: a
     * first batch refused with NOT_LEADER_OR_FOLLOWER while the topic is being created comes back as
     * OUT_OF_ORDER_SEQUENCE_NUMBER forever.
     *
     * @throws IllegalStateException if the broker cannot be reached or refuses, or the topics have no leader within
     *                               {@link TopicSetup#TIMEOUT}
     */
    public void createTopics(String bootstrapServers, int partitions) {
        TopicSetup.ensureTopics(bootstrapServers, Map.of(), partitions, spec.topicPrefix());
    }

    /** Opens a producer, publishes every round (0..churnRounds), flushes and closes it. */
    public PublishReport publish(String bootstrapServers) {
        return publish(bootstrapServers, Map.of());
    }

    /**
     * As {@link #publish(String)}, with Kafka client properties (security, timeouts…) laid over
     * {@link #producerConfig(String)}; the serializers stay the simulator's.
     */
    public PublishReport publish(String bootstrapServers, Map<String, String> clientProperties) {
        Map<String, Object> config = producerConfig(bootstrapServers);
        config.putAll(clientProperties);
        try (Producer<String, byte[]> producer = new KafkaProducer<>(config,
                new StringSerializer(), new ByteArraySerializer())) {
            PublishReport report = publish(producer);
            producer.close(Duration.ofSeconds(30));
            return report;
        }
    }

    /** Publishes every round (0..churnRounds), each round host by host, and flushes. */
    public PublishReport publish(Producer<String, byte[]> producer) {
        PublishReport total = PublishReport.EMPTY;
        for (int round = 0; round <= spec.churnRounds(); round++) {
            total = total.plus(publishRound(producer, round));
        }
        return total;
    }

    /** Publishes one round of every host and flushes; fails if any record was not acknowledged. */
    public PublishReport publishRound(Producer<String, byte[]> producer, int round) {
        return publishRound(producer, round, -1);
    }

    /**
     * Publishes one round of every host as {@link #publishRound(Producer, int)}, under {@code generation} instead of
     * the round's own ({@code round + 1}) when it is not negative: a churn round that must land after resends and
     * probes that already used higher generations. Flushes; fails if any record was not acknowledged.
     */
    public PublishReport publishRound(Producer<String, byte[]> producer, int round, long generation) {
        Sender sender = new Sender(producer);
        eachHost(host -> sendHost(sender, host, round, generation), "round " + round);
        return sender.finish();
    }

    /**
     * Publishes every host's periodic full resend of its state in {@code round}, unchanged, under generation
     * {@code generation} (see {@link #resendGeneration(int)}), on {@code host-layers-resend}, as agents do every
     * full-resend interval; no configs (nothing is new). Flushes; fails if any record was not acknowledged.
     */
    public PublishReport publishResendRound(Producer<String, byte[]> producer, int round, long generation) {
        Sender sender = new Sender(producer);
        eachHost(host -> {
            HostState s = model.host(host, round);
            HostState resent = new HostState(s.host(), s.hostId(), s.round(), generation, s.images(), s.layers());
            sendSnapshot(sender, resent, hostLayersResendTopic());
            sentGenerations.set(host, generation);
        }, "resend of round " + round);
        return sender.finish();
    }

    /**
     * Runs {@code perHost} for every host on every core, on {@link AgentThreads} (lowest priority: agents' CPU is not
     * the indexer's machine's): each host's records are encoded and sent by one thread, in order (a host's chunks
     * keep their order on its partition, as one agent's would), hosts in parallel. The producer is thread-safe and
     * compresses on the sending thread, so encoding and compression both scale with cores.
     */
    private void eachHost(java.util.function.IntConsumer perHost, String what) {
        java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
        Runnable all = () -> java.util.stream.IntStream.range(0, spec.hosts()).parallel().forEach(host -> {
            perHost.accept(host);
            int n = done.incrementAndGet();
            if (n % 1000 == 0) {
                log.info("{}: {} of {} hosts published", what, n, spec.hosts());
            }
        });
        try {
            AgentThreads.pool().submit(all).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(what + " failed", e.getCause());
        }
    }

    /**
     * The first generation for full resends of round {@code round}: above every churn round's ({@code round + 1})
     * and, with room for a few resends, below the freshness probes' (from 1001).
     */
    public static long resendGeneration(int round) {
        return round + 501L;
    }

    /**
     * Publishes one host's snapshot of one round (any round ≥ 0, also past {@code churnRounds}: a host that rescans
     * again) and flushes. For freshness measurements.
     */
    public PublishReport publishHost(Producer<String, byte[]> producer, int host, int round) {
        Sender sender = new Sender(producer);
        sendHost(sender, host, round, -1);
        return sender.finish();
    }

    /**
     * Publishes heartbeats on {@link #heartbeatsTopic()} (key = host ID), as agents send them, and flushes; fails if any
     * record was not acknowledged.
     */
    public PublishReport publishHeartbeats(Producer<String, byte[]> producer, List<Heartbeat> heartbeats) {
        Sender sender = new Sender(producer);
        for (Heartbeat hb : heartbeats) {
            sender.send(heartbeatsTopic(), hb.hostId(), hb);
        }
        sender.counted(0, heartbeats.size(), 0, 0, 0, 0);
        return sender.finish();
    }

    /** The generation of the last snapshot (or resend) of the host this simulator sent, -1 before any. */
    public long sentGeneration(int host) {
        return sentGenerations.get(host);
    }

    /**
     * The heartbeat the host's agent sends at {@code at} (its own clock: {@code Agent}'s heartbeat task sends
     * {@code Instant.now()}) naming {@code generation}, the last snapshot generation it delivered.
     */
    public Heartbeat heartbeat(int host, Instant at, long generation) {
        return new Heartbeat(LayerAtlasEvent.SCHEMA_VERSION, model.hostId(host), at, AGENT_VERSION, generation,
                HEARTBEAT_INTERVAL.toSeconds());
    }

    /** When the host's agent finished scanning in that round: rounds apart by the scan interval, hosts spread within it. */
    public Instant scannedAt(int host, int round) {
        long spreadNanos = spec.scanInterval().toNanos() / spec.hosts() * host;
        return spec.startAt().plus(spec.scanInterval().multipliedBy(round)).plusNanos(spreadNanos);
    }

    /** The chunks the host publishes in that round, encoded by the agent's chunker. */
    public List<SnapshotChunker.EncodedChunk> snapshotChunks(HostState state) {
        List<ImageRecord> images = new ArrayList<>(state.images().length);
        Set<Digest> configsPublished = new HashSet<>(state.images().length * 2);
        for (int i : state.images()) {
            images.add(catalog.image(i).record());
            // Every catalog image has a config, published before the host's first snapshot that holds it.
            configsPublished.add(catalog.image(i).id());
        }
        List<LayerRecord> layers = new ArrayList<>(state.layers().length);
        for (int l : state.layers()) {
            CatalogLayer layer = catalog.layer(l);
            Digest parent = layer.parent() < 0 ? null : catalog.layer(layer.parent()).chainId();
            layers.add(new LayerRecord(layer.chainId(), layer.diffId(), parent, layer.size(),
                    List.of(new CompressedDigest(layer.blobDigest(), GZIP_LAYER, null)),
                    // Docker picks a random cache ID per host and layer.
                    Rng.hex64(state.host(), l), null));
        }
        HostInventory inventory = new HostInventory("/var/lib/docker", SourceKind.DATA_ROOT.id(), state.hostId(),
                scannedAt(state.host(), state.round()), images, layers, List.of());
        return SnapshotChunker.chunk(inventory, state.hostId(), state.generation(), AGENT_VERSION, spec.maxMessageBytes(),
                configsPublished);
    }

    /** Host ID → chain IDs it holds after that round. Materialises the whole fleet: for tests and small fleets. */
    public Map<String, Set<Digest>> expectedHostLayers(int round) {
        Map<String, Set<Digest>> out = new LinkedHashMap<>();
        for (int host = 0; host < spec.hosts(); host++) {
            HostState s = model.host(host, round);
            Set<Digest> chains = new LinkedHashSet<>();
            for (int l : s.layers()) {
                chains.add(catalog.layer(l).chainId());
            }
            out.put(s.hostId(), chains);
        }
        return out;
    }

    /** Host ID → chain IDs after the last round ({@code churnRounds}). */
    public Map<String, Set<Digest>> expectedHostLayers() {
        return expectedHostLayers(spec.churnRounds());
    }

    /** Host ID → image IDs it holds after that round. Materialises the whole fleet: for tests and small fleets. */
    public Map<String, Set<Digest>> expectedHostImages(int round) {
        Map<String, Set<Digest>> out = new LinkedHashMap<>();
        for (int host = 0; host < spec.hosts(); host++) {
            HostState s = model.host(host, round);
            Set<Digest> ids = new LinkedHashSet<>();
            for (int i : s.images()) {
                ids.add(catalog.image(i).id());
            }
            out.put(s.hostId(), ids);
        }
        return out;
    }

    private void sendHost(Sender sender, int host, int round, long generation) {
        HostState modelled = model.host(host, round);
        HostState state = generation < 0 ? modelled : new HostState(modelled.host(), modelled.hostId(), modelled.round(),
                generation, modelled.images(), modelled.layers());
        // Package databases and configs first, as the agent sends them, so an indexer that sees the snapshot can
        // usually already resolve its images and their packages.
        HostState before = round == 0 ? null : model.host(host, round - 1);
        sendLayerPackages(sender, state, before);
        int[] previous = before == null ? new int[0] : before.images();
        for (int image : state.images()) {
            boolean send;
            if (spec.configsFromEveryHost()) {
                send = java.util.Arrays.binarySearch(previous, image) < 0;
            } else {
                synchronized (configsSent) {
                    send = !configsSent.get(image);
                    configsSent.set(image);
                }
            }
            if (send) {
                CatalogImage img = catalog.image(image);
                sender.send(imageConfigsTopic(), img.id().toString(), ImageConfigEvent.of(img.config(), img.record()));
                sender.counted(1, 0, 0, 0, 0, 0);
            }
        }
        sendSnapshot(sender, state, hostLayersTopic());
        sentGenerations.set(host, state.generation());
        Heartbeat hb = heartbeat(host, Instant.now(), state.generation());
        sender.send(heartbeatsTopic(), state.hostId(), hb);
        sender.counted(0, 1, 0, 0, 0, 0);
    }

    /**
     * One {@code layer-packages} event per diff ID the host holds now and did not hold in {@code before} (null in
     * round 0), as the agent sends once per diff ID it has not sent before; with
     * {@link SimulationSpec#configsFromEveryHost()} false, once per fleet instead (what the compacted topic keeps),
     * the same switch as configs. A layer that touches no database goes with {@code databases: []}.
     */
    private void sendLayerPackages(Sender sender, HostState state, HostState before) {
        Set<Digest> held = new HashSet<>();
        if (before != null) {
            for (int l : before.layers()) {
                held.add(catalog.layer(l).diffId());
            }
        }
        Set<Digest> sentNow = new HashSet<>();
        for (int l : state.layers()) {
            Digest diffId = catalog.layer(l).diffId();
            if (!sentNow.add(diffId)) {
                continue; // one diff ID under two chain IDs is one layer's contents
            }
            boolean send = spec.configsFromEveryHost() ? !held.contains(diffId) : packagesSent.add(diffId);
            if (send) {
                sender.send(layerPackagesTopic(), diffId.toString(), LayerPackages.of(diffId, AGENT_VERSION,
                        scannedAt(state.host(), state.round()), catalog.layerDatabases(diffId), List.of()));
                sender.countedPackages(1);
            }
        }
    }

    private void sendSnapshot(Sender sender, HostState state, String topic) {
        for (SnapshotChunker.EncodedChunk chunk : snapshotChunks(state)) {
            sender.send(topic, state.hostId(), chunk.value(), chunk.envelope().headers());
            sender.counted(0, 0, 1, 0, chunk.snapshot().layers().size(), chunk.snapshot().images().size());
        }
        sender.counted(0, 0, 0, 1, 0, 0);
    }

    /** Sends asynchronously (from any thread), remembers the first failure, and reports. */
    private static final class Sender {
        private final Producer<String, byte[]> producer;
        private final AtomicReference<Exception> failure = new AtomicReference<>();
        private final AtomicLong bytes = new AtomicLong();
        private final long started = System.nanoTime();
        long snapshots;
        long chunks;
        long configs;
        long layerPackages;
        long heartbeats;
        long layerLinks;
        long imageLinks;
        long largest;

        Sender(Producer<String, byte[]> producer) {
            this.producer = producer;
        }

        void send(String topic, String key, LayerAtlasEvent event) {
            send(topic, key, EventCodec.encode(event));
        }

        void send(String topic, String key, byte[] value) {
            send(topic, key, value, Map.of());
        }

        void send(String topic, String key, byte[] value, Map<String, byte[]> headers) {
            Exception earlier = failure.get();
            if (earlier != null) {
                throw new IllegalStateException("publishing to Kafka failed: " + earlier.getMessage(), earlier);
            }
            synchronized (this) {
                largest = Math.max(largest, value.length);
            }
            bytes.addAndGet(value.length);
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
            headers.forEach((name, v) -> record.headers().add(name, v));
            producer.send(record, (metadata, e) -> {
                if (e != null) {
                    // The producer already retried retriable errors up to delivery.timeout.ms; any error here is final.
                    failure.compareAndSet(null, e);
                    log.error("record for {} on {} not delivered ({}): {}", key, topic,
                            e instanceof RetriableException ? "retries exhausted" : "fatal", e.toString());
                }
            });
        }

        synchronized void countedPackages(long layerPackages) {
            this.layerPackages += layerPackages;
        }

        synchronized void counted(long configs, long heartbeats, long chunks, long snapshots, long layerLinks, long imageLinks) {
            this.configs += configs;
            this.heartbeats += heartbeats;
            this.chunks += chunks;
            this.snapshots += snapshots;
            this.layerLinks += layerLinks;
            this.imageLinks += imageLinks;
        }

        PublishReport finish() {
            producer.flush();
            Exception e = failure.get();
            if (e != null) {
                throw new IllegalStateException("publishing to Kafka failed: " + e.getMessage(), e);
            }
            synchronized (this) {
                return new PublishReport(snapshots, chunks, configs, layerPackages, heartbeats, layerLinks, imageLinks,
                        bytes.get(), largest, Duration.ofNanos(System.nanoTime() - started));
            }
        }
    }
}
