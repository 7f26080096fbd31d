package io.layeratlas.events;

/** Kafka topic names of the contract. A deployment may prefix them; these are the defaults. */
public final class Topics {
    /** {@link ImageConfigEvent}s, key = image ID; compacted. */
    public static final String IMAGE_CONFIGS = "layeratlas.image-configs";
    /** {@link HostSnapshot} chunks of a changed state (or of an agent's first scan), key = host ID. */
    public static final String HOST_LAYERS = "layeratlas.host-layers";
    /**
     * {@link HostSnapshot} chunks of a periodic full resend of a state already published, key = host ID. Its own
     * topic, so that the indexer can let every change wait for nothing while a whole fleet resends at once.
     * Generations are per host across both topics: the newest complete one wins wherever it came from.
     */
    public static final String HOST_LAYERS_RESEND = "layeratlas.host-layers-resend";
    /** {@link Heartbeat}s, key = host ID; compacted. */
    public static final String HEARTBEATS = "layeratlas.heartbeats";
    /**
     * {@link LayerPackages}, key = diff ID; compacted. Content-addressed: one record per layer for the whole fleet,
     * sent once per diff ID an agent has not sent before.
     */
    public static final String LAYER_PACKAGES = "layeratlas.layer-packages";
    /** Records the indexer could not use, with the reason in headers. */
    public static final String DEAD_LETTER = "layeratlas.dead-letter";

    private Topics() {
    }
}
