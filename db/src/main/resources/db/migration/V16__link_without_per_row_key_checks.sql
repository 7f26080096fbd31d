-- The fact tables host_layers and host_images no longer check their foreign keys row by row. PostgreSQL checks a
-- foreign key with one query per inserted row that also locks the referenced row (SELECT 1 ... FOR KEY SHARE), and
-- every link a host gains is such a row: at 10,000 hosts those checks were 74 of the 471 s of statements of a fresh
-- load (11.8 million checks of layers, 13.9 million of hosts, 3.4 million of images; 370 MB of WAL for the locks) and
-- 6.5 of the 81 s of a rescan (pg_stat_statements, bench/results/indexer-10000-hosts.txt).
-- What the checks guarded is kept by the writer (db.index.HostContentsStore), per batch rather than per row:
--  * hosts: a batch links only hosts whose rows it created or found and locked FOR UPDATE in the same transaction,
--    and hosts are deleted only by a rebuild (IndexWriter.dropIndex), which empties both tables first;
--  * images: a batch reads the keys of the images it links in the same transaction (ImageStore.ensure), and images
--    are never deleted (a rebuild truncates them together with host_images);
--  * layers: keys the writer remembers (KnownFacts) may be stale if the database was restored under it: every layer
--    key a batch links is looked up once in layers (one statement for the batch's distinct keys), and a key not
--    found refuses the batch as the foreign key did (SQLSTATE 23503), so the writer forgets what it knew.
ALTER TABLE host_layers DROP CONSTRAINT host_layers_host_key_fkey;
ALTER TABLE host_layers DROP CONSTRAINT host_layers_layer_key_fkey;
ALTER TABLE host_images DROP CONSTRAINT host_images_host_key_fkey;
ALTER TABLE host_images DROP CONSTRAINT host_images_image_key_fkey;
