package io.layeratlas.ingest.agent;

import io.layeratlas.events.EventCodec;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageConfigEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Decoding shortcuts for tests. */
final class EventCodecs {
    private EventCodecs() {
    }

    static HostSnapshot decodeSnapshot(ConsumerRecord<String, byte[]> r) {
        return (HostSnapshot) EventCodec.decode(r.value());
    }

    static ImageConfigEvent decodeConfig(ConsumerRecord<String, byte[]> r) {
        return (ImageConfigEvent) EventCodec.decode(r.value());
    }
}
