package io.layeratlas.db.index;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The indexer's own recounts of what it derives from {@code host_images} and {@code host_layers}, for a loader that
 * writes those tables itself instead of through the indexer (the bench's COPY baseline, {@code bench.store.CopyLoader}),
 * so that its database answers the queries as an indexed one does. Each runs as one statement on the caller's
 * connection, in the caller's transaction; the caller keeps indexers out meanwhile. Stateless.
 */
public final class BulkRecount {
    private BulkRecount() {
    }

    /**
     * Recounts every host's totals (V12: {@code image_count}, {@code shown_image_count}, {@code layer_count},
     * {@code stored_bytes}) as {@link IndexWriter#recount} does.
     *
     * @return host rows whose totals changed
     */
    public static int hostTotals(Connection c) throws SQLException {
        return HostStore.recountAllTotals(c);
    }

    /**
     * Recounts the fleet's tags of every image (V13 {@code image_tags}) as {@link IndexWriter#recount} does.
     *
     * @return rows inserted, changed or deleted
     */
    public static int imageTags(Connection c) throws SQLException {
        return UsageStore.recountTags(c);
    }
}
