package io.layeratlas.db.index;

import io.layeratlas.events.CompressedDigest;
import io.layeratlas.events.Digest;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code layers} aggregate: layers by chain ID, their usage row, and {@code layer_blobs}.
 * Layers are content-addressed and never deleted; a later report fills what an earlier one left unknown
 * (size, parent, v1 ID) but never overwrites a known value, so redelivery and replay are harmless.
 */
final class LayerStore {

    /** One layer as some event describes it, and when it was seen (a scan time; null: now); null fields are unknown. */
    record LayerRow(Digest chainId, Digest diffId, Digest parentChainId, Long size, String v1Id, Instant seen) {
        LayerRow merge(LayerRow other) {
            return new LayerRow(chainId, diffId,
                    parentChainId != null ? parentChainId : other.parentChainId,
                    size != null ? size : other.size,
                    v1Id != null ? v1Id : other.v1Id,
                    seen == null ? other.seen : other.seen == null || seen.isBefore(other.seen) ? seen : other.seen);
        }
    }

    // Answers the stored layers whose size this statement filled (the CTE "unsized" reads the rows as they were before
    // it): their holders' stored bytes move (HostStore.sizesFilled). A new row has no holder yet.
    private static final String UPSERT_LAYERS = """
            WITH unsized AS (SELECT layer_key FROM layers WHERE chain_id = ANY (?::text[]) AND size IS NULL),
            up AS (
            INSERT INTO layers (chain_id, diff_id, parent_chain_id, size, v1_id, first_seen)
            SELECT t.chain_id, t.diff_id, t.parent_chain_id, t.size, t.v1_id, COALESCE(t.seen::timestamptz, now())
              FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[])
                   AS t(chain_id, diff_id, parent_chain_id, size, v1_id, seen)
             ORDER BY t.chain_id
            ON CONFLICT (chain_id) DO UPDATE SET
                parent_chain_id = COALESCE(layers.parent_chain_id, EXCLUDED.parent_chain_id),
                size            = COALESCE(layers.size, EXCLUDED.size),
                v1_id           = COALESCE(layers.v1_id, EXCLUDED.v1_id),
                first_seen      = LEAST(layers.first_seen, EXCLUDED.first_seen)
             WHERE (layers.parent_chain_id IS NULL AND EXCLUDED.parent_chain_id IS NOT NULL)
                OR (layers.size IS NULL AND EXCLUDED.size IS NOT NULL)
                OR (layers.v1_id IS NULL AND EXCLUDED.v1_id IS NOT NULL)
                OR layers.first_seen > EXCLUDED.first_seen
            RETURNING layer_key, size)
            SELECT up.layer_key, up.size FROM up JOIN unsized USING (layer_key) WHERE up.size IS NOT NULL
            """;

    private static final String ENSURE_USAGE = """
            INSERT INTO layer_usage (layer_key)
            SELECT layer_key FROM layers WHERE chain_id = ANY(?::text[]) ORDER BY layer_key
            ON CONFLICT (layer_key) DO NOTHING
            """;

    private static final String KEYS = "SELECT chain_id, layer_key, size FROM layers WHERE chain_id = ANY(?::text[])";

    private static final String UPSERT_BLOBS = """
            INSERT INTO layer_blobs (diff_id, compressed_digest, media_type, source_repository)
            SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[])
            ON CONFLICT (diff_id, compressed_digest) DO UPDATE SET
                media_type        = COALESCE(layer_blobs.media_type, EXCLUDED.media_type),
                source_repository = COALESCE(layer_blobs.source_repository, EXCLUDED.source_repository)
             WHERE (layer_blobs.media_type IS NULL AND EXCLUDED.media_type IS NOT NULL)
                OR (layer_blobs.source_repository IS NULL AND EXCLUDED.source_repository IS NOT NULL)
            """;

    private LayerStore() {
    }

    /** The rows for an image's layer stack: chain ID, diff ID and parent chain ID are implied by the stack. */
    static List<LayerRow> stackRows(List<Digest> diffIds, List<Digest> chainIds, Instant seen) {
        List<LayerRow> rows = new ArrayList<>(chainIds.size());
        for (int i = 0; i < chainIds.size(); i++) {
            rows.add(new LayerRow(chainIds.get(i), diffIds.get(i), i == 0 ? null : chainIds.get(i - 1), null, null, seen));
        }
        return rows;
    }

