-- The fleet's repo tags of each image, kept by the indexer: host_count = the number of hosts that are not retired whose
-- host_images row for the image carries the tag (a host counts once however often its row repeats the tag). Retiring
-- a host removes its host_images rows (BatchApplier.retire empties it before HostStore.markRetired), so "not retired"
-- is every host holding a row; the queries that asked with and without the retired filter asked the same thing.
-- Before, every image, layer, package-search and family row computed the set per request with
-- ARRAY(SELECT DISTINCT t FROM host_images hi, unnest(hi.repo_tags) t WHERE hi.image_key = … ORDER BY t): an image
-- every host of a 10,000-host fleet holds read 10,000 host_images rows for each row of an answer.
--
-- Only rows with host_count > 0 outlive a transaction: the indexer deletes the rows its moves took to 0 in the same
-- transaction (db.index.UsageStore.moveTags: one statement moves, one deletes the zeros; PostgreSQL checks a row an
-- upsert proposes before it finds the conflict, so a move down cannot be an upsert of a row > 0). Tags move between
-- images all the time (a "latest" follows each new build), so rows kept at 0 would pile up for every (image, tag)
-- ever seen, and every reader would have to filter them out. The CHECK makes a wrong delta (a move below zero) fail
-- the batch rather than the answers; IndexWriter.recount finds a row at 0 left behind (it is not in the definition).
-- The primary key (image_key, tag) is what the readers walk: an image's tags in the database's collation order,
-- which is the order ORDER BY t gave them.
CREATE TABLE image_tags (
    image_key  bigint  NOT NULL REFERENCES images (image_key),
    tag        text    NOT NULL,
    host_count integer NOT NULL CHECK (host_count >= 0),
    PRIMARY KEY (image_key, tag)
);

-- An upgraded index starts right: the definition, aggregated over the whole fleet at once.
INSERT INTO image_tags (image_key, tag, host_count)
SELECT hi.image_key, t.tag, count(*)::integer
  FROM host_images hi JOIN hosts h ON h.host_key = hi.host_key
 CROSS JOIN LATERAL (SELECT DISTINCT tag FROM unnest(hi.repo_tags) AS u(tag)) t
 WHERE h.retired_at IS NULL
 GROUP BY hi.image_key, t.tag
 ORDER BY hi.image_key, t.tag;
