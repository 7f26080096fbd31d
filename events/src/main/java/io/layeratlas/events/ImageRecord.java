package io.layeratlas.events;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An image as held on one host, with the values {@code docker image inspect} gives for it.
 *
 * @param id          image ID: sha256 of the config JSON (Docker's overlay2 store)
 * @param repoTags    {@code name:tag} references, as Docker prints them (never null)
 * @param repoDigests {@code name@sha256:...} references (never null)
 * @param parent      Docker's local parent image ({@code imagedb/metadata/sha256/<id>/parent}), or null
 * @param created     the config's {@code created}, or null when absent
 * @param size        bytes: the sum of the image's layer sizes, as {@code docker image inspect .Size}; -1 when unknown
 * @param diffIds     {@code rootfs.diff_ids}, bottom first (never null)
 * @param chainIds    chain IDs for {@code diffIds}, same length and order (never null)
 * @param history     the config's history, oldest first, with sizes (never null, may be empty)
 * @param containers  how many containers use the image; -1 when unknown
 * @param sharedSize  bytes of this image's layers that other images on the host also use ({@code docker system df -v}); -1 when unknown
 * @param uniqueSize  {@code size - sharedSize}; -1 when unknown
 * @param os          the config's {@code os}, or null
 * @param architecture the config's {@code architecture}, or null
 */
public record ImageRecord(Digest id, List<String> repoTags, List<String> repoDigests, Digest parent,
                          Instant created, long size, List<Digest> diffIds, List<Digest> chainIds,
                          List<HistoryEntry> history, int containers, long sharedSize, long uniqueSize,
                          String os, String architecture) {
    public ImageRecord {
        Objects.requireNonNull(id, "id");
        repoTags = repoTags == null ? List.of() : List.copyOf(repoTags);
        repoDigests = repoDigests == null ? List.of() : List.copyOf(repoDigests);
        diffIds = diffIds == null ? List.of() : List.copyOf(diffIds);
        chainIds = chainIds == null ? ChainIds.of(diffIds) : List.copyOf(chainIds);
        history = history == null ? List.of() : List.copyOf(history);
        if (chainIds.size() != diffIds.size()) {
            throw new IllegalArgumentException("image " + id + ": " + diffIds.size() + " diff IDs but " + chainIds.size() + " chain IDs");
        }
    }
}
