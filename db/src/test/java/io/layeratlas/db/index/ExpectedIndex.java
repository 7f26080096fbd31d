package io.layeratlas.db.index;

import io.layeratlas.events.Digest;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageRecord;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the index must say after a stream of events, computed in plain Java from the contract's rules
 * (a complete, newer generation replaces a host's state; chunks wait for their siblings), independently of the
 * SQL. Its answers have the shape of the matching {@link IndexDump} sections.
 */
public final class ExpectedIndex {
    private final Map<String, Long> generation = new HashMap<>();
    private final Map<String, Map<Long, Map<Integer, HostSnapshot>>> pending = new HashMap<>();
    private final Map<String, Set<Digest>> hostImages = new TreeMap<>();
    private final Map<String, Set<Digest>> hostLayers = new TreeMap<>();
    private final Map<Digest, List<Digest>> stacks = new HashMap<>();
    private int changes;

    public void accept(LayerAtlasEvent event) {
        if (event instanceof HostSnapshot chunk) {
            long current = generation.getOrDefault(chunk.hostId(), -1L);
            if (chunk.generation() <= current) {
                return;
            }
            var chunks = pending.computeIfAbsent(chunk.hostId(), h -> new HashMap<>())
                    .computeIfAbsent(chunk.generation(), g -> new HashMap<>());
            chunks.putIfAbsent(chunk.chunk(), chunk);
            if (chunks.size() < chunk.chunkCount()) {
                return;
            }
            Set<Digest> images = new HashSet<>();
            Set<Digest> layers = new HashSet<>();
            for (HostSnapshot c : chunks.values()) {
                for (ImageRecord i : c.images()) {
                    images.add(i.id());
                    layers.addAll(i.chainIds());
                    if (!i.chainIds().isEmpty()) {
                        stacks.putIfAbsent(i.id(), i.chainIds());
                    }
                }
                for (LayerRecord l : c.layers()) {
                    layers.add(l.chainId());
                }
            }
            changes += difference(hostImages.getOrDefault(chunk.hostId(), Set.of()), images);
            changes += difference(hostLayers.getOrDefault(chunk.hostId(), Set.of()), layers);
            hostImages.put(chunk.hostId(), images);
            hostLayers.put(chunk.hostId(), layers);
            generation.put(chunk.hostId(), chunk.generation());
            pending.get(chunk.hostId()).keySet().removeIf(g -> g <= chunk.generation());
        } else if (event instanceof io.layeratlas.events.ImageConfigEvent e) {
            stacks.putIfAbsent(e.imageId(), e.image().chainIds());
        }
    }

    private static int difference(Set<Digest> before, Set<Digest> after) {
        int n = 0;
        for (Digest d : before) {
            n += after.contains(d) ? 0 : 1;
        }
        for (Digest d : after) {
            n += before.contains(d) ? 0 : 1;
        }
        return n;
    }

    /** Lines of {@link IndexDump}'s {@code host_image_ids}. */
    public List<String> hostImageIds() {
        List<String> out = new ArrayList<>();
        hostImages.forEach((h, ids) -> ids.forEach(id -> out.add(h + " " + id)));
        return sorted(out);
    }

    /** Lines of {@link IndexDump}'s {@code host_layers}. */
    public List<String> hostLayers() {
        List<String> out = new ArrayList<>();
        hostLayers.forEach((h, ids) -> ids.forEach(id -> out.add(h + " " + id)));
        return sorted(out);
    }

    /** Lines of {@link IndexDump}'s {@code layer_usage}. */
    public List<String> layerUsage() {
        Map<Digest, Integer> hosts = new TreeMap<>();
        hostLayers.values().forEach(ls -> ls.forEach(l -> hosts.merge(l, 1, Integer::sum)));
        Set<Digest> held = new TreeSet<>();
        hostImages.values().forEach(held::addAll);
        Map<Digest, Integer> images = new TreeMap<>();
        for (Digest image : held) {
            stacks.getOrDefault(image, List.of()).forEach(l -> images.merge(l, 1, Integer::sum));
        }
        Set<Digest> all = new TreeSet<>(hosts.keySet());
        all.addAll(images.keySet());
        List<String> out = new ArrayList<>();
        for (Digest l : all) {
            out.add(l + " hosts=" + hosts.getOrDefault(l, 0) + " images=" + images.getOrDefault(l, 0));
        }
        return sorted(out);
    }

    /** Lines of {@link IndexDump}'s {@code image_usage}. */
    public List<String> imageUsage() {
        Map<Digest, Integer> hosts = new TreeMap<>();
        hostImages.values().forEach(ids -> ids.forEach(i -> hosts.merge(i, 1, Integer::sum)));
        List<String> out = new ArrayList<>();
        hosts.forEach((i, n) -> out.add(i + " hosts=" + n));
        return sorted(out);
    }

    /** How many {@code host_changes} rows the index must have: one per image or layer that arrived on or left a host. */
    public int changeCount() {
        return changes;
    }

    private static List<String> sorted(List<String> lines) {
        lines.sort(null);
        return lines;
    }
}
