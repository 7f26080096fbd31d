package io.layeratlas.events;

import com.fasterxml.jackson.annotation.JsonInclude;

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
 * the same containers and host metadata, from the same agent version and source. The agent sends it in every chunk's {@link SnapshotEnvelope}; the indexer
 * keeps it on the host row, so that a periodic full resend of an unchanged host is recognised from the record's
 * headers without decoding its value.
 *
 * <p>Canonical JSON: {@link EventCodec#mapper()} encoding of {@code {"agentVersion","sourceKind","source","images",
 * "layers","problems","containers","host"}} with images sorted by image ID, layers by chain ID, problems by path then
 * reason and containers by ID (stable sorts: duplicates stay, in their order); {@code containers} is left out when
 * empty and {@code host} when unknown, so a snapshot without them has the digest it had before they existed. Independent of chunking, of the order a reader listed things in, of the
 * generation and of the scan time. Stateless and thread-safe.
 */
public final class Holdings {

    private Holdings() {
    }

    // containers and host are left out when empty/null, so a snapshot without them (every snapshot before issue 16)
    // keeps the digest it always had.
    private record Canonical(String agentVersion, String sourceKind, String source, List<ImageRecord> images,
                             List<LayerRecord> layers, List<Problem> problems,
                             @JsonInclude(JsonInclude.Include.NON_EMPTY) List<ContainerRecord> containers,
                             @JsonInclude(JsonInclude.Include.NON_NULL) HostMetadata host) {
    }

    /** The holdings digest of a complete snapshot (all chunks merged, see {@link HostSnapshot#merge}). */
    public static Digest of(HostSnapshot complete) {
        return of(complete.agentVersion(), complete.sourceKind(), complete.source(), complete.images(), complete.layers(),
                complete.problems(), complete.containers(), complete.host());
    }

    /** The holdings digest of a snapshot without containers or host metadata. */
    public static Digest of(String agentVersion, String sourceKind, String source, List<ImageRecord> images,
                            List<LayerRecord> layers, List<Problem> problems) {
        return of(agentVersion, sourceKind, source, images, layers, problems, List.of(), null);
    }

    /**
     * The holdings digest of what a snapshot says.
     *
     * @throws IllegalStateException if the records cannot be encoded (cannot happen for valid records)
     */
    public static Digest of(String agentVersion, String sourceKind, String source, List<ImageRecord> images,
                            List<LayerRecord> layers, List<Problem> problems, List<ContainerRecord> containers,
                            HostMetadata host) {
        List<ImageRecord> i = new ArrayList<>(images);
        i.sort(Comparator.comparing(ImageRecord::id));
        List<LayerRecord> l = new ArrayList<>(layers);
        l.sort(Comparator.comparing(LayerRecord::chainId));
        List<Problem> p = new ArrayList<>(problems);
        p.sort(Comparator.comparing(Problem::path).thenComparing(Problem::reason));
        List<ContainerRecord> c = new ArrayList<>(containers);
        c.sort(Comparator.comparing(ContainerRecord::id));
        HostMetadata h = host == null || host.isEmpty() ? null : host;
        MessageDigest sha256 = Digest.sha256();
        try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), sha256)) {
            EventCodec.mapper().writeValue(out, new Canonical(agentVersion, sourceKind, source, i, l, p, c, h));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a snapshot's holdings", e);
        }
        return Digest.sha256Of(sha256);
    }
}
