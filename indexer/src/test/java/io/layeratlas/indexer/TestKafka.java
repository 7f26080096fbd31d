package io.layeratlas.indexer;

import io.layeratlas.events.EventCodec;
import io.layeratlas.events.Heartbeat;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Producing contract events and reading a topic whole, for tests. */
final class TestKafka implements AutoCloseable {
    private final String bootstrapServers;
    private final String prefix;
    private final KafkaProducer<byte[], byte[]> producer;

    TestKafka(String bootstrapServers, String prefix) {
        this.bootstrapServers = bootstrapServers;
        this.prefix = prefix;
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrapServers, "enable.idempotence", "true",
                "acks", "all", "linger.ms", "5"), new ByteArraySerializer(), new ByteArraySerializer());
    }

    static String topicOf(LayerAtlasEvent event) {
        return event instanceof HostSnapshot ? Topics.HOST_LAYERS
                : event instanceof ImageConfigEvent ? Topics.IMAGE_CONFIGS
                : event instanceof Heartbeat ? Topics.HEARTBEATS
                : event instanceof io.layeratlas.events.LayerPackages ? Topics.LAYER_PACKAGES : null;
    }

    void send(LayerAtlasEvent event) {
        sendRaw(topicOf(event), event.key(), EventCodec.encode(event));
    }

    void sendAll(List<? extends LayerAtlasEvent> events) {
        events.forEach(this::send);
        producer.flush();
    }

    void sendRaw(String contractTopic, String key, byte[] value) {
        producer.send(new ProducerRecord<>(prefix + contractTopic, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value),
                (md, e) -> {
                    if (e != null) {
                        throw new IllegalStateException(e);
                    }
                });
    }

    /** Sends as an agent does: the record's headers as given (a chunk's envelope). */
    void sendRaw(String contractTopic, String key, byte[] value, Map<String, byte[]> headers) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(prefix + contractTopic, key.getBytes(StandardCharsets.UTF_8), value);
        headers.forEach((name, v) -> r.headers().add(name, v));
        producer.send(r, (md, e) -> {
            if (e != null) {
                throw new IllegalStateException(e);
            }
        });
    }

    void flush() {
        producer.flush();
    }

    /** Every record of a topic (all partitions, from the beginning). */
    List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", bootstrapServers),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
