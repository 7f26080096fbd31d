package io.layeratlas.bench.simulate;

import io.layeratlas.db.index.IndexBatch;
import io.layeratlas.db.index.IndexWriter;
import io.layeratlas.events.Heartbeat;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntToLongFunction;

/**
 * The simulated fleet's periodic heartbeats, in real time, for as long as it is open: what every agent sends between
 * its scans ({@code Agent}'s heartbeat task: every {@link FleetSimulator#HEARTBEAT_INTERVAL}, its own clock's time, the
 * last generation it delivered). Without them a simulated fleet goes stale {@code staleAfter} after its last round and
 * every answer about it lists stale hosts, which a healthy fleet's do not; with them the index takes the heartbeat
 * writes a fleet makes (10,000 hosts at 30 s: 334 a second). On start every host sends one (agents already running
 * have each sent one within the interval), then one slice of the fleet a second, so that each host sends one an
 * interval, spread as agents started at different times are.
 *
 * <p>A tick whose sending fails is logged and the next one goes on, as an agent that cannot queue a heartbeat does;
 * {@link #close} fails if none got through. Sends on one thread of its own.
 */
public final class FleetHeartbeats implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FleetHeartbeats.class);
    private static final Duration TICK = Duration.ofSeconds(1);

    /** Where a tick's heartbeats go. */
    @FunctionalInterface
    public interface Sink extends AutoCloseable {
        /** Sends them and returns once they are delivered (acknowledged, or committed). */
        void send(List<Heartbeat> heartbeats) throws Exception;

        @Override
        default void close() {
        }
    }

    private final FleetSimulator simulator;
    private final IntToLongFunction generation;
    private final Sink sink;
    private final String where;
    private final ScheduledExecutorService timer;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failedTicks = new AtomicLong();
    private final AtomicReference<Exception> lastFailure = new AtomicReference<>();
    private final int slices;
    private int nextSlice;

    private FleetHeartbeats(FleetSimulator simulator, IntToLongFunction generation, Sink sink, String where) {
        this.simulator = simulator;
        this.generation = generation;
        this.sink = sink;
        this.where = where;
        this.slices = (int) Math.max(1, FleetSimulator.HEARTBEAT_INTERVAL.dividedBy(TICK));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fleet-heartbeats");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Every host's heartbeats on Kafka's {@link FleetSimulator#heartbeatsTopic()}, with the agent's producer settings,
     * naming each host's last generation sent ({@link FleetSimulator#sentGeneration}): for a fleet an indexer
     * consumes. The first round of the fleet is delivered before this returns.
     */
    public static FleetHeartbeats toKafka(FleetSimulator simulator, String bootstrapServers) {
        Producer<String, byte[]> producer = new KafkaProducer<>(FleetSimulator.producerConfig(bootstrapServers),
                new StringSerializer(), new ByteArraySerializer());
        Sink kafka = new Sink() {
            @Override
            public void send(List<Heartbeat> heartbeats) {
                simulator.publishHeartbeats(producer, heartbeats);
            }

            @Override
            public void close() {
                producer.close(Duration.ofSeconds(30));
            }
        };
        return start(simulator, simulator::sentGeneration, kafka, "Kafka");
    }

    /**
     * Every host's heartbeats applied by the indexer's own write path ({@link IndexWriter}, a batch of heartbeats a
     * transaction), naming {@code generation}: for a fleet loaded without Kafka (the COPY baseline's), which no
     * indexer consumes for.
     */
    public static FleetHeartbeats toIndex(FleetSimulator simulator, IndexWriter writer, long generation) {
        Sink index = heartbeats -> writer.inTransaction(tx -> {
            IndexBatch batch = new IndexBatch();
            for (int i = 0; i < heartbeats.size(); i++) {
                batch.add(i, heartbeats.get(i));
            }
            return tx.apply(batch);
        });
        return start(simulator, h -> generation, index, "the index");
    }

    /**
     * Starts sending: one heartbeat of every host now, then a slice a second.
     *
     * @param generation per host the generation to name
     * @throws IllegalStateException if the first heartbeats of the fleet cannot be sent
     */
    private static FleetHeartbeats start(FleetSimulator simulator, IntToLongFunction generation, Sink sink, String where) {
        FleetHeartbeats h = new FleetHeartbeats(simulator, generation, sink, where);
        int hosts = simulator.spec().hosts();
        try {
            h.sink.send(h.heartbeats(0, hosts));
        } catch (Exception e) {
            sink.close();
            h.timer.shutdownNow();
            throw new IllegalStateException("the fleet's first heartbeats to " + where + " failed: " + e, e);
        }
        h.sent.addAndGet(hosts);
        h.timer.scheduleAtFixedRate(h::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        log.info("heartbeats of {} hosts to {}: every {} s, {} a second", hosts, where,
                FleetSimulator.HEARTBEAT_INTERVAL.toSeconds(), (hosts + h.slices - 1) / h.slices);
        return h;
    }

    private List<Heartbeat> heartbeats(int from, int to) {
        Instant now = Instant.now();
        List<Heartbeat> out = new ArrayList<>(to - from);
        for (int host = from; host < to; host++) {
            out.add(simulator.heartbeat(host, now, generation.applyAsLong(host)));
        }
        return out;
    }

    private void tick() {
        int hosts = simulator.spec().hosts();
        int slice = nextSlice;
        nextSlice = (slice + 1) % slices;
        int from = (int) ((long) hosts * slice / slices);
        int to = (int) ((long) hosts * (slice + 1) / slices);
        try {
            sink.send(heartbeats(from, to));
            sent.addAndGet(to - from);
        } catch (Exception e) {
            if (failedTicks.incrementAndGet() % slices == 1) {
                log.warn("heartbeats of hosts {}-{} to {} not sent ({} ticks failed so far): {}", from, to - 1, where,
                        failedTicks.get(), e.toString());
            }
            lastFailure.set(e);
        }
    }

    /** Heartbeats delivered so far. */
    public long sent() {
        return sent.get();
    }

    /**
     * Stops sending (a tick under way finishes) and closes the sink.
     *
     * @throws IllegalStateException if every tick since the start failed
     */
    @Override
    public void close() {
        timer.shutdown();
        try {
            if (!timer.awaitTermination(1, TimeUnit.MINUTES)) {
                timer.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            timer.shutdownNow();
        } finally {
            sink.close();
        }
        long failed = failedTicks.get();
        log.info("heartbeats to {}: {} sent, {} ticks failed", where, sent.get(), failed);
        if (failed > 0 && sent.get() == simulator.spec().hosts()) {
            throw new IllegalStateException("no heartbeat to " + where + " got through after the first: "
                    + lastFailure.get(), lastFailure.get());
        }
    }
}
