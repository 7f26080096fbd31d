package io.layeratlas.db.index;

import io.layeratlas.db.DatabaseException;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;

/** Classifies {@link SQLException}s by SQLSTATE (PostgreSQL docs, Appendix A "Error Codes"). */
final class SqlErrors {
    private SqlErrors() {
    }

    /** True for data the database refused: class 22 (data exception) and 23 (integrity constraint violation). */
    static boolean isRejectedData(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    /**
     * Maps an exception to the module's exceptions. Everything that is not refused data is treated as
     * transient: connection loss (08), rollbacks such as deadlocks (40), resources (53), operator intervention
     * such as a server shutdown (57), a pool timeout, and even errors we cannot classify; the indexer then
     * retries with backoff instead of skipping events or exiting, and an operator sees the error in the log.
     */
    static DatabaseException translate(String what, SQLException e) {
        if (isRejectedData(e)) {
            return new RejectedEventException(what + ": " + e.getMessage(), e);
        }
        return new TransientDatabaseException(what + ": " + describe(e), e);
    }

    static boolean isClearlyTransient(SQLException e) {
        String state = e.getSQLState();
        return e instanceof SQLTransientException || e instanceof SQLRecoverableException
                || e instanceof SQLNonTransientConnectionException
                || state != null && (state.startsWith("08") || state.startsWith("40") || state.startsWith("53")
                || state.startsWith("57") || state.equals("55P03"));
    }

    static String describe(SQLException e) {
        return (e.getSQLState() == null ? "" : "[" + e.getSQLState() + "] ") + e.getMessage();
    }
}
