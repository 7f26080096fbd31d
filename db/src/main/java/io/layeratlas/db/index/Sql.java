package io.layeratlas.db.index;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;

/** JDBC helpers shared by the stores: arrays for {@code unnest(?)}, instants as {@code timestamptz}. */
final class Sql {
    private Sql() {
    }

    /**
     * "Tagged on some host that is not retired" for the image whose key is the SQL expression {@code imageKey}: the
     * body of V9's {@code image_tagged_somewhere(image)}, the counter {@code image_usage.tagged_host_count} kept by
     * {@link UsageStore}, written into the write path's statements because PostgreSQL cannot inline a SQL function
     * with a sub-select and runs it as a statement of its own per row (8,952 calls in a fresh
     * {@code bench --scale small} load, pg_stat_statements). The dashboard's queries call the function.
     */
    static String taggedSomewhere(String imageKey) {
        return "COALESCE((SELECT ts_u.tagged_host_count > 0 FROM image_usage ts_u WHERE ts_u.image_key = " + imageKey
                + "), false)";
    }

    static Array texts(Connection c, Collection<String> values) throws SQLException {
        return c.createArrayOf("text", values.toArray(new String[0]));
    }

    static Array longs(Connection c, Collection<Long> values) throws SQLException {
        return c.createArrayOf("bigint", values.toArray(new Long[0]));
    }

    static Array ints(Connection c, Collection<Integer> values) throws SQLException {
        return c.createArrayOf("integer", values.toArray(new Integer[0]));
    }

    static Array booleans(Connection c, Collection<Boolean> values) throws SQLException {
        return c.createArrayOf("boolean", values.toArray(new Boolean[0]));
    }

    /** Instants travel as ISO-8601 text ({@code 2024-01-01T00:00:00Z}) cast to timestamptz: no session time zone involved. */
    static String iso(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    static void setInstant(PreparedStatement ps, int index, Instant instant) throws SQLException {
        if (instant == null) {
            ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setObject(index, OffsetDateTime.ofInstant(instant, ZoneOffset.UTC));
        }
    }

    static Instant getInstant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /** Docker's "-1 = unknown" sizes become SQL nulls. */
    static Long knownOrNull(long bytes) {
        return bytes < 0 ? null : bytes;
    }
}
