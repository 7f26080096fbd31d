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

-- An upgraded index starts right: the same counts the queries made until now (the SHOWN rule as of this version),
-- aggregated over the whole fleet at once (one hash join of host_layers and layers, not a probe per link).
WITH img AS (
    SELECT hi.host_key, count(*)::integer AS images,
           (count(*) FILTER (WHERE cardinality(hi.repo_tags) > 0 OR cardinality(hi.repo_digests) > 0
                             OR NOT EXISTS (SELECT 1 FROM host_images ch
                                             WHERE ch.host_key = hi.host_key AND ch.parent_id = i.image_id)))::integer AS shown
      FROM host_images hi JOIN images i ON i.image_key = hi.image_key
     GROUP BY hi.host_key),
lay AS (
    SELECT hl.host_key, count(*)::integer AS layers, coalesce(sum(ly.size), 0)::bigint AS bytes
      FROM host_layers hl JOIN layers ly ON ly.layer_key = hl.layer_key
     GROUP BY hl.host_key)
UPDATE hosts h SET image_count = coalesce(img.images, 0), shown_image_count = coalesce(img.shown, 0),
                   layer_count = coalesce(lay.layers, 0), stored_bytes = coalesce(lay.bytes, 0)
  FROM hosts k LEFT JOIN img ON img.host_key = k.host_key LEFT JOIN lay ON lay.host_key = k.host_key
 WHERE h.host_key = k.host_key AND (img.host_key IS NOT NULL OR lay.host_key IS NOT NULL);
