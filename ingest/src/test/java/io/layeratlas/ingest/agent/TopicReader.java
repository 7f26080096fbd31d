package io.layeratlas.ingest.agent;

import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Reads one topic from the start with a plain consumer (no group), keeping every record seen. Not thread-safe. */
final class TopicReader implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final String topic;
    private final List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    private boolean assigned;

    TopicReader(String bootstrapServers, String topic) {
        this.topic = topic;
        this.consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrapServers, "auto.offset.reset", "earliest",
                "enable.auto.commit", "false", "max.partition.fetch.bytes", "10485760"),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Polls once (briefly) and returns everything read so far. */
    List<ConsumerRecord<String, byte[]>> poll() {
        if (!assigned) {
            List<PartitionInfo> parts = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            if (parts == null || parts.isEmpty()) {
                return records;
            }
            List<TopicPartition> tps = parts.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            assigned = true;
        }
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        return records;
    }

    List<LayerAtlasEvent> events() {
        return poll().stream().map(r -> EventCodec.decode(r.value())).toList();
    }

    List<HostSnapshot> snapshots() {
        return events().stream().map(HostSnapshot.class::cast).toList();
    }

    List<ImageConfigEvent> configs() {
        return events().stream().map(ImageConfigEvent.class::cast).toList();
    }

    /** A complete generation put back together, chunks in order. */
    record Reassembled(long generation, List<ImageRecord> images, List<LayerRecord> layers, List<Problem> problems) {

        /**
         * The images as a consumer knows them once it has the configs too: an image sent by reference (no chain IDs)
         * takes its diff IDs, chain IDs and history from its config event (events/README.md, "Image facts by
         * reference"); fails if such an image has no config event.
         */
        List<ImageRecord> imagesWithFacts(List<ImageConfigEvent> configs) {
            Map<io.layeratlas.events.Digest, ImageRecord> facts = new java.util.HashMap<>();
            configs.forEach(c -> facts.put(c.imageId(), c.image()));
            return images.stream().map(i -> {
                if (!i.chainIds().isEmpty()) {
                    return i;
                }
                ImageRecord f = facts.get(i.id());
                if (f == null) {
                    throw new AssertionError("image " + i.id() + " was sent by reference without a config event");
                }
                return new ImageRecord(i.id(), i.repoTags(), i.repoDigests(), i.parent(), i.created(), i.size(),
                        f.diffIds(), f.chainIds(), f.history(), i.containers(), i.sharedSize(), i.uniqueSize(), i.os(),
                        i.architecture());
            }).toList();
        }
    }

    /** The newest generation of {@code hostId} whose every chunk was read. */
    static Optional<Reassembled> latestComplete(List<HostSnapshot> chunks, String hostId) {
        Map<Long, Map<Integer, HostSnapshot>> byGeneration = new TreeMap<>(Comparator.reverseOrder());
        for (HostSnapshot s : chunks) {
            if (s.hostId().equals(hostId)) {
                byGeneration.computeIfAbsent(s.generation(), g -> new TreeMap<>()).put(s.chunk(), s);
            }
        }
        for (Map.Entry<Long, Map<Integer, HostSnapshot>> g : byGeneration.entrySet()) {
            Map<Integer, HostSnapshot> parts = g.getValue();
            int count = parts.values().iterator().next().chunkCount();
            if (parts.size() == count) {
                List<ImageRecord> images = new ArrayList<>();
                List<LayerRecord> layers = new ArrayList<>();
                List<Problem> problems = new ArrayList<>();
                parts.values().forEach(p -> {
                    images.addAll(p.images());
                    layers.addAll(p.layers());
                    problems.addAll(p.problems());
                });
                return Optional.of(new Reassembled(g.getKey(), images, layers, problems));
            }
        }
        return Optional.empty();
    }

    /** For {@code orElseThrow} inside Awaitility's {@code untilAsserted}, which retries assertion errors only. */
    static AssertionError notYet() {
        return new AssertionError("no complete generation read yet");
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
