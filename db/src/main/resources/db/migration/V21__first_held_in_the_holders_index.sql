-- A layer's holders are read from host_layers_layer (layer_key, host_key) with when each first held it: the remediation
-- export's holders (LayerQuery.EXPORT_HOSTS: min(first_seen) per holder), a page's FIRST_HELD. first_seen was only in
-- the heap, and host_layers is written host by host, so each holder's row is on a page of its own: at 10,000 hosts the
-- export of the most shared layer read ~10,000 host_layers heap pages for it (46-109 ms of an export's ~110-210 ms of
-- statements, pg_stat_statements; bench/results/export-10000-v20.txt). With first_seen carried in the index's leaf
-- entries those reads are index-only (heap visited only for pages the visibility map does not mark all-visible: V18
-- vacuums host_layers after 1 % of its rows changed).
-- Cost: host_layers rows are inserted and deleted, never updated, so the wider entries cost only their size: 8 bytes
-- more an entry (24 -> 32 bytes of tuple, 28 -> 36 with its line pointer) on one of the table's two indexes.
CREATE INDEX host_layers_layer_first_held ON host_layers (layer_key, host_key) INCLUDE (first_seen);
DROP INDEX host_layers_layer;
ALTER INDEX host_layers_layer_first_held RENAME TO host_layers_layer;
