package io.layeratlas.db.index;

import java.util.Objects;

/**
 * A consumer group's position in one partition, as stored with the effects of the records before it.
 *
 * @param topic      the topic
 * @param partition  the partition
 * @param nextOffset the offset of the next record to consume (one past the last one applied)
 */
public record StoredOffset(String topic, int partition, long nextOffset) {
    public StoredOffset {
        Objects.requireNonNull(topic, "topic");
    }

    /** A topic partition, ordered by topic then partition (the order in which offset rows are locked). */
    public record Partition(String topic, int partition) implements Comparable<Partition> {
        public Partition {
            Objects.requireNonNull(topic, "topic");
        }

        @Override
        public int compareTo(Partition o) {
            int t = topic.compareTo(o.topic);
            return t != 0 ? t : Integer.compare(partition, o.partition);
        }
    }
}
