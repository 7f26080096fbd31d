package io.layeratlas.db.index;

import io.layeratlas.db.DatabaseException;

/**
 * The database refused one event's data (SQLSTATE class 22 "data exception" or 23 "integrity constraint
 * violation", e.g. a config that is not JSON): retrying cannot help. The transaction is rolled back; the indexer
 * applies the batch in halves down to the one event refused, dead-letters it and applies the rest. The message says
 * what the database said.
 */
public class RejectedEventException extends DatabaseException {
    public RejectedEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
