package io.layeratlas.ingest;

/** A whole source could not be read: it is missing, of an unknown kind, or unreadable. Carries the source. */
public class UnreadableSourceException extends IngestException {
    private final String source;

    public UnreadableSourceException(String source, String reason) {
        super(source + ": " + reason);
        this.source = source;
    }

    public UnreadableSourceException(String source, String reason, Throwable cause) {
        super(source + ": " + reason, cause);
        this.source = source;
    }

    /** The path or URI that failed. */
    public String source() {
        return source;
    }
}
