-- The dashboard reads a host's holdings by index-only scans (host_images_pkey for the images of a page's hosts,
-- host_layers_layer for a layer's holders). Those read the heap too for every page not marked all-visible in the
-- visibility map, and a rescan or churn round that replaces a tenth of a host's images touches nearly every page of
-- both tables. With PostgreSQL's default autovacuum_vacuum_scale_factor (0.2) the tables are vacuumed, and the map set
-- again, only after a fifth of their rows died: 2.4 million host_layers rows at 10,000 hosts. On the full-scale bench
-- fleet after its rescan, 4,830 of host_images' 83,475 pages were all-visible, and the hosts of the base layer read
-- 20,581 host_images entries with 19,209 heap fetches (13 ms of a 29-34 ms answer, EXPLAIN ANALYZE); after a VACUUM
-- (4 s for both tables) the same answer took 20-26 ms, with 4,875 buffers instead of 9,047
-- (bench/results/layer-hosts-walk-10000.txt).
-- Vacuumed after 1 % of their rows changed instead; a vacuum skips the pages still all-visible, so it costs about what
-- changed. Inserts alone (a fleet's first load) keep the default trigger: vacuuming every 1 % of a growing table
-- during the load would compete with it for the same disks and cores.
ALTER TABLE host_images SET (autovacuum_vacuum_scale_factor = 0.01);
ALTER TABLE host_layers SET (autovacuum_vacuum_scale_factor = 0.01);
