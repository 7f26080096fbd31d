-- The freshness of an answer about the whole fleet (which hosts hold a layer: every live host answered, and a stale
-- one may hold it by now) needs the live hosts' oldest report, oldest inventory, count and the stale ones. Aggregated
-- over the hosts table, that read all 10,000 rows of a full-scale fleet on every request (2-6 ms, EXPLAIN ANALYZE).
-- With these, the oldest of each is the first entry of an index and the stale hosts a range of one. A host's last
-- report is the later of its last heartbeat and its last applied snapshot (HostStatus.lastReportAt). The cost: a
-- heartbeat's update of its host row now writes an index entry (it was a heap-only update).
CREATE INDEX hosts_live_report ON hosts ((greatest(last_heartbeat_at, snapshot_applied_at))) WHERE retired_at IS NULL;
CREATE INDEX hosts_live_inventory ON hosts (scanned_at) WHERE retired_at IS NULL;
