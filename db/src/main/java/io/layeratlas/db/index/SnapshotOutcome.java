package io.layeratlas.db.index;

/** What {@link IndexTransaction#applySnapshotChunk} did with a chunk. */
public enum SnapshotOutcome {
    /** The chunk completed a newer generation, which now is the host's state. */
    APPLIED,
    /** The chunk was stored; its generation still lacks chunks and nothing else changed. */
    PENDING,
    /** The host already has this generation or a newer one (a redelivery, or an agent's late chunk): nothing changed. */
    STALE
}
