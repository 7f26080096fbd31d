package io.layeratlas.db.index;

import io.layeratlas.db.DatabaseException;

/**
 * The database refused one event's data (SQLSTATE class 22 "data exception" or 23 "integrity constraint
 * violation", e.g. a config that is not JSON): retrying cannot help, so the event is dead-lettered and the
 * rest of the batch goes on. Thrown only by {@link IndexTransaction#attempt(Runnable)}'s callers' work; the
 * message says what the database said.
 */
public class RejectedEventException extends DatabaseException {
    public RejectedEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
