package io.layeratlas.events;

import java.time.Instant;
import java.util.Objects;

/**
 * A small periodic sign of life: topic {@link Topics#HEARTBEATS}, key = host ID.
 *
 * @param schemaVersion   {@link LayerAtlasEvent#SCHEMA_VERSION}
 * @param hostId          the host's stable identity
 * @param at              when it was sent
 * @param agentVersion    the agent's version
 * @param generation      the last snapshot generation the agent published, or -1 if none yet
 * @param intervalSeconds seconds until the next heartbeat, so the index can judge staleness
 */
public record Heartbeat(int schemaVersion, String hostId, Instant at, String agentVersion, long generation,
                        long intervalSeconds) implements LayerAtlasEvent {
    public Heartbeat {
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(at, "at");
        if (intervalSeconds <= 0) {
            throw new IllegalArgumentException("intervalSeconds must be positive: " + intervalSeconds);
        }
    }

    @Override
    public String key() {
        return hostId;
    }
}
