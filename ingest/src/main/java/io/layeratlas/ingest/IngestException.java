package io.layeratlas.ingest;

/**
 * The ingest module's one unchecked base exception. Readers report a bad item as a
 * {@link io.layeratlas.events.Problem} and go on; this is thrown only when a whole source cannot be read
 * (it does not exist, is not the kind asked for, or cannot be opened).
 */
public class IngestException extends RuntimeException {
    public IngestException(String message) {
        super(message);
    }

    public IngestException(String message, Throwable cause) {
        super(message, cause);
    }
}
