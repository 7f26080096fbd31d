package io.layeratlas.ingest.agent;

import org.apache.kafka.clients.producer.ProducerConfig;

import java.util.HashMap;
import java.util.Map;

/**
 * The Kafka producer settings every agent publishes with, in one place: the agent uses them (with the operator's
 * {@code --kafka-property} values on top), and so does the fleet simulator, so that benchmarks measure the records
 * agents really send (compression, batching, idempotence).
 */
public final class ProducerSettings {
    private ProducerSettings() {
    }

    /**
     * The agent's producer defaults, without serializers.
     *
     * @param bootstrapServers Kafka {@code bootstrap.servers}
     * @param clientId         names the producer in broker logs and quotas
     * @return a new mutable map
     */
    public static Map<String, Object> agent(String bootstrapServers, String clientId) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        // A batch the producer retries is written once, and one host's chunks keep their order on the partition.
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // Every in-sync replica has a snapshot before it counts as sent: losing a broker loses no generation.
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // At most 5 in flight keeps ordering under idempotence (KafkaProducer Javadoc, enable.idempotence).
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        // Snapshots are JSON full of hex digests that repeat across chunks; zstd shrinks them most per CPU.
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        // A snapshot is many records sent back to back: a short linger packs them into few requests.
        p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        // Bounded retries with exponential backoff; delivery.timeout.ms bounds them in time as well. After that
        // the publisher's own loop retries with the latest state only.
        p.put(ProducerConfig.RETRIES_CONFIG, "20");
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "500");
        p.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "10000");
        p.put(ProducerConfig.RECONNECT_BACKOFF_MS_CONFIG, "500");
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "10000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        // Two minutes (Kafka's default) rides out a broker restart or leader election without a resend.
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        // send() waits this long for metadata when Kafka is unreachable; it runs on the publisher's own thread.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        // The agent's heap budget is 64 MiB for a 1,000-image host; the producer's default 32 MiB record pool
        // would take half of it. 4 MiB holds several ~1 MB chunks; when it is full, send() waits (max.block.ms) on
        // the publisher's own thread instead of the heap growing.
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(4 * 1024 * 1024));
        return p;
    }
}
