-- The live hosts' keys, apart from their rows: every fleet-wide answer's freshness counts the live hosts
-- (Sql.FLEET_FRESHNESS). Counted from hosts (V17's hosts_live_report, index-only), that read the heap tuple of every
-- host whose page is not all-visible, and heartbeats update host rows every few seconds across a fleet (not a
-- heap-only update since V17 indexed the last report), so nearly no page stays all-visible: at 10,000 hosts 10,000
-- heap fetches an answer, 5 ms on an idle box and 24 ms (2,147 buffers) in the bench's package search
-- (bench/results/fleet-freshness-heartbeats.txt). This table changes only when a host registers, retires, comes back
-- or is deleted, so its visibility map stays set and the count is an index-only scan of its primary key (10,000
-- hosts after a round of heartbeats: 334-521 buffers and 6.5 ms counted from hosts, 74 and 3.0 ms from this).
-- Kept by a trigger, in the same transaction as the hosts row, whichever path writes it (the indexer, a retirement,
-- the bench's COPY): inserts of distinct new keys never wait on each other, where a counter row would serialize every
-- batch that registers a host.
CREATE TABLE live_hosts (
    host_key integer PRIMARY KEY
);

INSERT INTO live_hosts (host_key) SELECT host_key FROM hosts WHERE retired_at IS NULL;

CREATE FUNCTION keep_live_hosts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.retired_at IS NULL THEN
        DELETE FROM live_hosts WHERE host_key = OLD.host_key;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.retired_at IS NULL THEN
        INSERT INTO live_hosts (host_key) VALUES (NEW.host_key);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER hosts_keep_live_hosts_inserted AFTER INSERT ON hosts
    FOR EACH ROW EXECUTE FUNCTION keep_live_hosts();
CREATE TRIGGER hosts_keep_live_hosts_deleted AFTER DELETE ON hosts
    FOR EACH ROW EXECUTE FUNCTION keep_live_hosts();
-- Only when a host retires or comes back: snapshots and heartbeats do not fire it.
CREATE TRIGGER hosts_keep_live_hosts_retired AFTER UPDATE OF retired_at ON hosts
    FOR EACH ROW WHEN (OLD.retired_at IS DISTINCT FROM NEW.retired_at) EXECUTE FUNCTION keep_live_hosts();
