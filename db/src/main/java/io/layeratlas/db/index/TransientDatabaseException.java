package io.layeratlas.db.index;

import io.layeratlas.db.DatabaseException;

/**
 * The database could not complete the work now, but the same work may succeed later: the server restarted,
 * the connection broke, the pool timed out, a deadlock or serialization failure was detected. The transaction
 * was rolled back; the caller retries it with backoff and never skips it.
 */
public class TransientDatabaseException extends DatabaseException {
    public TransientDatabaseException(String message, Throwable cause) {
        super(message, cause);
    }
}
