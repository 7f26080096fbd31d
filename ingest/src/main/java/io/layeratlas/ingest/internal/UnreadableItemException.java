package io.layeratlas.ingest.internal;

import io.layeratlas.events.Problem;
import io.layeratlas.ingest.IngestException;

/**
 * One item (file, archive entry, JSON field) could not be read. Readers catch it and record
 * {@link #toProblem()}; it never ends a scan.
 */
public class UnreadableItemException extends IngestException {
    private final String path;
    private final String reason;

    public UnreadableItemException(String path, String reason) {
        super(path + ": " + reason);
        this.path = path;
        this.reason = reason;
    }

    public UnreadableItemException(String path, String reason, Throwable cause) {
        super(path + ": " + reason, cause);
        this.path = path;
        this.reason = reason;
    }

    public String path() {
        return path;
    }

    public String reason() {
        return reason;
    }

    public Problem toProblem() {
        return new Problem(path, reason);
    }
}
