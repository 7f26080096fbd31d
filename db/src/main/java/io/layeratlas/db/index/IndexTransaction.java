package io.layeratlas.db.index;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.layeratlas.events.CompressedDigest;
import io.layeratlas.events.Digest;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.Heartbeat;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One open database transaction of the index's write side, handed out by {@link IndexWriter#inTransaction}.
 * Every method is an idempotent effect of one event: applying the same event again changes nothing.
 * Not thread-safe: use it only inside the work function it was passed to, on that thread.
 *
 * <p>Errors: {@link TransientDatabaseException} when the database is unavailable or the transaction must be
 * retried (deadlock, serialization failure); {@link RejectedEventException} when the database refuses the
 * event's data. Use {@link #attempt} to confine a refusal to one event.
 */
public final class IndexTransaction {

    private final Connection c;

    IndexTransaction(Connection connection) {
        this.c = connection;
    }

    /**
     * Runs one event's effects under a savepoint. If the database refuses the data, or the effect fails with
     * anything but a transient database error, only that event's effects are rolled back and the reason is
     * returned, so the caller can dead-letter it and go on with the batch.
     *
     * @return empty when applied, else why it was refused
     * @throws TransientDatabaseException when the whole transaction must be retried
     */
    public Optional<String> attempt(Runnable effect) {
        Savepoint savepoint;
        try {
            savepoint = c.setSavepoint();
        } catch (SQLException e) {
            throw new TransientDatabaseException("cannot set a savepoint: " + SqlErrors.describe(e), e);
        }
        try {
            effect.run();
        } catch (TransientDatabaseException e) {
            throw e;
        } catch (RuntimeException e) {
            try {
                c.rollback(savepoint);
            } catch (SQLException rollbackFailed) {
                throw new TransientDatabaseException("cannot roll back to a savepoint: " + rollbackFailed.getMessage(), rollbackFailed);
            }
            return Optional.of(e instanceof RejectedEventException ? e.getMessage()
                    : "indexer could not apply it: " + e);
        }
        try {
            c.releaseSavepoint(savepoint);
        } catch (SQLException e) {
            throw new TransientDatabaseException("cannot release a savepoint: " + e.getMessage(), e);
        }
        return Optional.empty();
    }

    /**
     * Locks a partition's stored offset for this transaction, so that two consumers that both believe they own
     * a partition (one of them a zombie after a rebalance) apply its records one after the other.
     *
     * @param firstOffset the batch's first offset in the partition; stored if the partition has no row yet
     * @return the next offset to apply: records below it are already in the index and must be skipped
     */
    public long claimPartition(String group, String topic, int partition, long firstOffset) {
        return sql("claiming " + topic + "-" + partition, () -> OffsetStore.claim(c, group, topic, partition, firstOffset));
    }

    /** Stores the next offset to consume, committed together with the effects of the records before it. */
    public void saveOffset(String group, String topic, int partition, long nextOffset) {
        sql("saving the offset of " + topic + "-" + partition, () -> {
            OffsetStore.save(c, group, topic, partition, nextOffset);
            return null;
        });
    }

    /** Applies any event of the contract. */
    public void apply(LayerAtlasEvent event) {
        if (event instanceof HostSnapshot s) {
            applySnapshotChunk(s);
        } else if (event instanceof ImageConfigEvent e) {
            applyImageConfig(e);
        } else if (event instanceof Heartbeat h) {
            applyHeartbeat(h);
        } else {
            throw new IllegalArgumentException("unknown event type " + event.getClass().getName());
        }
    }

    /**
     * Applies one snapshot chunk. A single-chunk snapshot of a newer generation replaces the host's state at
     * once; a chunk of a multi-chunk snapshot is stored until every chunk of its generation is there, and the
     * chunk that completes it applies the whole generation. An older or equal generation changes nothing.
     * Replacing the state means: the host row, images, layers, blobs, the host's images and layers, the
     * 'added'/'removed' {@code host_changes}, the usage counters and the lineage, all in this transaction.
     */
    public SnapshotOutcome applySnapshotChunk(HostSnapshot chunk) {
        return sql("applying snapshot " + chunk.generation() + " chunk " + chunk.chunk() + " of host " + chunk.hostId(), () -> {
            HostStore.HostRow host = HostStore.ensureAndLock(c, chunk.hostId(), chunk.scannedAt());
            if (chunk.generation() <= host.generation()) {
                return SnapshotOutcome.STALE;
            }
            HostSnapshot complete;
            if (chunk.chunkCount() == 1) {
                complete = chunk;
            } else {
                List<HostSnapshot> chunks = PendingChunkStore.addAndCollect(c, chunk);
                if (chunks.isEmpty()) {
                    return SnapshotOutcome.PENDING;
                }
                complete = merge(chunks);
            }
            applyComplete(host, complete);
            PendingChunkStore.deleteUpTo(c, chunk.hostId(), chunk.generation());
            return SnapshotOutcome.APPLIED;
        });
    }

    /**
     * Applies an image config: the config (jsonb), created, os/arch and history; the layer stack if it is not
     * known yet (then the usage counters and lineage follow). Creates the image if no inventory named it yet.
     */
    public void applyImageConfig(ImageConfigEvent event) {
        sql("applying the config of image " + event.imageId(), () -> {
            ImageRecord image = event.image();
            Map<Digest, Long> layerKeys = LayerStore.upsert(c, LayerStore.stackRows(image.diffIds(), image.chainIds()), null);
            ImageStore.ImageRow row = ImageStore.ensureAndLock(c, List.of(event.imageId()), null).get(event.imageId());
            ImageStore.setConfig(c, row.key(), event.config(), image);
            if (row.layerCount() == null) {
                ImageStore.writeStack(c, row.key(), image.chainIds().stream().map(layerKeys::get).toList());
                UsageStore.stackAdded(c, row.key());
                LineageStore.stacksAdded(c, List.of(row.key()));
            }
            ImageStore.writeHistory(c, row.key(), image.history(), true);
            return null;
        });
    }

