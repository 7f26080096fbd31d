package io.layeratlas.db.index;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The statements one transaction of the write side sends, counted: {@link IndexTransaction} reports the count so
 * that a test can see it does not grow with the number of events in a batch. Also the one place that writes
 * PostgreSQL's {@code COPY … FROM STDIN} text format (PostgreSQL docs, COPY, "Text Format"; array literals as in
 * "Arrays", "Array Value Input"). Not thread-safe.
 */
final class Statements {
    private final Connection c;
    private final KnownFacts.Session known;
    private int count;
    private boolean tempTablesUsed;

    Statements(Connection c, KnownFacts.Session known) {
        this.c = c;
        this.known = known;
    }

    /** What the writer knows is already stored, and what this transaction learns (published if it commits). */
    KnownFacts.Session known() {
        return known;
    }

    Connection connection() {
        return c;
    }

    int count() {
        return count;
    }

    /**
     * Whether this transaction already filled the replacement's temporary tables ({@code ON COMMIT DELETE ROWS}: empty
     * at the transaction's start); marks them used.
     */
    boolean tempTablesUsed() {
        boolean was = tempTablesUsed;
        tempTablesUsed = true;
        return was;
    }

    /** A prepared statement, counted once (execute it once). */
    PreparedStatement prepare(String sql) throws SQLException {
        count++;
        return c.prepareStatement(sql);
    }

    /**
     * A prepared statement PostgreSQL plans for its own parameters on every execution, counted once: for a statement
     * whose best plan depends on how many keys its arrays carry. PgJDBC prepares a statement on the server once a
     * connection has run it 5 times ({@code prepareThreshold}), and PostgreSQL then keeps a generic plan, one made
     * without the parameters' values, if its estimate looks no worse than the custom plans' (PostgreSQL docs, PREPARE,
     * "Notes"); here it is never prepared on the server (threshold 0: PgJDBC sends it unnamed each time), and PostgreSQL
     * makes a custom plan for the first five executions of a statement (plan_cache_mode {@code auto}), which an unnamed
     * statement always is. Costs its planning on every execution (about a millisecond).
     */
    PreparedStatement prepareForItsParameters(String sql) throws SQLException {
        PreparedStatement ps = prepare(sql);
        ps.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(0);
        return ps;
    }

    /** Executes static SQL (no parameters), counted once. */
    void execute(String sql) throws SQLException {
        count++;
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /**
     * Runs {@code COPY table (columns) FROM STDIN} with the rows {@code rows} writes, in text format; counted once.
     *
     * @return rows copied
     */
    long copy(String copySql, CopyRows rows) throws SQLException {
        count++;
        CopyManager manager = c.unwrap(PGConnection.class).getCopyAPI();
        CopyIn in = manager.copyIn(copySql);
        try {
            Row row = new Row(in);
            rows.write(row);
            row.flush();
            return in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    /** Writes the rows of one COPY. */
    @FunctionalInterface
    interface CopyRows {
        void write(Row row) throws SQLException;
    }

    /** Builds text-format rows and streams them in 64 KiB pieces. */
    static final class Row {
        private final CopyIn in;
        private final StringBuilder sb = new StringBuilder(1 << 16);
        private boolean first = true;

        private Row(CopyIn in) {
            this.in = in;
        }

        Row value(long v) {
            sep();
            sb.append(v);
            return this;
        }

        Row value(String v) {
            sep();
            if (v == null) {
                sb.append("\\N");
            } else {
                escape(v);
            }
            return this;
        }

        /** A {@code bigint[]} value. */
        Row longs(long[] values) {
            sep();
            sb.append('{');
            for (int i = 0; i < values.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(values[i]);
            }
            sb.append('}');
            return this;
        }

        /** A {@code text[]} value; null elements are written as NULL. */
        Row texts(Iterable<String> values) {
            sep();
            StringBuilder a = new StringBuilder("{");
            boolean firstElement = true;
            for (String v : values) {
                if (!firstElement) {
                    a.append(',');
                }
                firstElement = false;
                if (v == null) {
                    a.append("NULL");
                    continue;
                }
                a.append('"');
                for (int i = 0; i < v.length(); i++) {
                    char ch = v.charAt(i);
                    if (ch == '"' || ch == '\\') {
                        a.append('\\');
                    }
                    a.append(ch);
                }
                a.append('"');
            }
            a.append('}');
            escape(a);
            return this;
        }

        /** Ends the row. */
        void end() throws SQLException {
            sb.append('\n');
            first = true;
            if (sb.length() >= (1 << 16) - 1024) {
                flush();
            }
        }

        private void flush() throws SQLException {
            if (sb.length() > 0) {
                byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
                in.writeToCopy(bytes, 0, bytes.length);
                sb.setLength(0);
            }
        }

        private void sep() {
            if (!first) {
                sb.append('\t');
            }
            first = false;
        }

        private void escape(CharSequence v) {
            for (int i = 0; i < v.length(); i++) {
                char ch = v.charAt(i);
                switch (ch) {
                    case '\\' -> sb.append("\\\\");
                    case '\t' -> sb.append("\\t");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    default -> sb.append(ch);
                }
            }
        }
    }
}
