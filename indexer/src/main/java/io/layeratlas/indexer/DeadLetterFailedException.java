package io.layeratlas.indexer;

/**
 * A record could not be written to the dead-letter topic, so the batch that rejected it is rolled back and
 * retried: a poison record is never dropped silently. The indexer module's unchecked base exception.
 */
public class DeadLetterFailedException extends RuntimeException {
    public DeadLetterFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