    /** Records a host's heartbeat ({@code hosts.last_heartbeat_at}); an older one than stored changes nothing. */
    public void applyHeartbeat(Heartbeat heartbeat) {
        sql("applying a heartbeat of host " + heartbeat.hostId(), () -> {
            HostStore.heartbeat(c, heartbeat);
            return null;
        });
    }

    /**
     * Retires a host: removes what it holds (the counters follow) and marks it retired. Its row and generation
     * stay, so older snapshots stay ignored; a newer snapshot brings the host back.
     *
     * @return false if no such host
     */
    boolean retireHost(String hostId) throws SQLException {
        Optional<HostStore.HostRow> host = HostStore.lock(c, hostId);
        if (host.isEmpty()) {
            return false;
        }
        Set<Long> tagFlips = HostContentsStore.replace(c, host.get().key(), host.get().generation(), null, Map.of(), Map.of(), Map.of(), false);
        HostStore.markRetired(c, host.get().key());
        // Images tagged only on this host are no longer "tagged somewhere": the bases built on them may change.
        LineageStore.update(c, List.of(), host.get().key(), tagFlips);
        return true;
    }

    Connection connection() {
        return c;
    }

    private void applyComplete(HostStore.HostRow host, HostSnapshot s) throws SQLException {
        var at = s.scannedAt();
        List<LayerStore.LayerRow> rows = new ArrayList<>();
        Map<Digest, List<CompressedDigest>> blobs = new HashMap<>();
        for (LayerRecord l : s.layers()) {
            rows.add(new LayerStore.LayerRow(l.chainId(), l.diffId(), l.parentChainId(), Sql.knownOrNull(l.size()), l.v1Id()));
            if (!l.compressedDigests().isEmpty()) {
                blobs.computeIfAbsent(l.diffId(), k -> new ArrayList<>()).addAll(l.compressedDigests());
            }
        }
        Map<Digest, ImageRecord> images = new LinkedHashMap<>();
        for (ImageRecord i : s.images()) {
            images.putIfAbsent(i.id(), i);
            rows.addAll(LayerStore.stackRows(i.diffIds(), i.chainIds()));
        }
        Map<Digest, Long> layerKeys = LayerStore.upsert(c, rows, at);
        LayerStore.upsertBlobs(c, blobs);

        Set<Digest> imageIds = new LinkedHashSet<>(images.keySet());
        images.values().stream().map(ImageRecord::parent).filter(p -> p != null).forEach(imageIds::add);
        Map<Digest, ImageStore.ImageRow> imageRows = ImageStore.ensureAndLock(c, imageIds, at);

        Map<Long, ImageRecord> byKey = new HashMap<>();
        Map<Long, String> idByKey = new HashMap<>();
        Map<Long, Long> dockerParents = new HashMap<>();
        List<Long> newStacks = new ArrayList<>();
        for (ImageRecord image : images.values()) {
            ImageStore.ImageRow row = imageRows.get(image.id());
            byKey.put(row.key(), image);
            idByKey.put(row.key(), image.id().toString());
            if (row.layerCount() == null && !image.chainIds().isEmpty()) {
                ImageStore.writeStack(c, row.key(), image.chainIds().stream().map(layerKeys::get).toList());
                UsageStore.stackAdded(c, row.key());
                ImageStore.writeHistory(c, row.key(), image.history(), false);
                newStacks.add(row.key());
            }
            if (image.parent() != null) {
                dockerParents.put(row.key(), imageRows.get(image.parent()).key());
            }
        }
        ImageStore.fillFacts(c, byKey, at);
        ImageStore.linkDockerParents(c, dockerParents);

        Map<Long, String> held = new HashMap<>();
        for (LayerRecord l : s.layers()) {
            held.put(layerKeys.get(l.chainId()), l.chainId().toString());
        }
        for (ImageRecord image : images.values()) {
            for (Digest chainId : image.chainIds()) {
                held.put(layerKeys.get(chainId), chainId.toString());
            }
        }
        Set<Long> tagFlips = HostContentsStore.replace(c, host.key(), s.generation(), at, byKey, idByKey, held, true);
        HostStore.snapshotApplied(c, host.key(), s, problemsJson(s.problems()));
        // After snapshotApplied: a retired host this snapshot brings back counts again for "tagged somewhere".
        LineageStore.update(c, newStacks, host.key(), tagFlips);
    }

    /** One snapshot from all chunks of a generation: chunk 0's metadata, every chunk's images, layers and problems. */
    static HostSnapshot merge(List<HostSnapshot> chunks) {
        HostSnapshot first = chunks.get(0);
        List<ImageRecord> images = new ArrayList<>();
        List<LayerRecord> layers = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        for (HostSnapshot chunk : chunks) {
            images.addAll(chunk.images());
            layers.addAll(chunk.layers());
            problems.addAll(chunk.problems());
        }
        return new HostSnapshot(first.schemaVersion(), first.hostId(), first.generation(), 0, 1, first.scannedAt(),
                first.agentVersion(), first.sourceKind(), first.source(), images, layers, problems);
    }

    private static String problemsJson(List<Problem> problems) {
        try {
            return EventCodec.mapper().writeValueAsString(problems);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode problems", e);
        }
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