    /**
     * Inserts or completes the layers (duplicates in {@code rows} are merged, the earliest seen kept) and makes sure
     * each has a {@code layer_usage} row. Three statements whatever the number of rows.
     *
     * @return layer key by chain ID, for every chain ID in {@code rows}
     */
    static Map<Digest, Long> upsert(Statements st, Collection<LayerRow> rows) throws SQLException {
        Connection c = st.connection();
        // Hashed, not sorted: a batch of fleet snapshots names each base layer thousands of times, and a sorted map's
        // string comparisons were the largest part of the applying thread's time (JFR, 1,000 hosts × 200 images).
        // The statement orders its rows itself.
        Map<Digest, LayerRow> byChain = new HashMap<>(Math.max(16, rows.size() / 4));
        for (LayerRow row : rows) {
            byChain.merge(row.chainId(), row, LayerRow::merge);
        }
        Map<Digest, Long> keys = new HashMap<>();
        KnownFacts.Session known = st.known();
        // What the writer knows is stored already and this batch cannot change is not sent again.
        Map<Digest, KnownFacts.Layer> before = new HashMap<>();
        for (var it = byChain.values().iterator(); it.hasNext(); ) {
            LayerRow row = it.next();
            KnownFacts.Layer k = known.layer(row.chainId());
            if (k != null && k.covers(row)) {
                keys.put(row.chainId(), k.key());
                it.remove();
            } else if (k != null) {
                before.put(row.chainId(), k);
            }
        }
        if (byChain.isEmpty()) {
            return keys;
        }
        List<String> chains = new ArrayList<>();
        List<String> diffs = new ArrayList<>();
        List<String> parents = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        List<String> v1Ids = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (LayerRow row : byChain.values()) {
            seen.add(Sql.iso(row.seen()));
            chains.add(row.chainId().toString());
            diffs.add(row.diffId().toString());
            parents.add(row.parentChainId() == null ? null : row.parentChainId().toString());
            sizes.add(row.size());
            v1Ids.add(row.v1Id());
        }
        java.util.Map<Long, Long> sized = new java.util.LinkedHashMap<>();
        try (PreparedStatement ps = st.prepare(UPSERT_LAYERS)) {
            java.sql.Array chainArray = Sql.texts(c, chains);
            ps.setArray(1, chainArray);
            ps.setArray(2, chainArray);
            ps.setArray(3, Sql.texts(c, diffs));
            ps.setArray(4, Sql.texts(c, parents));
            ps.setArray(5, Sql.longs(c, sizes));
            ps.setArray(6, Sql.texts(c, v1Ids));
            ps.setArray(7, Sql.texts(c, seen));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    sized.put(rs.getLong(1), rs.getLong(2));
                }
            }
        }
        HostStore.sizesFilled(st, sized);
        try (PreparedStatement ps = st.prepare(ENSURE_USAGE)) {
            ps.setArray(1, Sql.texts(c, chains));
            ps.executeUpdate();
        }
        // The keys, and the sizes as stored now (filled by this statement or before; a stored size never changes): the
        // host totals move by them without reading layers again (HostStore.moveLayerTotals).
        Map<Digest, Long> storedSizes = new HashMap<>();
        try (PreparedStatement ps = st.prepare(KEYS)) {
            ps.setArray(1, Sql.texts(c, chains));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Digest chain = Digest.parse(rs.getString(1));
                    keys.put(chain, rs.getLong(2));
                    long size = rs.getLong(3);
                    if (!rs.wasNull()) {
                        storedSizes.put(chain, size);
                    }
                }
            }
        }
        for (LayerRow row : byChain.values()) {
            known.learn(row.chainId(), KnownFacts.Layer.after(before.get(row.chainId()), keys.get(row.chainId()), row,
                    storedSizes.get(row.chainId())));
        }
        return keys;
    }

    /** Records the compressed (blob) digests known for diff IDs; fills a missing media type or repository. */
    static void upsertBlobs(Statements st, Map<Digest, ? extends Collection<CompressedDigest>> byDiffId) throws SQLException {
        Connection c = st.connection();
        Map<KnownFacts.BlobKey, CompressedDigest> unique = new HashMap<>();
        byDiffId.forEach((diffId, blobs) -> {
            for (CompressedDigest blob : blobs) {
                // Every host of a batch names the blobs of a shared layer: keep the first unless another fills a gap.
                unique.merge(new KnownFacts.BlobKey(diffId, blob.digest()), blob, (a, b) ->
                        (a.mediaType() != null || b.mediaType() == null) && (a.sourceRepository() != null || b.sourceRepository() == null)
                                ? a : new CompressedDigest(a.digest(), a.mediaType() != null ? a.mediaType() : b.mediaType(),
                                a.sourceRepository() != null ? a.sourceRepository() : b.sourceRepository()));
            }
        });
        KnownFacts.Session known = st.known();
        unique.entrySet().removeIf(e -> {
            KnownFacts.Blob k = known.blob(e.getKey());
            return k != null && k.covers(e.getValue());
        });
        if (unique.isEmpty()) {
            return;
        }
        List<String> diffs = new ArrayList<>();
        List<String> digests = new ArrayList<>();
        List<String> types = new ArrayList<>();
        List<String> repos = new ArrayList<>();
        // The distinct blobs in key order, so concurrent writers take their row locks in the same order.
        List<Map.Entry<KnownFacts.BlobKey, CompressedDigest>> ordered = new ArrayList<>(unique.entrySet());
        ordered.sort(Map.Entry.comparingByKey(java.util.Comparator.comparing(KnownFacts.BlobKey::diffId)
                .thenComparing(KnownFacts.BlobKey::compressed)));
        ordered.forEach(e -> {
            KnownFacts.BlobKey k = e.getKey();
            CompressedDigest blob = e.getValue();
            diffs.add(k.diffId().toString());
            digests.add(blob.digest().toString());
            types.add(blob.mediaType());
            repos.add(blob.sourceRepository());
        });
        try (PreparedStatement ps = st.prepare(UPSERT_BLOBS)) {
            ps.setArray(1, Sql.texts(c, diffs));
            ps.setArray(2, Sql.texts(c, digests));
            ps.setArray(3, Sql.texts(c, types));
            ps.setArray(4, Sql.texts(c, repos));
            ps.executeUpdate();
        }
        unique.forEach((k, blob) -> {
            KnownFacts.Blob was = known.blob(k);
            known.learn(k, new KnownFacts.Blob(blob.mediaType() != null || (was != null && was.mediaTypeKnown()),
                    blob.sourceRepository() != null || (was != null && was.sourceRepositoryKnown())));
        });
    }
}
