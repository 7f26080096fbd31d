package io.layeratlas.db.index;

import io.layeratlas.db.DatabaseException;

/**
 * The database refused the work for a reason that no retry can fix: authentication or authorization failed
 * (SQLSTATE class 28, 42501), the schema is not what this version expects (42P01 undefined table, 42703 undefined
 * column, 42601 syntax error), the server does not support a feature, or an error we cannot classify as transient.
 * The indexer stops with a non-zero exit and this message rather than retrying forever.
 */
public class FatalDatabaseException extends DatabaseException {
    public FatalDatabaseException(String message, Throwable cause) {
        super(message, cause);
    }
}
