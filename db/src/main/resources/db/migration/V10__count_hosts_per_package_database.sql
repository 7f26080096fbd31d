-- Which hosts hold an image having each package database (issue 15 figures: a package search at full scale). A host
-- holds a matching image exactly when it has a row here for one of the databases that list a matched package, so a
-- search asks one index probe per host (host_key, db_key) instead of reading every host_images row of the matched
-- images (~2M at 10,000 hosts for a package every image has), and counts its hosts from the (db_key, host_key) index.
-- image_count = the host's images (host_images rows) whose effective databases (image_package_databases) include the
-- database; rows at 0 are deleted. Kept by delta in the indexer's transaction (db.index.PackageStore): from the host
-- contents' image deltas, and from the effective databases an image gains or loses; IndexWriter.recount checks it.
CREATE TABLE host_package_databases (
    host_key    integer NOT NULL REFERENCES hosts ON DELETE CASCADE,
    db_key      bigint  NOT NULL REFERENCES package_databases ON DELETE CASCADE,
    image_count integer NOT NULL CHECK (image_count >= 0),
    PRIMARY KEY (host_key, db_key)
);
CREATE INDEX host_package_databases_db ON host_package_databases (db_key, host_key);
-- The rows a delta brought to 0, found without reading the table (nearly always empty).
CREATE INDEX host_package_databases_empty ON host_package_databases (host_key) WHERE image_count = 0;

INSERT INTO host_package_databases (host_key, db_key, image_count)
SELECT hi.host_key, ipd.db_key, count(*)::integer
  FROM host_images hi JOIN image_package_databases ipd ON ipd.image_key = hi.image_key
 GROUP BY hi.host_key, ipd.db_key
 ORDER BY hi.host_key, ipd.db_key;
