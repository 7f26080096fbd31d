-- The usage counters move by delta in every batch that changes what a host holds: a fresh load of 1,000 hosts
-- updated 665,296 layer_usage rows in 110 batches (7.2 s of its statements, pg_stat_statements). The index on
-- host_count made every one of those updates write a new tuple into both of the table's indexes; no query reads
-- it (the reuse page aggregates every counter, the other pages look counters up by key). Without it, and with
-- room left on each page, an update stays on its page and leaves the indexes alone (a heap-only tuple).
DROP INDEX layer_usage_hosts;
ALTER TABLE layer_usage SET (fillfactor = 50);
ALTER TABLE image_usage SET (fillfactor = 50);
