package io.layeratlas.events;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The holdings digest of a complete host snapshot: {@code sha256} of the canonical JSON of everything the snapshot
 * says about the host except when and in which pieces it said it. Two snapshots with the same holdings digest say
 * the same thing: the same images (with tags, repo digests, sizes, containers), the same layers, the same problems,
 * from the same agent version and source. The agent sends it in every chunk's {@link SnapshotEnvelope}; the indexer
 * keeps it on the host row, so that a periodic full resend of an unchanged host is recognised from the record's
 * headers without decoding its value.
 *
 * <p>Canonical JSON: {@link EventCodec#mapper()} encoding of {@code {"agentVersion","sourceKind","source","images",
 * "layers","problems"}} with images sorted by image ID, layers by chain ID and problems by path then reason (stable
 * sorts: duplicates stay, in their order). Independent of chunking, of the order a reader listed things in, of the
 * generation and of the scan time. Stateless and thread-safe.
 */
public final class Holdings {

    private Holdings() {
    }

    private record Canonical(String agentVersion, String sourceKind, String source, List<ImageRecord> images,
                             List<LayerRecord> layers, List<Problem> problems) {
    }

    /** The holdings digest of a complete snapshot (all chunks merged, see {@link HostSnapshot#merge}). */
    public static Digest of(HostSnapshot complete) {
        return of(complete.agentVersion(), complete.sourceKind(), complete.source(), complete.images(), complete.layers(),
                complete.problems());
    }

    /**
     * The holdings digest of what a snapshot says.
     *
     * @throws IllegalStateException if the records cannot be encoded (cannot happen for valid records)
     */
    public static Digest of(String agentVersion, String sourceKind, String source, List<ImageRecord> images,
                            List<LayerRecord> layers, List<Problem> problems) {
        List<ImageRecord> i = new ArrayList<>(images);
        i.sort(Comparator.comparing(ImageRecord::id));
        List<LayerRecord> l = new ArrayList<>(layers);
        l.sort(Comparator.comparing(LayerRecord::chainId));
        List<Problem> p = new ArrayList<>(problems);
        p.sort(Comparator.comparing(Problem::path).thenComparing(Problem::reason));
        MessageDigest sha256 = Digest.sha256();
        try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), sha256)) {
            EventCodec.mapper().writeValue(out, new Canonical(agentVersion, sourceKind, source, i, l, p));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a snapshot's holdings", e);
        }
        return Digest.sha256Of(sha256);
    }
}
