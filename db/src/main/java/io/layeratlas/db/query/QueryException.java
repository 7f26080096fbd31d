package io.layeratlas.db.query;

/**
 * Base of the read side's unchecked exceptions. A plain {@code QueryException} means the database could not
 * answer (connection lost, SQL error); its subclasses describe what was wrong with the question.
 */
public class QueryException extends RuntimeException {
    public QueryException(String message) {
        super(message);
    }

    public QueryException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Nothing in the index matches: an unknown digest, image, host or search term. */
    public static final class NotFound extends QueryException {
        public NotFound(String message) {
            super(message);
        }
    }

    /** The question itself is malformed (a short or non-hex prefix, an empty search, an unknown sort key). */
    public static final class InvalidParameter extends QueryException {
        public InvalidParameter(String message) {
            super(message);
        }
    }

    /**
     * A prefix or name matches more than one thing; {@link #candidates()} lists them (at most
     * {@link Matches#LIMIT}) so a caller can offer a choice.
     */
    public static final class Ambiguous extends QueryException {
        private final java.util.List<Match> candidates;

        public Ambiguous(String message, java.util.List<Match> candidates) {
            super(message);
            this.candidates = java.util.List.copyOf(candidates);
        }

        public java.util.List<Match> candidates() {
            return candidates;
        }
    }
}
