package io.layeratlas.bench;

import io.layeratlas.bench.simulate.FleetSimulator;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostSnapshot;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * (c) Freshness: from publishing one host's new snapshot to seeing it. The baseline is the transport alone: a plain
 * consumer seeing the snapshot's last chunk on the same broker under the same load; with a dashboard, of the very probes
 * the API is timed on during the churn round (a separate phase republishing a round as load took 3+ minutes of a
 * 10,000-host run). With a dashboard plugged in
 * (and an indexer feeding its database), the figure is until the API shows the new generation
 * ({@link BenchPlugins.RunningDashboard#showsGeneration}), polled every 5 ms for the first {@value #FINE_POLL_MS} ms,
 * then every {@value #COARSE_POLL_MS} ms: each poll is a request the dashboard answers from PostgreSQL (a host's
 * status and totals, ~10 ms of SQL at 1,000 hosts), and polled every 5 ms throughout, a sample waiting behind a churn
 * round made the probe half of the database's work in that phase (10.8 of 21.6 s of statements, pg_stat_statements,
 * {@code bench --scale full --hosts 1000}). A sample is therefore late by at most 5 ms below 200 ms and by at most
 * 50 ms above. Samples republish host 0 at rounds {@code 1000+i}, newer than anything the load sends.
 */
public final class FreshnessBenchmark {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(FreshnessBenchmark.class);
    private static final int FIRST_PROBE_ROUND = 1_000;
    private static final long FINE_POLL_MS = 200;
    private static final long COARSE_POLL_MS = 50;

    private FreshnessBenchmark() {
    }

    /** The latencies of one set of probes: until the API shows the change, and until a plain consumer sees it. */
    public record Probes(Latencies api, Latencies transport) {
    }

    /**
     * Publish → a plain consumer sees the last chunk; for a run without a dashboard (with one, {@link #throughApi}
     * times the transport of its own probes).
     */
    public static Latencies kafkaBaseline(String bootstrap, FleetSimulator sim, int samples) throws Exception {
        Latencies out = new Latencies();
        try (Producer<String, byte[]> producer = new KafkaProducer<>(FleetSimulator.producerConfig(bootstrap),
                new StringSerializer(), new ByteArraySerializer());
             Transport transport = new Transport(bootstrap, sim)) {
            for (int i = 0; i < samples; i++) {
                int round = FIRST_PROBE_ROUND + i;
                long t0 = System.nanoTime();
                sim.publishHost(producer, 0, round);
                long deadline = t0 + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline) {
                    if (transport.sees(round, Duration.ofMillis(5))) {
                        out.add(System.nanoTime() - t0);
                        break;
                    }
                }
            }
        }
        return out;
    }

    /**
     * Publish → the dashboard's API shows the generation, and → a plain consumer on the same broker sees its last
     * chunk (the transport's share of the same probe, under the same load); samples that never show within 60 s are
     * left out.
     */
    public static Probes throughApi(String bootstrap, FleetSimulator sim, int samples,
                                    BenchPlugins.RunningDashboard dashboard, int firstSample) throws Exception {
        Latencies api = new Latencies();
        Latencies kafka = new Latencies();
        try (Producer<String, byte[]> producer = new KafkaProducer<>(FleetSimulator.producerConfig(bootstrap),
                new StringSerializer(), new ByteArraySerializer());
             Transport transport = new Transport(bootstrap, sim)) {
            String host = sim.model().hostId(0);
            StringBuilder inOrder = new StringBuilder();
            for (int i = 0; i < samples; i++) {
                int round = FIRST_PROBE_ROUND + firstSample + i;
                long t0 = System.nanoTime();
                sim.publishHost(producer, 0, round);
                long deadline = t0 + Duration.ofSeconds(60).toNanos();
                boolean transported = false;
                boolean shown = false;
                while (!(transported && shown) && System.nanoTime() < deadline) {
                    if (!shown && dashboard.showsGeneration(host, round + 1L)) {
                        shown = true;
                        api.add(System.nanoTime() - t0);
                        inOrder.append(' ').append((System.nanoTime() - t0) / 1_000_000);
                    }
                    // The wait between API polls is spent polling the transport until it has seen the probe.
                    Duration pause = Duration.ofMillis(System.nanoTime() - t0 < FINE_POLL_MS * 1_000_000 ? 5 : COARSE_POLL_MS);
                    if (!transported) {
                        long before = System.nanoTime();
                        if (transport.sees(round, pause)) {
                            transported = true;
                            kafka.add(System.nanoTime() - t0);
                        }
                        long rest = pause.toNanos() - (System.nanoTime() - before);
                        if (!shown && rest > 0) {
                            Thread.sleep(rest / 1_000_000, (int) (rest % 1_000_000));
                        }
                    } else if (!shown) {
                        Thread.sleep(pause.toMillis());
                    }
                }
            }
            // In order, so that a slow stretch (a large batch, a GC, the load's start) shows where it happened.
            log.info("publish -> visible via the API, ms, in order:{}", inOrder);
        }
        return new Probes(api, kafka);
    }

    /**
     * A plain consumer of host 0's partition of the host-layers topic, from its end, watching for host 0's probes: one
     * partition (the producer's default partitioner, murmur2 of the key), so that watching costs the box a fraction of
     * the load's bytes and not all of them while the API is being timed.
     */
    private static final class Transport implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;
        private final String host;

        Transport(String bootstrap, FleetSimulator sim) {
            consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "enable.auto.commit", "false",
                    "fetch.max.wait.ms", "5"), new StringDeserializer(), new ByteArrayDeserializer());
            host = sim.model().hostId(0);
            int partitions = consumer.partitionsFor(sim.hostLayersTopic()).size();
            int partition = Utils.toPositive(Utils.murmur2(host.getBytes(StandardCharsets.UTF_8))) % partitions;
            List<TopicPartition> parts = List.of(new TopicPartition(sim.hostLayersTopic(), partition));
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            parts.forEach(consumer::position);
        }

        /** Polls up to {@code wait}: whether the last chunk of probe {@code round} (generation round + 1) came. */
        boolean sees(int round, Duration wait) {
            boolean seen = false;
            for (ConsumerRecord<String, byte[]> r : consumer.poll(wait)) {
                if (r.key().equals(host)) {
                    HostSnapshot s = (HostSnapshot) EventCodec.decode(r.value());
                    seen |= s.generation() == round + 1L && s.chunk() == s.chunkCount() - 1;
                }
            }
            return seen;
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    static List<BenchmarkResult> results(Latencies kafka, Optional<Latencies> churn, Optional<Latencies> resend) {
        List<BenchmarkResult> out = new java.util.ArrayList<>();
        out.add(BenchmarkResult.absolute("freshness.kafka.p50", kafka.percentileMs(50), "ms",
                "publish -> plain consumer sees it, under load (the churn probes when the API is timed), " + kafka.count() + " samples"));
        out.add(BenchmarkResult.absolute("freshness.kafka.p99", kafka.percentileMs(99), "ms", "transport only"));
        apiRows(out, "freshness.api", "during a churn round", kafka, churn);
        apiRows(out, "freshness.api.resend", "during every host's full resend", kafka, resend);
        return out;
    }

    private static void apiRows(List<BenchmarkResult> out, String name, String during, Latencies kafka, Optional<Latencies> api) {
        if (api.isEmpty()) {
            out.add(BenchmarkResult.skipped(name + ".p50", "ms", "indexer and dashboard not plugged in"));
            out.add(BenchmarkResult.skipped(name + ".p99", "ms", "indexer and dashboard not plugged in"));
        } else {
            out.add(BenchmarkResult.of(name + ".p50", api.get().percentileMs(50), "ms", kafka.percentileMs(50),
                    "publish -> visible via the API " + during + ", " + api.get().count() + " samples, vs transport p50"));
            out.add(BenchmarkResult.of(name + ".p99", api.get().percentileMs(99), "ms", kafka.percentileMs(99),
                    "vs transport p99"));
        }
    }
}
