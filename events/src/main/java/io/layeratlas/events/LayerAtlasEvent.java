package io.layeratlas.events;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Every value LayerAtlas writes to Kafka. The JSON carries {@code "type"} (the subtype's name below)
 * and {@code "schemaVersion"}; see the events module's README for the field-by-field contract.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ImageConfigEvent.class, name = "image-config"),
        @JsonSubTypes.Type(value = HostSnapshot.class, name = "host-snapshot"),
        @JsonSubTypes.Type(value = Heartbeat.class, name = "heartbeat"),
        @JsonSubTypes.Type(value = LayerPackages.class, name = "layer-packages")
})
public sealed interface LayerAtlasEvent permits ImageConfigEvent, HostSnapshot, Heartbeat, LayerPackages {
    /** The schema version this library writes. Readers reject any other. */
    int SCHEMA_VERSION = 1;

    int schemaVersion();

    /** The Kafka record key: image ID for configs, diff ID for layer packages, host ID for snapshots and heartbeats. */
    String key();
}
