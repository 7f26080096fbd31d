package io.layeratlas.events;

/** Kafka topic names of the contract. A deployment may prefix them; these are the defaults. */
public final class Topics {
    /** {@link ImageConfigEvent}s, key = image ID; compacted. */
    public static final String IMAGE_CONFIGS = "layeratlas.image-configs";
    /** {@link HostSnapshot} chunks, key = host ID. */
    public static final String HOST_LAYERS = "layeratlas.host-layers";
    /** {@link Heartbeat}s, key = host ID; compacted. */
    public static final String HEARTBEATS = "layeratlas.heartbeats";
    /** Records the indexer could not use, with the reason in headers. */
    public static final String DEAD_LETTER = "layeratlas.dead-letter";

    private Topics() {
    }
}
