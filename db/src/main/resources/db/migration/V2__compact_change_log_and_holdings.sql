-- The set-based indexer (DESIGN.md, "Decisions taken while building": the indexer applies a poll's worth of
-- events with a fixed number of set-based statements, and writes only what changed).

-- The holdings digest (events.Holdings) of the last complete snapshot applied: a resend whose envelope carries the
-- same digest changes the host row only. Null when unknown (before this migration, after a retirement).
ALTER TABLE hosts ADD COLUMN holdings text;

-- "Last seen" of a held image is the host's last scan (hosts.scanned_at): keeping a copy on every row would rewrite
-- every host_images row of every snapshot, changed or not.
ALTER TABLE host_images DROP COLUMN last_seen;

-- The change log keeps one row per host, generation, change and subject, with the surrogate keys of every image or
-- layer that arrived or left: a first snapshot of 1,200 layers is one row, not 1,200. Readers unnest it
-- (db.query.HostQuery); a key stays resolvable since images and layers are never deleted.
CREATE TABLE host_change_sets (
    change_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_key   integer  NOT NULL REFERENCES hosts ON DELETE CASCADE,
    generation bigint   NOT NULL,
    at         timestamptz NOT NULL,
    change     text     NOT NULL CHECK (change IN ('added', 'removed')),
    subject    text     NOT NULL CHECK (subject IN ('image', 'layer')),
    keys       bigint[] NOT NULL CHECK (cardinality(keys) > 0)   -- image_key or layer_key, ascending
);

INSERT INTO host_change_sets (host_key, generation, at, change, subject, keys)
SELECT c.host_key, c.generation, min(c.at), c.change, c.subject,
       array_agg(COALESCE(i.image_key, l.layer_key) ORDER BY COALESCE(i.image_key, l.layer_key))
  FROM host_changes c
  LEFT JOIN images i ON c.subject = 'image' AND i.image_id = c.digest
  LEFT JOIN layers l ON c.subject = 'layer' AND l.chain_id = c.digest
 WHERE COALESCE(i.image_key, l.layer_key) IS NOT NULL
 GROUP BY c.host_key, c.generation, c.change, c.subject
 ORDER BY c.host_key, c.generation, c.change DESC, c.subject;

DROP TABLE host_changes;
ALTER TABLE host_change_sets RENAME TO host_changes;
ALTER INDEX host_change_sets_pkey RENAME TO host_changes_pkey;
CREATE INDEX host_changes_host ON host_changes (host_key, change_id DESC);
-- The fleet-wide feed of recent changes.
CREATE INDEX host_changes_at ON host_changes (at DESC);

-- An image's top layer, so that lineage finds the candidate bases of a stack by index (an image B is a base of X
-- when X's layer at position |B|-1 is B's top layer), instead of scanning every image that shares a base layer.
ALTER TABLE images ADD COLUMN top_layer_key bigint REFERENCES layers;
UPDATE images i SET top_layer_key = il.layer_key
  FROM image_layers il WHERE il.image_key = i.image_key AND il.position = i.layer_count - 1;
CREATE INDEX images_top_layer ON images (top_layer_key);

-- Lineage's tie-break rule in one place: an image is "tagged somewhere" when some host that is not retired holds it
-- under a repo tag. A plain SQL function, so the planner inlines it into the statements that use it.
CREATE FUNCTION image_tagged_somewhere(image bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM host_images hi JOIN hosts h ON h.host_key = hi.host_key
                    WHERE hi.image_key = image AND hi.repo_tags <> '{}' AND h.retired_at IS NULL)
$$;
