package io.layeratlas.db.query;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A host's agent as the index last heard of it.
 *
 * @param hostId            the host ID (from the host: escape on output)
 * @param source            what the agent reads (a path or socket), may be null
 * @param sourceKind        {@code data-root}, {@code legacy-graph}, {@code archive}, {@code oci-layout}, {@code engine-api}; may be null
 * @param agentVersion      may be null
 * @param generation        last complete snapshot applied, -1 if none
 * @param lastInventoryAt   the agent's scan time of that snapshot, null if none
 * @param snapshotAppliedAt when the indexer applied it, null if none
 * @param lastHeartbeatAt   null if no heartbeat arrived yet
 * @param heartbeatIntervalSeconds the agent's announced interval in seconds, null if unknown
 * @param firstSeen         when the index first heard of the host
 * @param lastReportAt      the later of the last heartbeat and the last applied snapshot; null if neither
 * @param stale             whether {@code lastReportAt} is older than the configured stale-after age (or missing)
 * @param dockerVersion     the daemon's version as the last snapshot gave it; null when unknown (from the host: escape)
 * @param storageDriver     the storage driver; null when unknown
 * @param dataRoot          Docker's data-root; null when unknown
 * @param operatingSystem   the host's operating system; null when unknown
 * @param labels            the operator's labels on the agent ({@code --label env=prod}), sorted by key; never null
 */
public record HostStatus(String hostId, String source, String sourceKind, String agentVersion, long generation,
                         Instant lastInventoryAt, Instant snapshotAppliedAt, Instant lastHeartbeatAt,
                         Long heartbeatIntervalSeconds, Instant firstSeen, Instant lastReportAt, boolean stale,
                         String dockerVersion, String storageDriver, String dataRoot, String operatingSystem,
                         Map<String, String> labels) {
    public HostStatus {
        Objects.requireNonNull(hostId, "hostId");
        labels = labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(labels));
    }

    /** A host without metadata or labels (an agent from before issue 16). */
    public HostStatus(String hostId, String source, String sourceKind, String agentVersion, long generation,
                      Instant lastInventoryAt, Instant snapshotAppliedAt, Instant lastHeartbeatAt,
                      Long heartbeatIntervalSeconds, Instant firstSeen, Instant lastReportAt, boolean stale) {
        this(hostId, source, sourceKind, agentVersion, generation, lastInventoryAt, snapshotAppliedAt, lastHeartbeatAt,
                heartbeatIntervalSeconds, firstSeen, lastReportAt, stale, null, null, null, null, Map.of());
    }
}
