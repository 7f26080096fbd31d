package io.layeratlas.db.query;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The remediation export's holders (every live host holding the layer, in host ID order, with when each first held
 * it), read while the rest of the export is read: on a second pooled connection that imports the export's snapshot
 * ({@code pg_export_snapshot()} then {@code SET TRANSACTION SNAPSHOT}, PostgreSQL "Snapshot Synchronization
 * Functions"; allowed on a hot standby since PostgreSQL 10), by a background thread that decodes them in batches
 * into a bounded queue (two batches ahead at most). At 10,000 hosts their statement is ~34 ms of one backend
 * (sort by host ID and the holders' rows), the images' holders ~70 ms of another: one after the other on one
 * connection, the export waited for both.
 *
 * <p>Falls back to reading them on the export's own connection, after the rest, when no second connection may be
 * taken: a {@link Lanes} permit is taken without waiting (so exports waiting for a second connection never hold
 * the whole pool), and a failure before the first batch (no connection in time, a server refusing the snapshot)
 * is logged and read again inline. Not thread-safe: one per export, used by its thread.
 */
final class ExportHolders implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExportHolders.class);

    /** A holder as the export streams it: its key (to find its pairs), its status, when it first held the layer. */
    record Holder(int hostKey, HostStatus host, Instant firstSeen) {
    }

    /**
     * How many exports of a pool may read their holders on a second connection at once: half the pool's size less
     * one (a HikariCP pool; none for another data source), so those waiting for a second connection never hold
     * every connection (the others hold one each and finish).
     */
    static final class Lanes {
        private final Semaphore permits;

        Lanes(DataSource dataSource) {
            int pool = dataSource instanceof com.zaxxer.hikari.HikariDataSource h ? h.getMaximumPoolSize() : 0;
            this.permits = new Semaphore(Math.max(0, pool / 2 - 1));
        }

        boolean tryTake() {
            return permits.tryAcquire();
        }

        void give() {
            permits.release();
        }
    }

    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "layer-export-holders-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    /** Exports whose holders were all read beside them (for tests: a failure there falls back silently). */
    private static final AtomicLong BESIDE = new AtomicLong();

    static long readBeside() {
        return BESIDE.get();
    }

    /** What the queue carries after the batches: the end, or the failure that stopped the reader. */
    private static final Object END = new Object();

    /** How one fetch of the holders is decoded: the reader's {@link Sql#host} with the export's policy. */
    @FunctionalInterface
    interface RowReader {
        Holder read(ResultSet rs) throws SQLException;
    }

    private final Connection exportConnection;
    private final String sql;
    private final Binder binder;
    private final int batch;
    private final RowReader reader;
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(2);
    private final Lanes lanes;
    private volatile boolean closed;
    private Future<?> background;
    private List<Holder> current = List.of();
    private int at;
    private boolean started;
    private boolean ended;
    // Inline: the cursor on the export's own connection.
    private PreparedStatement inlineStatement;
    private ResultSet inlineRows;

    /** Binds the holders' statement's parameters. */
    @FunctionalInterface
    interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private ExportHolders(Connection exportConnection, String sql, Binder binder, int batch, RowReader reader,
                          Lanes lanes) {
        this.exportConnection = exportConnection;
        this.sql = sql;
        this.binder = binder;
        this.batch = batch;
        this.reader = reader;
        this.lanes = lanes;
    }

    /**
     * Starts reading {@code sql} (bound by {@code binder}, {@code batch} rows a fetch) beside the export when a lane
     * is free; {@code c} is the export's connection, inside its read-only REPEATABLE READ transaction, which must
     * stay open until this is closed.
     */
    static ExportHolders start(DataSource dataSource, Connection c, String sql, Binder binder, int batch,
                               RowReader reader, Lanes lanes) throws SQLException {
        ExportHolders h = new ExportHolders(c, sql, binder, batch, reader, lanes);
        if (lanes.tryTake()) {
            // The lane is the reader's to give back once it runs; until then, this method's.
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_export_snapshot()")) {
                rs.next();
                String snapshot = rs.getString(1);
                h.background = READERS.submit(() -> h.readBeside(dataSource, snapshot));
            } catch (SQLException | RuntimeException e) {
                if (h.background == null) {
                    lanes.give();
                }
                throw e;
            }
        }
        return h;
    }

    /** The next holder in host ID order, or null after the last. */
    Holder next() throws SQLException {
        if (background == null) {
            return nextInline();
        }
        while (at == current.size()) {
            if (ended) {
                return null;
            }
            Object o = take();
            if (o == END) {
                ended = true;
                return null;
            }
            if (o instanceof Throwable t) {
                if (!started) {
                    // Nothing was handed out yet: read them here instead (a failure of the statement itself recurs).
                    log.warn("reading the export's holders beside it failed ({}); reading them after the rest",
                            t.toString());
                    finishBackground();
                    background = null;
                    return nextInline();
                }
                throw t instanceof SQLException s ? s
                        : new SQLException("reading the export's holders failed: " + t.getMessage(), t);
            }
            @SuppressWarnings("unchecked")
            List<Holder> b = (List<Holder>) o;
            current = b;
            at = 0;
        }
        started = true;
        return current.get(at++);
    }

    private Object take() throws SQLException {
        try {
            return queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while reading the export's holders", e);
        }
    }

    private Holder nextInline() throws SQLException {
        if (inlineRows == null) {
            inlineStatement = exportConnection.prepareStatement(sql);
            inlineStatement.setFetchSize(batch);
            binder.bind(inlineStatement);
            inlineRows = inlineStatement.executeQuery();
        }
        return inlineRows.next() ? reader.read(inlineRows) : null;
    }

    /** The background reader: its own connection in the export's snapshot, batches into the queue. */
    private void readBeside(DataSource dataSource, String snapshot) {
        try {
            try (Connection b = dataSource.getConnection()) {
                b.setAutoCommit(false);
                try {
                    try (Statement s = b.createStatement()) {
                        // The pool's readers are REPEATABLE READ and read-only already; saying it again costs nothing
                        // here (one round trip with the import) and holds for any pool.
                        s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '"
                                + snapshot.replace("'", "''") + "'");
                    }
                    try (PreparedStatement ps = b.prepareStatement(sql)) {
                        ps.setFetchSize(batch);
                        binder.bind(ps);
                        try (ResultSet rs = ps.executeQuery()) {
                            List<Holder> rows = new ArrayList<>(batch);
                            while (!closed && rs.next()) {
                                rows.add(reader.read(rs));
                                if (rows.size() == batch) {
                                    if (!put(rows)) {
                                        return;
                                    }
                                    rows = new ArrayList<>(batch);
                                }
                            }
                            if (!rows.isEmpty() && !put(rows)) {
                                return;
                            }
                        }
                    }
                    b.commit();
                } finally {
                    try {
                        b.rollback(); // no-op after the commit; ends the transaction after a failure
                        b.setAutoCommit(true);
                    } catch (SQLException ignored) {
                        // the pool checks the connection before handing it out again
                    }
                }
            }
            if (put(END)) {
                BESIDE.incrementAndGet();
            }
        } catch (Throwable t) {
            put(t);
        } finally {
            lanes.give();
        }
    }

    /** Puts o on the queue unless the export was closed first; false when it was. */
    private boolean put(Object o) {
        try {
            while (!closed) {
                if (queue.offer(o, 100, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private void finishBackground() {
        closed = true;
        queue.clear();
        try {
            background.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            log.warn("the export's holders reader did not stop: {}", e.toString());
        }
    }

    /** Stops the reader (if any) and waits for it to give its connection back; closes the inline cursor. */
    @Override
    public void close() throws SQLException {
        if (background != null) {
            finishBackground();
            background = null;
        }
        try {
            if (inlineRows != null) {
                inlineRows.close();
            }
        } finally {
            if (inlineStatement != null) {
                inlineStatement.close();
            }
        }
    }
}
