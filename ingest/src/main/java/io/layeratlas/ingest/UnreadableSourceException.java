package io.layeratlas.ingest;

/** A whole source could not be read: it is missing, of an unknown kind, or unreadable. Carries the source. */
public class UnreadableSourceException extends IngestException {
    private final String source;
    private final String reason;

    public UnreadableSourceException(String source, String reason) {
        super(source + ": " + reason);
        this.source = source;
        this.reason = reason;
    }

    public UnreadableSourceException(String source, String reason, Throwable cause) {
        super(source + ": " + reason, cause);
        this.source = source;
        this.reason = reason;
    }

    /** Why it could not be read, without the source. */
    public String reason() {
        return reason;
    }

    /** The path or URI that failed. */
    public String source() {
        return source;
    }
}
