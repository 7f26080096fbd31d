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
}
