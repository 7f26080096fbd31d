-- How many live hosts the fleet has, without counting them: every fleet-wide answer's freshness reports it
-- (Sql.FLEET_FRESHNESS), and counting V19's live_hosts read every row of it, 0.5-1.2 ms an answer at 10,000 hosts
-- (EXPLAIN ANALYZE on the simulated fleet, idle box; the same count in every lookup, layer page and package search).
-- The count is kept as signed deltas, one row per statement that registered, retired, brought back or deleted hosts,
-- and a reader sums the rows its snapshot sees: a transaction's delta commits with its hosts, so the sum is exactly
-- the live hosts of the reader's snapshot. Inserting a row never waits on another transaction, where one counter row
-- would make every transaction that registers a host wait for the one before it to commit (an indexer batch holds
-- its locks for its whole transaction). When more than 16 rows are visible, a statement folds every row it can lock
-- into one (FOR UPDATE SKIP LOCKED: rows another transaction is folding are left to it, never waited for), so a
-- reader sums a few rows whatever the fleet's history.
CREATE TABLE live_host_counts (
    n bigint NOT NULL
);

INSERT INTO live_host_counts (n) SELECT count(*) FROM live_hosts;

CREATE FUNCTION count_live_hosts(delta bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF delta = 0 THEN
        RETURN;
    END IF;
    INSERT INTO live_host_counts (n) VALUES (delta);
    IF (SELECT count(*) FROM live_host_counts) > 16 THEN
        WITH folded AS (
            DELETE FROM live_host_counts c
             WHERE c.ctid = ANY (ARRAY(SELECT x.ctid FROM live_host_counts x FOR UPDATE SKIP LOCKED))
            RETURNING c.n)
        INSERT INTO live_host_counts (n) SELECT sum(f.n) FROM folded f HAVING count(*) > 0;
    END IF;
END
$$;

-- Hosts registered or deleted are now kept per statement, from the statement's rows (a transition table), not per
-- row: the first snapshot of a 10,000-host fleet registers its hosts in a few statements, each one insert into
-- live_hosts and one delta.
DROP TRIGGER hosts_keep_live_hosts_inserted ON hosts;
DROP TRIGGER hosts_keep_live_hosts_deleted ON hosts;

CREATE FUNCTION keep_live_hosts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    added bigint;
BEGIN
    INSERT INTO live_hosts (host_key, host_id) SELECT i.host_key, i.host_id FROM inserted i WHERE i.retired_at IS NULL;
    GET DIAGNOSTICS added = ROW_COUNT;
    PERFORM count_live_hosts(added);
    RETURN NULL;
END
$$;

CREATE FUNCTION keep_live_hosts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    removed bigint;
BEGIN
    DELETE FROM live_hosts l USING deleted d WHERE l.host_key = d.host_key AND d.retired_at IS NULL;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM count_live_hosts(-removed);
    RETURN NULL;
END
$$;

CREATE TRIGGER hosts_keep_live_hosts_inserted AFTER INSERT ON hosts
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION keep_live_hosts_inserted();
CREATE TRIGGER hosts_keep_live_hosts_deleted AFTER DELETE ON hosts
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION keep_live_hosts_deleted();

-- A host retiring or coming back (rare: an operator's command, a retired host's newer snapshot) stays per row
-- (hosts_keep_live_hosts_retired, V19): a statement-level UPDATE trigger with transition tables cannot name its
-- column, so it would capture every heartbeat's update.
CREATE OR REPLACE FUNCTION keep_live_hosts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.retired_at IS NULL THEN
        DELETE FROM live_hosts WHERE host_key = OLD.host_key;
        PERFORM count_live_hosts(-1);
    END IF;
    IF NEW.retired_at IS NULL THEN
        INSERT INTO live_hosts (host_key, host_id) VALUES (NEW.host_key, NEW.host_id);
        PERFORM count_live_hosts(1);
    END IF;
    RETURN NULL;
END
$$;
