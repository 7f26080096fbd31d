package io.layeratlas.ingest;

import io.layeratlas.events.SourceKind;

/**
 * Reads one kind of image storage into a {@link SourceScan}. One implementation per {@link SourceKind}.
 *
 * <p>Contract for every implementation: the source is opened read-only; a bad item (file, entry, field)
 * becomes a {@link io.layeratlas.events.Problem} naming where it is, and the scan goes on; only a source that
 * cannot be read at all throws {@link UnreadableSourceException}. Implementations are stateless and
 * thread-safe.
 */
public interface StorageReader {

    /** The kind this reader reads. */
    SourceKind kind();

    /**
     * Reads a source.
     *
     * @param source a path (or, for the Engine API, a socket URI)
     * @param hostId the host's identity, copied into the inventory
     * @throws UnreadableSourceException if the source is missing or is not of this reader's kind
     */
    SourceScan read(String source, String hostId);
}
