-- The held count of a package search's page hosts (PackageQuery.IMAGES_ON_HOSTS) sums each page host's
-- host_package_databases rows over the matched databases: one range of the primary key a host (~11 rows at small
-- scale), then each row's heap tuple for image_count (866 of the 1,066 buffers of that part for apt's 100 first hosts,
-- EXPLAIN). With image_count in the primary key's leaf entries the range is read from the index alone where the
-- visibility map allows (202 buffers). Updates of image_count were already never heap-only (HOT): the partial index
-- host_package_databases_empty names image_count in its predicate, and a column a predicate reads blocks HOT as an
-- indexed column does (n_tup_hot_upd 0 of 243 after the bench's round 0); so every update already writes a new
-- primary-key entry, and including the count there adds 4 bytes to it, not an index write.
ALTER TABLE host_package_databases
    DROP CONSTRAINT host_package_databases_pkey,
    ADD CONSTRAINT host_package_databases_pkey PRIMARY KEY (host_key, db_key) INCLUDE (image_count);
