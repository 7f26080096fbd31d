package io.layeratlas.db.index;

import io.layeratlas.events.CompressedDigest;
import io.layeratlas.events.Digest;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one writer knows the index already holds of the content-addressed facts, so a batch does not send again what
 * could change nothing: at fleet scale every host names the same base layers, and re-upserting them is most of the
 * work a batch of known images costs. It only ever says "this write would change nothing" when that is certain from
 * committed transactions of this writer: layers are never deleted and a stored value is never overwritten by a later
 * report ({@link LayerStore}), so knowledge learned once stays true until {@link #clear()} (the index dropped).
 *
 * <p>A transaction learns through its own {@link Session}; what it learned becomes known only if it commits
 * ({@link Session#publish()}), never after a rollback. Thread-safe.
 */
final class KnownFacts {

    /**
     * A stored layer: its key, which of the fillable columns are known (non-null) in the row, its size in bytes as
     * stored (null: not known to be stored; a stored size never changes), and a bound on its {@code first_seen} (the
     * row's value is at most this; null: no bound known).
     */
    record Layer(long key, boolean parentKnown, Long size, boolean v1Known, Instant firstSeenAtMost) {
        boolean sizeKnown() {
            return size != null;
        }

        /** Whether upserting {@code row} would leave the stored row as it is ({@link LayerStore}'s upsert rules). */
        boolean covers(LayerStore.LayerRow row) {
            return (row.parentChainId() == null || parentKnown) && (row.size() == null || sizeKnown())
                    && (row.v1Id() == null || v1Known)
                    && row.seen() != null && firstSeenAtMost != null && !row.seen().isBefore(firstSeenAtMost);
        }

        /**
         * What is known after {@code row} was upserted into a row known as this (or, {@code before} null, unknown) and
         * the row read back: {@code storedSize} is the size the row holds then (null: none).
         */
        static Layer after(Layer before, long key, LayerStore.LayerRow row, Long storedSize) {
            Instant bound = before == null ? null : before.firstSeenAtMost;
            if (row.seen() != null) {
                bound = bound == null || row.seen().isBefore(bound) ? row.seen() : bound;
            }
            return new Layer(key,
                    row.parentChainId() != null || (before != null && before.parentKnown),
                    storedSize != null ? storedSize : before != null ? before.size : null,
                    row.v1Id() != null || (before != null && before.v1Known),
                    bound);
        }
    }

    /** A stored {@code layer_blobs} row: which of its fillable columns are known. */
    record Blob(boolean mediaTypeKnown, boolean sourceRepositoryKnown) {
        boolean covers(CompressedDigest blob) {
            return (blob.mediaType() == null || mediaTypeKnown) && (blob.sourceRepository() == null || sourceRepositoryKnown);
        }
    }

    private final Map<Digest, Layer> layers = new ConcurrentHashMap<>();
    /** Layer key -> its stored size in bytes, for the layers whose size is known to be stored (sizes never change). */
    private final Map<Long, Long> sizes = new ConcurrentHashMap<>();
    private final Map<BlobKey, Blob> blobs = new ConcurrentHashMap<>();
    private final Set<Long> dockerParentLinked = ConcurrentHashMap.newKeySet();

    /** A new transaction's view: reads what is known, collects what it learns. */
    Session session() {
        return new Session();
    }

    /** Forgets everything (the index was dropped: keys restart). */
    void clear() {
        layers.clear();
        sizes.clear();
        blobs.clear();
        dockerParentLinked.clear();
    }

    /** Layers known; for tests and metrics. */
    int layerCount() {
        return layers.size();
    }

    /** A blob of a diff ID: the key of {@code layer_blobs}. */
    record BlobKey(Digest diffId, Digest compressed) {
    }

    /** One transaction's view. Not thread-safe (a transaction is used by one thread). */
    final class Session {
        private final Map<Digest, Layer> learnedLayers = new HashMap<>();
        private final Map<Long, Long> learnedSizes = new HashMap<>();
        private final Map<BlobKey, Blob> learnedBlobs = new HashMap<>();
        private final Set<Long> learnedParents = new HashSet<>();

        Layer layer(Digest chainId) {
            Layer l = learnedLayers.get(chainId);
            return l != null ? l : layers.get(chainId);
        }

        void learn(Digest chainId, Layer layer) {
            learnedLayers.put(chainId, layer);
            if (layer.sizeKnown()) {
                learnedSizes.put(layer.key(), layer.size());
            }
        }

        /** The stored size of the layer with this key, in bytes; null when not known to be stored. */
        Long layerSize(long key) {
            Long size = learnedSizes.get(key);
            return size != null ? size : sizes.get(key);
        }

        Blob blob(BlobKey key) {
            Blob b = learnedBlobs.get(key);
            return b != null ? b : blobs.get(key);
        }

        void learn(BlobKey blobKey, Blob blob) {
            learnedBlobs.put(blobKey, blob);
        }

        /** Whether the child's Docker parent row was already attempted (the first report wins: a retry changes nothing). */
        boolean dockerParentLinked(long child) {
            return learnedParents.contains(child) || dockerParentLinked.contains(child);
        }

        void learnDockerParentLinked(long child) {
            learnedParents.add(child);
        }

        /** Makes what this transaction learned known to later ones: call only after it committed. */
        void publish() {
            layers.putAll(learnedLayers);
            sizes.putAll(learnedSizes);
            blobs.putAll(learnedBlobs);
            dockerParentLinked.addAll(learnedParents);
        }
    }
}
