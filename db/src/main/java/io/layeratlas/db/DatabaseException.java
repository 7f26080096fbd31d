package io.layeratlas.db;

/**
 * The db module's unchecked base exception: something the database refused or could not do.
 * Subclasses say whether retrying can help ({@link io.layeratlas.db.index.TransientDatabaseException})
 * or the input itself was refused ({@link io.layeratlas.db.index.RejectedEventException}).
 */
public class DatabaseException extends RuntimeException {
    public DatabaseException(String message, Throwable cause) {
        super(message, cause);
    }
}
