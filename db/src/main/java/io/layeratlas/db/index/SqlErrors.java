package io.layeratlas.db.index;

import io.layeratlas.db.DatabaseException;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;

/** Classifies {@link SQLException}s by SQLSTATE (PostgreSQL docs, Appendix A "PostgreSQL Error Codes"). */
final class SqlErrors {
    private SqlErrors() {
    }

    /** True for data the database refused: class 22 (data exception) and 23 (integrity constraint violation). */
    static boolean isRejectedData(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    /**
     * True when the same work may succeed later: connection exceptions (08), transaction rollbacks such as deadlocks
     * and serialization failures (40), insufficient resources (53), operator intervention such as an admin shutdown
     * or a server starting up (57, except 57014 query_canceled by a statement timeout, which is also worth a retry),
     * lock not available (55P03), a connection that could not be had from the pool (no SQLSTATE, or PgJDBC's
     * connection-attempt failure), and JDBC's own transient and recoverable exceptions.
     */
    static boolean isTransient(SQLException e) {
        SQLException cause = rootCause(e);
        if (cause != e) {
            // A pool's wrapper ("connection is not available") around the server's answer: the answer decides.
            return isTransient(cause);
        }
        String state = e.getSQLState();
        if (e instanceof SQLTransientException || e instanceof SQLRecoverableException) {
            return true;
        }
        if (state == null) {
            // HikariCP's "connection is not available, request timed out" and I/O failures without a state.
            return true;
        }
        return state.startsWith("08") || state.startsWith("40") || state.startsWith("53") || state.startsWith("57")
                || state.equals("55P03") || state.equals("55000") && String.valueOf(e.getMessage()).contains("recovery");
    }

    /**
     * Maps an exception to the module's exceptions: refused data → {@link RejectedEventException}; transient
     * ({@link #isTransient}) → {@link TransientDatabaseException}; everything else (authentication 28xxx,
     * permission 42501, undefined table 42P01, syntax 42601, …) → {@link FatalDatabaseException}.
     */
    static DatabaseException translate(String what, SQLException e) {
        if (isRejectedData(rootCause(e))) {
            return new RejectedEventException(what + ": " + e.getMessage(), e);
        }
        if (isTransient(e)) {
            return new TransientDatabaseException(what + ": " + describe(e), e);
        }
        return new FatalDatabaseException(what + ": " + describe(e), e);
    }

    /** The innermost SQLException with a SQLSTATE under a stateless wrapper (HikariCP's), else {@code e} itself. */
    static SQLException rootCause(SQLException e) {
        if (e.getSQLState() == null && e.getCause() instanceof SQLException inner && inner != e) {
            return rootCause(inner);
        }
        return e;
    }

    static String describe(SQLException e) {
        SQLException root = rootCause(e);
        if (root != e) {
            return e.getMessage() + ": " + describe(root);
        }
        return (e.getSQLState() == null ? "" : "[" + e.getSQLState() + "] ") + e.getMessage();
    }
}
