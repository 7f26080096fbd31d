package io.layeratlas.db.index;

import io.layeratlas.events.Digest;
import io.layeratlas.events.Heartbeat;
import io.layeratlas.events.HostSnapshot;
import io.layeratlas.events.ImageConfigEvent;
import io.layeratlas.events.LayerAtlasEvent;
import io.layeratlas.events.LayerPackages;
import io.layeratlas.events.SnapshotEnvelope;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The events of one indexer batch, in stream order, for {@link IndexTransaction#apply(IndexBatch)}: decoded events,
 * and snapshot chunks left undecoded because their {@link SnapshotEnvelope} says they resend what the index already
 * holds for their host. Each item carries the caller's reference (a record's position in its poll, say), which
 * {@link BatchOutcome} uses to say what happened to it. Not thread-safe.
 */
public final class IndexBatch {

    /** One item of the batch. */
    public sealed interface Item {
        /** The caller's reference of the item. */
        int ref();
    }

    /** A decoded event; {@code raw} is its encoded value (kept as the payload of a snapshot chunk left pending). */
    public record Decoded(int ref, LayerAtlasEvent event, byte[] raw, Digest holdings) implements Item {
        public Decoded {
            Objects.requireNonNull(event, "event");
        }
    }

    /**
     * A snapshot chunk of host {@code hostId} that was not decoded: its envelope claims the complete snapshot equals
     * the holdings the index has for the host. If, under the host row's lock, that is not so, the batch answers
     * {@link BatchOutcome#needDecode()} with its reference and must be applied again with the chunk decoded.
     */
    public record Unchanged(int ref, String hostId, SnapshotEnvelope envelope) implements Item {
        public Unchanged {
            Objects.requireNonNull(hostId, "hostId");
            Objects.requireNonNull(envelope, "envelope");
        }
    }

    private final List<Item> items = new ArrayList<>();

    /** Adds a decoded event; {@code raw} may be null (it is then encoded again if needed). */
    public IndexBatch add(int ref, LayerAtlasEvent event, byte[] raw, Digest holdings) {
        items.add(new Decoded(ref, event, raw, holdings));
        return this;
    }

    /** Adds a decoded event. */
    public IndexBatch add(int ref, LayerAtlasEvent event) {
        return add(ref, event, null, null);
    }

    /** Adds an undecoded snapshot chunk that claims to resend the host's current holdings. */
    public IndexBatch addUnchanged(int ref, String hostId, SnapshotEnvelope envelope) {
        items.add(new Unchanged(ref, hostId, envelope));
        return this;
    }

    public List<Item> items() {
        return List.copyOf(items);
    }

    public boolean isEmpty() {
        return items.isEmpty();
    }

    public int size() {
        return items.size();
    }

    /** Heartbeats of the batch. */
    List<Heartbeat> heartbeats() {
        List<Heartbeat> out = new ArrayList<>();
        for (Item i : items) {
            if (i instanceof Decoded d && d.event() instanceof Heartbeat h) {
                out.add(h);
            }
        }
        return out;
    }

    /** Image config events of the batch. */
    List<ImageConfigEvent> configs() {
        List<ImageConfigEvent> out = new ArrayList<>();
        for (Item i : items) {
            if (i instanceof Decoded d && d.event() instanceof ImageConfigEvent e) {
                out.add(e);
            }
        }
        return out;
    }

    /** Layer-packages events of the batch, in stream order. */
    List<LayerPackages> layerPackages() {
        List<LayerPackages> out = new ArrayList<>();
        for (Item i : items) {
            if (i instanceof Decoded d && d.event() instanceof LayerPackages e) {
                out.add(e);
            }
        }
        return out;
    }

    /** Whether an item is a snapshot chunk (decoded or not). */
    static boolean isSnapshot(Item i) {
        return i instanceof Unchanged || i instanceof Decoded d && d.event() instanceof HostSnapshot;
    }

    static String hostOf(Item i) {
        return i instanceof Unchanged u ? u.hostId() : ((HostSnapshot) ((Decoded) i).event()).hostId();
    }
}
