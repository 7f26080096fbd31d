-- The live hosts in host ID order, apart from their rows: a page of a layer's hosts is in host ID order, and for a
-- layer on a few hundred to a few thousand hosts of 10,000 both earlier reads cost about a thousand probes of a
-- host's row (LayerQuery: WALK probes host_layers for each host walked in host ID order, GATHER reads every holder's
-- row to sort them). With the host IDs here, a page walks this index (index-only: the table changes only when a host
-- registers, retires, comes back or is deleted, so its visibility map stays set, unlike hosts') and keeps the hosts in
-- a hash of the layer's holders (LayerQuery.SIFT). A host's ID never changes.
ALTER TABLE live_hosts ADD COLUMN host_id text;
UPDATE live_hosts lh SET host_id = h.host_id FROM hosts h WHERE h.host_key = lh.host_key;
ALTER TABLE live_hosts ALTER COLUMN host_id SET NOT NULL;
CREATE UNIQUE INDEX live_hosts_by_id ON live_hosts (host_id) INCLUDE (host_key);

CREATE OR REPLACE FUNCTION keep_live_hosts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.retired_at IS NULL THEN
        DELETE FROM live_hosts WHERE host_key = OLD.host_key;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.retired_at IS NULL THEN
        INSERT INTO live_hosts (host_key, host_id) VALUES (NEW.host_key, NEW.host_id);
    END IF;
    RETURN NULL;
END
$$;
