package io.layeratlas.db.index;

import io.layeratlas.events.LayerAtlasEvent;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

/**
 * One open database transaction of the index's write side, handed out by {@link IndexWriter#inTransaction}.
 * Its effects are idempotent: applying the same events again changes nothing. Not thread-safe: use it only inside
 * the work function it was passed to, on that thread.
 *
 * <p>Errors ({@link SqlErrors}): {@link TransientDatabaseException} when the database is unavailable or the
 * transaction must be retried (deadlock, serialization failure, shutdown); {@link RejectedEventException} when the
 * database refuses the data (the caller narrows it down to the event by splitting the batch);
 * {@link FatalDatabaseException} when retrying cannot help (authentication, permissions, a missing table).
 */
public final class IndexTransaction {

    private final Connection c;
    private final Statements statements;

    IndexTransaction(Connection connection, KnownFacts.Session known) {
        this.c = connection;
        this.statements = new Statements(connection, known);
    }

    /**
     * Locks the partitions' stored offsets for this transaction, so that two consumers that both believe they own
     * a partition (one of them a zombie after a rebalance) apply its records one after the other.
     *
     * @param firstOffsets partition → the batch's first offset in it; stored for a partition that has no row yet
     * @return partition → the next offset to apply: records below it are already in the index and must be skipped
     */
    public Map<StoredOffset.Partition, Long> claimPartitions(String group, Map<StoredOffset.Partition, Long> firstOffsets) {
        return sql("claiming partitions " + firstOffsets.keySet(), () -> OffsetStore.claim(statements, group, firstOffsets));
    }

    /** Stores the next offsets to consume, committed together with the effects of the records before them. */
    public void saveOffsets(String group, Map<StoredOffset.Partition, Long> nextOffsets) {
        sql("saving offsets", () -> {
            OffsetStore.save(statements, group, nextOffsets);
            return null;
        });
    }

    /**
     * Applies a batch of events with a fixed number of set-based statements ({@link BatchApplier}). When the outcome
     * lists references to decode, nothing was written that the caller should keep: roll back (throw) and apply the
     * batch again with those chunks decoded.
     */
    public BatchOutcome apply(IndexBatch batch) {
        return sql("applying a batch of " + batch.size() + " events", () -> new BatchApplier(statements).apply(batch));
    }

    /** Applies one event of the contract (a batch of one). */
    public void apply(LayerAtlasEvent event) {
        apply(new IndexBatch().add(0, event));
    }

    /** Statements this transaction has sent so far. */
    public int statements() {
        return statements.count();
    }

    /**
     * Retires a host: removes what it holds (the counters follow) and marks it retired. Its row and generation
     * stay, so older snapshots stay ignored; a newer snapshot brings the host back.
     *
     * @return false if no such host
     */
    boolean retireHost(String hostId) throws SQLException {
        return new BatchApplier(statements).retire(hostId);
    }

    Connection connection() {
        return c;
    }

    interface SqlWork<T> {
        T run() throws SQLException;
    }

    private static <T> T sql(String what, SqlWork<T> work) {
        try {
            return work.run();
        } catch (SQLException e) {
            throw SqlErrors.translate(what, e);
        }
    }
}
