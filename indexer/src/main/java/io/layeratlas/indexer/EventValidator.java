package io.layeratlas.indexer;

import io.layeratlas.events.ChainIds;
import io.layeratlas.events.Digest;
import io.layeratlas.events.Heartbeat;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerPackages;
import io.layeratlas.events.LayerRecord;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks what decoding cannot: an event is on its topic, under its key, and its chain IDs are the chain IDs of
 * its diff IDs (OCI image-spec, config.md "Layer ChainID"). A wrong chain ID would file a layer under another
 * layer's identity, so such an event is dead-lettered instead of indexed. Thread-safe.
 */
final class EventValidator {
    /** How many checked chain IDs are remembered at most (about 30 MB); the memory is emptied when full. */
    private static final int VERIFIED_MAX = 1 << 18;

    private final IndexerConfig config;
    /**
     * Chain IDs already checked, with the parent and diff ID they were checked for: a fleet's hosts name the same layers,
     * and hashing each again was 7 % of the indexer's samples (JFR, {@code bench --scale full --hosts 1000}).
     */
    private final Map<Digest, Link> verified = new ConcurrentHashMap<>();

    private record Link(Digest parent, Digest diff) {
    }

    EventValidator(IndexerConfig config) {
        this.config = config;
    }

    /** @return why the event must not be indexed, or empty when it is fine */
    Optional<String> problem(String topic, byte[] key, LayerAtlasEvent event) {
        String expectedTopic = event instanceof HostSnapshot ? config.hostLayersTopic()
                : event instanceof ImageConfigEvent ? config.imageConfigsTopic()
                : event instanceof Heartbeat ? config.heartbeatsTopic()
                : event instanceof LayerPackages ? config.layerPackagesTopic() : null;
        boolean resend = event instanceof HostSnapshot && topic.equals(config.hostLayersResendTopic());
        if (!topic.equals(expectedTopic) && !resend) {
            return Optional.of(event.getClass().getSimpleName() + " does not belong on topic " + topic);
        }
        String keyText = key == null ? null : new String(key, StandardCharsets.UTF_8);
        if (!event.key().equals(keyText)) {
            return Optional.of("record key '" + keyText + "' is not the event's key '" + event.key() + "'");
        }
        if (event instanceof HostSnapshot s) {
            for (ImageRecord image : s.images()) {
                Optional<String> p = stackProblem(image);
                if (p.isPresent()) {
                    return p;
                }
            }
            for (LayerRecord layer : s.layers()) {
                if (layer.parentChainId() != null && !chainIdFollows(layer)) {
                    return Optional.of("layer " + layer.chainId() + " is not the chain ID of parent "
                            + layer.parentChainId() + " and diff ID " + layer.diffId());
                }
            }
        } else if (event instanceof ImageConfigEvent e) {
            return stackProblem(e.image());
        }
        return Optional.empty();
    }

    /** Whether the layer's chain ID is sha256 of "parent diffID" (OCI image-spec, config.md "Layer ChainID"). */
    private boolean chainIdFollows(LayerRecord layer) {
        Link link = new Link(layer.parentChainId(), layer.diffId());
        if (link.equals(verified.get(layer.chainId()))) {
            return true;
        }
        if (!Digest.sha256Of(layer.parentChainId() + " " + layer.diffId()).equals(layer.chainId())) {
            return false;
        }
        if (verified.size() >= VERIFIED_MAX) {
            verified.clear();
        }
        verified.put(layer.chainId(), link);
        return true;
    }

    private static Optional<String> stackProblem(ImageRecord image) {
        if (!ChainIds.of(image.diffIds()).equals(image.chainIds())) {
            return Optional.of("image " + image.id() + ": chain IDs do not follow from its diff IDs");
        }
        return Optional.empty();
    }
}
