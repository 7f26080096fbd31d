package io.layeratlas.db.index;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.layeratlas.events.CompressedDigest;
import io.layeratlas.events.Digest;
import io.layeratlas.events.EventCodec;
import io.layeratlas.events.Holdings;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerRecord;
import io.layeratlas.events.Problem;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Applies an {@link IndexBatch} with a fixed number of set-based statements (DESIGN.md, "The indexer"):
 * <ol>
 *   <li>hosts created and their rows locked; pending chunks of the batch's multi-chunk generations loaded;</li>
 *   <li>in plain Java, per host and in stream order, which generations the batch completes (a chunk of an older or
 *       equal generation is stale; a resend whose envelope matches the host's holdings is complete without its
 *       value); exactly the generations the same records applied one at a time would apply, so the change log is
 *       the same whatever the batch boundaries;</li>
 *   <li>heartbeats; then everything the batch says about layers, blobs, images, configs, stacks, histories and
 *       Docker parents, each one statement for the whole batch;</li>
 *   <li>per round (the first completed generation of every host, then the second of hosts that completed two…):
 *       the hosts' contents merged ({@link HostContentsStore#replace}), counters by delta, change log, their
 *       containers and metadata ({@link HostRuntimeStore}), host rows; then once, the image totals of every merged
 *       host whose images changed in some round ({@link HostStore#recountImageTotals}; a fresh host's totals are
 *       recounted and a merged host's layer totals move with its layers in {@link HostContentsStore#replace});</li>
 *   <li>pending chunks stored and dropped; layers' packages written and the effective packages of the images they or
 *       a new stack touch recomputed ({@link PackageStore}); the inferred bases recomputed once ({@link LineageStore}).</li>
 * </ol>
 * Not thread-safe; used inside one transaction.
 */
final class BatchApplier {

    private final Statements s;

    BatchApplier(Statements s) {
        this.s = s;
    }

    /** A complete generation of one host: {@code snapshot} null when it is a resend recognised by its envelope. */
    private record Gen(long generation, Instant scannedAt, HostSnapshot snapshot, Digest holdings) {
    }

    /** A chunk known to the batch: from a record ({@code value} its bytes, maybe null) or from the pending table. */
    private record Part(HostSnapshot chunk, byte[] value, Digest holdings, boolean stored) {
    }

    /** One host's walk through the batch. */
    private static final class Walk {
        final HostStore.HostRow host;
        long current;
        Digest holdings;
        final List<Gen> gens = new ArrayList<>();
        // generation → chunk count → chunk → part
        final Map<Long, Map<Integer, Map<Integer, Part>>> parts = new TreeMap<>();

        Walk(HostStore.HostRow host) {
            this.host = host;
            this.current = host.generation();
            this.holdings = host.holdings();
        }
    }

    BatchOutcome apply(IndexBatch batch) throws SQLException {
        s.execute(HostContentsStore.TEMP_TABLES);
        List<IndexBatch.Item> items = batch.items();
        Map<Integer, String> outcomes = new HashMap<>();

        Map<String, Instant> firstSeen = new HashMap<>();
        Set<String> snapshotHosts = new TreeSet<>();
        for (IndexBatch.Item item : items) {
            if (IndexBatch.isSnapshot(item)) {
                String host = IndexBatch.hostOf(item);
                snapshotHosts.add(host);
                firstSeen.merge(host, scannedAt(item), BatchApplier::earliest);
            } else if (((IndexBatch.Decoded) item).event() instanceof io.layeratlas.events.Heartbeat h) {
                firstSeen.merge(h.hostId(), h.at(), BatchApplier::earliest);
            }
        }
        Map<String, HostStore.HostRow> hosts = HostStore.ensureAndLock(s, firstSeen, snapshotHosts);

        Map<String, Walk> walks = new TreeMap<>();
        for (String h : snapshotHosts) {
            walks.put(h, new Walk(hosts.get(h)));
        }
        loadPending(items, walks);

        List<Integer> needDecode = new ArrayList<>();
        for (IndexBatch.Item item : items) {
            if (!IndexBatch.isSnapshot(item)) {
                outcomes.put(item.ref(), "applied");
                continue;
            }
            Walk w = walks.get(IndexBatch.hostOf(item));
            outcomes.put(item.ref(), walk(w, item, needDecode));
        }
        if (!needDecode.isEmpty()) {
            return new BatchOutcome(outcomes, needDecode, s.count());
        }

        HostStore.heartbeats(s, batch.heartbeats());
        Facts facts = applyFacts(batch.configs(), walks.values());

        int rounds = walks.values().stream().mapToInt(w -> w.gens.size()).max().orElse(0);
        boolean contentsChanged = false;
        Set<Integer> changedHosts = new TreeSet<>();
        for (int k = 0; k < rounds; k++) {
            List<HostContentsStore.NewContents> contents = new ArrayList<>();
            List<HostStore.Applied> applied = new ArrayList<>();
            List<HostRuntimeStore.Runtime> runtime = new ArrayList<>();
            for (Walk w : walks.values()) {
                if (w.gens.size() <= k) {
                    continue;
                }
                Gen g = w.gens.get(k);
                HostStore.HostRow host = w.host;
                if (g.snapshot() == null) {
                    applied.add(new HostStore.Applied(host.key(), g.generation(), g.scannedAt(), false, null, null, null,
                            null, g.holdings()));
                    continue;
                }
                HostSnapshot snap = g.snapshot();
                boolean wasEmpty = k == 0 && (host.generation() < 0 || host.retired());
                contents.add(new HostContentsStore.NewContents(host.key(), g.generation(), g.scannedAt(),
                        heldImages(snap, facts), heldLayers(snap, facts), true, wasEmpty));
                runtime.add(new HostRuntimeStore.Runtime(host.key(), snap.containers(), snap.host()));
                applied.add(new HostStore.Applied(host.key(), g.generation(), g.scannedAt(), true, snap.source(),
                        snap.sourceKind(), snap.agentVersion(), problemsJson(snap.problems()), g.holdings()));
            }
            changedHosts.addAll(HostContentsStore.replace(s, contents));
            if (!contents.isEmpty()) {
                HostRuntimeStore.replaceContainers(s, runtime);
                HostRuntimeStore.updateMetadata(s, runtime);
            }
            contentsChanged |= !contents.isEmpty();
            HostStore.applied(s, applied);
        }
        // Once for the batch, after its last round: a host changed in any round is recounted from what it holds now.
        HostStore.recountImageTotals(s, changedHosts);

        storePending(walks.values());
        PackageStore.apply(s, batch.layerPackages(), facts.newStacks());
        if (contentsChanged || !facts.newStacks.isEmpty()) {
            LineageStore.recompute(s);
        }
        return new BatchOutcome(outcomes, List.of(), s.count());
    }

    /** Retires a host: its contents go (counters follow, no change log), its row stays, marked retired. */
    boolean retire(String hostId) throws SQLException {
        s.execute(HostContentsStore.TEMP_TABLES);
        Map<String, HostStore.HostRow> rows = HostStore.lock(s, List.of(hostId));
        HostStore.HostRow host = rows.get(hostId);
        if (host == null) {
            return false;
        }
        Set<Integer> emptied = HostContentsStore.replace(s, List.of(new HostContentsStore.NewContents(host.key(),
                host.generation(), Instant.now(), Map.of(), new long[0], false, false)));
        HostStore.recountImageTotals(s, emptied);
        HostRuntimeStore.replaceContainers(s, List.of()); // a retired host runs nothing the index knows of
        HostStore.markRetired(s, host.key());
        // Images tagged only on this host are no longer "tagged somewhere": the bases built on them may change.
        LineageStore.recompute(s);
        return true;
    }

    private String walk(Walk w, IndexBatch.Item item, List<Integer> needDecode) {
        if (item instanceof IndexBatch.Unchanged u) {
            long g = u.envelope().generation();
            if (g <= w.current) {
                return "stale";
            }
            if (!Objects.equals(u.envelope().holdings(), w.holdings)) {
                needDecode.add(u.ref());
                return "undecided";
            }
            w.gens.add(new Gen(g, u.envelope().scannedAt(), null, w.holdings));
            w.current = g;
            return "unchanged";
        }
        IndexBatch.Decoded d = (IndexBatch.Decoded) item;
        HostSnapshot chunk = (HostSnapshot) d.event();
        if (chunk.generation() <= w.current) {
            return "stale";
        }
        Map<Integer, Part> parts = w.parts.computeIfAbsent(chunk.generation(), g -> new TreeMap<>())
                .computeIfAbsent(chunk.chunkCount(), n -> new TreeMap<>());
        parts.putIfAbsent(chunk.chunk(), new Part(chunk, d.raw(), d.holdings(), false));
        if (parts.size() < chunk.chunkCount()) {
            return "pending";
        }
        List<HostSnapshot> chunks = new ArrayList<>();
        Digest holdings = null;
        for (Part p : parts.values()) {
            chunks.add(p.chunk());
            holdings = holdings != null ? holdings : p.holdings();
        }
        HostSnapshot merged = HostSnapshot.merge(chunks);
        Digest h = holdings != null ? holdings : Holdings.of(merged);
        w.gens.add(new Gen(merged.generation(), merged.scannedAt(), merged, h));
        w.current = merged.generation();
        w.holdings = h;
        return "applied";
    }

    private void loadPending(List<IndexBatch.Item> items, Map<String, Walk> walks) throws SQLException {
        Set<String> pairs = new TreeSet<>();
        List<String> hostIds = new ArrayList<>();
        List<Long> gens = new ArrayList<>();
        for (IndexBatch.Item item : items) {
            if (item instanceof IndexBatch.Decoded d && d.event() instanceof HostSnapshot c && c.chunkCount() > 1
                    && c.generation() > walks.get(c.hostId()).current && pairs.add(c.hostId() + " " + c.generation())) {
                hostIds.add(c.hostId());
                gens.add(c.generation());
            }
        }
        for (HostSnapshot stored : PendingChunkStore.load(s, hostIds, gens)) {
            walks.get(stored.hostId()).parts.computeIfAbsent(stored.generation(), g -> new TreeMap<>())
                    .computeIfAbsent(stored.chunkCount(), n -> new TreeMap<>())
                    .putIfAbsent(stored.chunk(), new Part(stored, null, null, true));
        }
    }

    private void storePending(Iterable<Walk> walks) throws SQLException {
        List<PendingChunkStore.Pending> add = new ArrayList<>();
        Map<String, Long> cut = new TreeMap<>();
        for (Walk w : walks) {
            w.parts.forEach((gen, byCount) -> {
                if (gen > w.current) {
                    byCount.values().forEach(parts -> parts.values().stream().filter(p -> !p.stored())
                            .forEach(p -> add.add(new PendingChunkStore.Pending(p.chunk(), p.value()))));
                }
            });
            if (w.current > w.host.generation()) {
                cut.put(w.host.hostId(), w.current);
            }
        }
        PendingChunkStore.add(s, add);
        PendingChunkStore.deleteUpTo(s, cut);
    }

    /** What {@link #applyFacts} resolved: surrogate keys, and the stacks this transaction wrote. */
    private record Facts(Map<Digest, Long> layerKeys, Map<Digest, ImageStore.ImageRow> images, List<Long> newStacks) {
    }

    private Facts applyFacts(List<ImageConfigEvent> configs, Iterable<Walk> walks) throws SQLException {
        List<HostSnapshot> snapshots = new ArrayList<>();
        for (Walk w : walks) {
            for (Gen g : w.gens) {
                if (g.snapshot() != null) {
                    snapshots.add(g.snapshot());
                }
            }
        }
        Map<Digest, ImageConfigEvent> configById = new LinkedHashMap<>();
        for (ImageConfigEvent e : configs) {
            configById.putIfAbsent(e.imageId(), e);
        }
        if (snapshots.isEmpty() && configById.isEmpty()) {
            return new Facts(Map.of(), Map.of(), List.of());
        }

        Map<Digest, Instant> imageSeen = new HashMap<>();
        configById.keySet().forEach(id -> imageSeen.merge(id, NOW, BatchApplier::earliest));
        for (HostSnapshot snap : snapshots) {
            for (ImageRecord i : snap.images()) {
                imageSeen.merge(i.id(), snap.scannedAt(), BatchApplier::earliest);
                if (i.parent() != null) {
                    imageSeen.merge(i.parent(), snap.scannedAt(), BatchApplier::earliest);
                }
            }
        }
        imageSeen.replaceAll((id, at) -> at == NOW ? null : at);
        Map<Digest, ImageStore.ImageRow> images = ImageStore.ensure(s, imageSeen);

        // Configs the index does not have yet; one it has is the same config (content-addressed).
        List<ImageConfigEvent> newConfigs = configById.values().stream().filter(e -> !images.get(e.imageId()).hasConfig()).toList();

        List<LayerStore.LayerRow> rows = new ArrayList<>();
        Map<Digest, List<CompressedDigest>> blobs = new HashMap<>();
        for (ImageConfigEvent e : newConfigs) {
            rows.addAll(LayerStore.stackRows(e.image().diffIds(), e.image().chainIds(), null));
        }
        for (HostSnapshot snap : snapshots) {
            Instant at = snap.scannedAt();
            for (LayerRecord l : snap.layers()) {
                rows.add(new LayerStore.LayerRow(l.chainId(), l.diffId(), l.parentChainId(), Sql.knownOrNull(l.size()), l.v1Id(), at));
                if (!l.compressedDigests().isEmpty()) {
                    // Every host of the batch names the blobs of a shared layer: keep each distinct report once (a
                    // diff ID has one or two), so the upsert merges distinct blobs, not one per host (JFR: merging
                    // and looking up every host's copy was a quarter of the applying thread at 1,000 hosts).
                    List<CompressedDigest> reported = blobs.computeIfAbsent(l.diffId(), k -> new ArrayList<>(2));
                    for (CompressedDigest blob : l.compressedDigests()) {
                        if (!reported.contains(blob)) {
                            reported.add(blob);
                        }
                    }
                }
            }
            for (ImageRecord i : snap.images()) {
                rows.addAll(LayerStore.stackRows(i.diffIds(), i.chainIds(), at));
            }
        }
        Map<Digest, Long> layerKeys = LayerStore.upsert(s, rows);
        LayerStore.upsertBlobs(s, blobs);

        Map<Long, ImageStore.Facts> facts = new TreeMap<>();
        Map<Long, Long> dockerParents = new TreeMap<>();
        for (HostSnapshot snap : snapshots) {
            for (ImageRecord i : snap.images()) {
                long key = images.get(i.id()).key();
                ImageStore.Facts f = new ImageStore.Facts(key, i.created(), i.os(), i.architecture(), Sql.knownOrNull(i.size()),
                        snap.scannedAt());
                facts.merge(key, f, BatchApplier::mergeFacts);
                if (i.parent() != null) {
                    dockerParents.putIfAbsent(key, images.get(i.parent()).key());
                }
            }
        }
        Map<Long, ImageStore.ImageRow> rowsByKey = new HashMap<>();
        images.values().forEach(r -> rowsByKey.put(r.key(), r));
        ImageStore.fillFacts(s, facts.values().stream().filter(f -> !rowsByKey.get(f.key()).covers(f)).toList());
        ImageStore.setConfigs(s, newConfigs.stream().map(e -> new ImageStore.Config(images.get(e.imageId()).key(),
                e.config(), e.image().created(), e.image().os(), e.image().architecture())).toList());

        // Stacks not known yet: a config's (even an empty one), or an inventory's non-empty one.
        Map<Long, List<Long>> stacks = new TreeMap<>();
        Map<Long, List<io.layeratlas.events.HistoryEntry>> inventoryHistory = new HashMap<>();
        for (ImageConfigEvent e : newConfigs) {
            ImageStore.ImageRow row = images.get(e.imageId());
            if (row.layerCount() == null) {
                stacks.putIfAbsent(row.key(), e.image().chainIds().stream().map(layerKeys::get).toList());
            }
        }
        for (HostSnapshot snap : snapshots) {
            for (ImageRecord i : snap.images()) {
                ImageStore.ImageRow row = images.get(i.id());
                if (row.layerCount() == null && !i.chainIds().isEmpty()) {
                    stacks.putIfAbsent(row.key(), i.chainIds().stream().map(layerKeys::get).toList());
                    inventoryHistory.putIfAbsent(row.key(), i.history());
                }
            }
        }
        List<Long> won = ImageStore.writeStacks(s, stacks);
        if (!won.isEmpty()) {
            UsageStore.stacksAdded(s);
        }

        List<ImageStore.History> histories = new ArrayList<>();
        Set<Long> authoritative = new HashSet<>();
        for (ImageConfigEvent e : newConfigs) {
            long key = images.get(e.imageId()).key();
            authoritative.add(key);
            histories.add(new ImageStore.History(key, e.image().history(), true));
        }
        for (long key : won) {
            List<io.layeratlas.events.HistoryEntry> h = inventoryHistory.get(key);
            if (h != null && !authoritative.contains(key) && !h.isEmpty()) {
                histories.add(new ImageStore.History(key, h, false));
            }
        }
        ImageStore.writeHistories(s, histories);
        ImageStore.linkDockerParents(s, dockerParents);
        return new Facts(layerKeys, images, won);
    }

    private static Map<Long, ImageRecord> heldImages(HostSnapshot snap, Facts facts) {
        Map<Long, ImageRecord> out = new LinkedHashMap<>();
        for (ImageRecord i : snap.images()) {
            out.putIfAbsent(facts.images().get(i.id()).key(), i);
        }
        return out;
    }

    /** The snapshot's layer keys (its layers and its images' stacks), ascending and distinct. */
    private static long[] heldLayers(HostSnapshot snap, Facts facts) {
        int n = snap.layers().size();
        for (ImageRecord i : snap.images()) {
            n += i.chainIds().size();
        }
        long[] keys = new long[n];
        int k = 0;
        for (LayerRecord l : snap.layers()) {
            keys[k++] = facts.layerKeys().get(l.chainId());
        }
        for (ImageRecord i : snap.images()) {
            for (Digest chain : i.chainIds()) {
                keys[k++] = facts.layerKeys().get(chain);
            }
        }
        Arrays.sort(keys);
        int distinct = 0;
        for (int i = 0; i < keys.length; i++) {
            if (i == 0 || keys[i] != keys[i - 1]) {
                keys[distinct++] = keys[i];
            }
        }
        return distinct == keys.length ? keys : Arrays.copyOf(keys, distinct);
    }

    private static ImageStore.Facts mergeFacts(ImageStore.Facts a, ImageStore.Facts b) {
        return new ImageStore.Facts(a.key(), a.created() != null ? a.created() : b.created(),
                a.os() != null ? a.os() : b.os(), a.architecture() != null ? a.architecture() : b.architecture(),
                a.size() != null ? a.size() : b.size(), earliest(a.seen(), b.seen()));
    }

    // "Now" in the seen maps: later than every scan time, becomes null (the database's now()) when written.
    private static final Instant NOW = Instant.MAX;

    private static Instant earliest(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private static Instant scannedAt(IndexBatch.Item item) {
        return item instanceof IndexBatch.Unchanged u ? u.envelope().scannedAt()
                : ((HostSnapshot) ((IndexBatch.Decoded) item).event()).scannedAt();
    }

    static String problemsJson(List<Problem> problems) {
        try {
            return EventCodec.mapper().writeValueAsString(problems);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode problems", e);
        }
    }
}
