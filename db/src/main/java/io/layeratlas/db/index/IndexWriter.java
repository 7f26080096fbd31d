package io.layeratlas.db.index;

import io.layeratlas.db.Database;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The write side of the index: runs the indexer's work in transactions and offers the maintenance operations
 * (retire a host, recount the counters, drop the index for a rebuild). Thread-safe: each call takes its own
 * pooled connection.
 *
 * <p>Errors: {@link TransientDatabaseException} when the database is unavailable or the transaction must be
 * retried; the transaction was rolled back. Any exception thrown by the work rolls the transaction back and
 * is rethrown unchanged.
 */
public final class IndexWriter {

    private static final String DROP_INDEX = """
            TRUNCATE package_database_hosts, host_package_databases, image_package_databases, database_packages, package_databases, packages, package_layers,
                     host_changes, host_layers, held_images, tag_sets, image_tags, image_usage, layer_usage, image_parents, image_history,
                     image_layers, layer_blobs, pending_snapshot_chunks, consumer_offsets, images, layers RESTART IDENTITY;
            DELETE FROM hosts WHERE retired_at IS NULL;
            UPDATE hosts SET problems = '[]', image_count = 0, shown_image_count = 0, layer_count = 0, stored_bytes = 0
            """;

    private final Database database;
    private final KnownFacts known = new KnownFacts();

    public IndexWriter(Database database) {
        this.database = Objects.requireNonNull(database, "database");
    }

    /**
     * Runs {@code work} in one transaction and commits it.
     *
     * @return what the work returned
     * @throws TransientDatabaseException if a connection cannot be had for now, or the commit fails (the effects may
     *                                    or may not be committed: callers make the retry harmless with
     *                                    {@link IndexTransaction#claimPartitions})
     * @throws FatalDatabaseException     if the database refuses the work for a reason no retry fixes
     */
    public <T> T inTransaction(Function<IndexTransaction, T> work) {
        try (Connection c = database.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try {
                KnownFacts.Session session = known.session();
                T result = work.apply(new IndexTransaction(c, session));
                c.commit();
                session.publish();
                return result;
            } catch (RuntimeException | SQLException e) {
                if (e instanceof RejectedEventException) {
                    // Refused data may be a key the writer believed stored (a database restored under a running
                    // indexer): whatever the batch is split into is applied again without that belief.
                    known.clear();
                }
                try {
                    c.rollback();
                } catch (SQLException rollbackFailed) {
                    e.addSuppressed(rollbackFailed);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw SqlErrors.translate("transaction failed", e);
        }
    }

    /** The offsets a consumer group has stored with its effects, for seeking on partition assignment. */
    public List<StoredOffset> storedOffsets(String group) {
        return inTransaction(tx -> call("reading stored offsets", () -> OffsetStore.all(tx.connection(), group)));
    }

    /**
     * Retires a host: what it holds leaves the index (counters follow), its row stays marked retired and hidden.
     * A snapshot newer than the last one applied brings it back.
     *
     * @return false if the index has no such host
     */
    public boolean retireHost(String hostId) {
        Objects.requireNonNull(hostId, "hostId");
        return inTransaction(tx -> call("retiring host " + hostId, () -> tx.retireHost(hostId)));
    }

    /**
     * Recomputes every usage counter from the facts (the fleet's tags of each image too), the hosts of each package
     * database and every host's totals
     * (repair, and the tests' check that what is kept incrementally is exact).
     *
     * @return how many counter and host rows were wrong and have been corrected (0 when all were exact)
     */
    public int recount() {
        return inTransaction(tx -> call("recounting usage", () -> {
            try (Statement s = tx.connection().createStatement()) {
                // One recount at a time, and no indexer batch in between: the counters must not move under us. Hosts
                // first, as a batch locks its host rows before it moves a counter (the other order can deadlock).
                s.execute("LOCK TABLE hosts, layer_usage, image_usage, image_tags, host_package_databases, package_database_hosts"
                        + " IN EXCLUSIVE MODE");
            }
            return UsageStore.recount(tx.connection()) + PackageStore.recount(tx.connection())
                    + HostStore.recountAllTotals(tx.connection());
        }));
    }

    /**
     * Empties the index for a rebuild: every fact, counter, pending chunk and stored offset of every consumer
     * group, so the next indexer consumes the topics from the beginning. Retired hosts keep their row (with
     * the generation they were retired at), so a rebuild does not bring them back. Stop every indexer first.
     */
    public void dropIndex() {
        inTransaction(tx -> call("dropping the index", () -> {
            try (Statement s = tx.connection().createStatement()) {
                s.execute(DROP_INDEX);
            }
            return null;
        }));
        known.clear();
    }

    private static <T> T call(String what, IndexTransaction.SqlWork<T> work) {
        try {
            return work.run();
        } catch (SQLException e) {
            throw SqlErrors.translate(what, e);
        }
    }
}
