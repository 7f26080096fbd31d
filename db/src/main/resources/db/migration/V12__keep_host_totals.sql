-- A host's totals are kept on its row, recounted by the indexer in the transaction that changes what the host holds
-- (db.index.HostStore.recountTotals), so a host's header and the host list read four columns instead of counting
-- its host_images and host_layers per request: at 10,000 hosts the header cost ~17 ms of SQL and the host list
-- sorted by images, layers or bytes counted every host's rows.
--   image_count       images the host holds (docker image ls -a)
--   shown_image_count images docker image ls (without -a) lists: FleetQuery.SHOWN
--   layer_count       distinct layers (chain IDs) the host holds
--   stored_bytes      bytes of those layers (sum of layers.size; a layer of unknown size counts 0)
ALTER TABLE hosts
    ADD COLUMN image_count       integer NOT NULL DEFAULT 0 CHECK (image_count >= 0),
    ADD COLUMN shown_image_count integer NOT NULL DEFAULT 0 CHECK (shown_image_count >= 0),
    ADD COLUMN layer_count       integer NOT NULL DEFAULT 0 CHECK (layer_count >= 0),
    ADD COLUMN stored_bytes      bigint  NOT NULL DEFAULT 0 CHECK (stored_bytes >= 0);

-- An upgraded index starts right: the same counts the queries made until now (the SHOWN rule as of this version).
UPDATE hosts h SET image_count = i.images, shown_image_count = i.shown, layer_count = l.layers, stored_bytes = l.bytes
  FROM hosts k
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS images,
             count(*) FILTER (WHERE cardinality(hi.repo_tags) > 0 OR cardinality(hi.repo_digests) > 0
                              OR NOT EXISTS (SELECT 1 FROM host_images ch
                                              WHERE ch.host_key = hi.host_key AND ch.parent_id = im.image_id))::integer AS shown
        FROM host_images hi JOIN images im ON im.image_key = hi.image_key
       WHERE hi.host_key = k.host_key) i
  CROSS JOIN LATERAL (
      SELECT count(*)::integer AS layers, coalesce(sum(ly.size), 0)::bigint AS bytes
        FROM host_layers hl JOIN layers ly ON ly.layer_key = hl.layer_key
       WHERE hl.host_key = k.host_key) l
 WHERE h.host_key = k.host_key AND (i.images > 0 OR l.layers > 0);
