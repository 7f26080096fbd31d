package io.layeratlas.db.query;

import java.util.List;
import java.util.Objects;

/**
 * A set of host keys as the index keeps it (V15 {@code package_database_hosts}): rows of 1,024 hosts, row
 * {@code chunk} holding hosts {@code chunk * 1024} to {@code chunk * 1024 + 1023}, host {@code chunk * 1024 + i} a
 * member when bit {@code i} (from the left) is set. Stateless.
 */
final class HostSet {
    /** Hosts a row covers. */
    static final int CHUNK_BITS = 1024;

    /** A chunk of no members. */
    private static final String NO_HOSTS = "0".repeat(CHUNK_BITS);

    private HostSet() {
    }

    /**
     * One row of a set.
     *
     * @param chunk the row's number (host key / 1,024), from 0
     * @param bits  the row's bits as PostgreSQL prints a {@code bit(1024)}: 1,024 characters {@code 0} or {@code 1}
     */
    record Chunk(int chunk, String bits) {
        Chunk {
            Objects.requireNonNull(bits, "bits");
            if (chunk < 0 || bits.length() != CHUNK_BITS) {
                throw new IllegalArgumentException("not a host set row: chunk " + chunk + ", " + bits.length() + " bits");
            }
        }
    }

    /** How many members the rows hold. */
    static int count(List<Chunk> rows) {
        int n = 0;
        for (Chunk row : rows) {
            for (int i = 0; i < CHUNK_BITS; i++) {
                if (row.bits().charAt(i) == '1') {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * The set as one bit string from host key 0, as PostgreSQL reads a {@code bit varying} from text: bit {@code k}
     * (from the left) set when host {@code k} is a member; rows in ascending chunk order (each chunk once), a chunk
     * with no row all zeros, so its length is 1,024 times one more than the last row's chunk (0 for no rows).
     */
    static String bits(List<Chunk> rows) {
        int chunks = rows.isEmpty() ? 0 : rows.get(rows.size() - 1).chunk() + 1;
        StringBuilder out = new StringBuilder(chunks * CHUNK_BITS);
        for (Chunk row : rows) {
            while (out.length() < row.chunk() * CHUNK_BITS) {
                out.append(NO_HOSTS);
            }
            out.append(row.bits());
        }
        return out.toString();
    }

    /** The members' host keys, ascending, from rows in ascending chunk order (each chunk once). */
    static Integer[] keys(List<Chunk> rows) {
        Integer[] keys = new Integer[count(rows)];
        int k = 0;
        for (Chunk row : rows) {
            for (int i = 0; i < CHUNK_BITS; i++) {
                if (row.bits().charAt(i) == '1') {
                    keys[k++] = row.chunk() * CHUNK_BITS + i;
                }
            }
        }
        return keys;
    }
}
