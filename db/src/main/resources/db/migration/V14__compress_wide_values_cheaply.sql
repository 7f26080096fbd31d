-- The two wide values the indexer writes in bulk are no longer compressed with pglz, PostgreSQL's default TOAST
-- compression: host_changes.keys (a fresh host's change log lists every layer and image it holds: ~1,200 bigint keys,
-- 9 KB a row) and pending_snapshot_chunks.payload (a chunk of a snapshot waiting for the rest: up to ~1 MB). pglz cost
-- ~700 us a fresh host's row (COPY of 3,000 such rows: pglz 1.8-2.0 s, lz4 0.26-0.47 s, uncompressed 0.31-0.53 s, on
-- Debian's PostgreSQL 15 here); at 10,000 hosts the fresh load's COPY host_changes took 15.4 s for 20,000 rows.
-- Where the server has lz4 (Debian's and most distributions' builds) the values are lz4-compressed (16.8 MB for those
-- 3,000 rows against pglz's 12.7 MB); where it has not (the embedded binaries the bench and tests run), they are
-- stored out of line uncompressed (31.3 MB). Pending chunks are deleted when their snapshot completes, so their size
-- is transient. Only new values are affected; stored ones stay as they are.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE host_changes ALTER COLUMN keys SET COMPRESSION lz4;
        ALTER TABLE pending_snapshot_chunks ALTER COLUMN payload SET COMPRESSION lz4;
    ELSE
        ALTER TABLE host_changes ALTER COLUMN keys SET STORAGE EXTERNAL;
        ALTER TABLE pending_snapshot_chunks ALTER COLUMN payload SET STORAGE EXTERNAL;
    END IF;
END
$$;
