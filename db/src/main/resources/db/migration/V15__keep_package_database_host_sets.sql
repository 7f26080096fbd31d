-- Which hosts hold an image having each package database, as a set of host keys (issue 15 figures: a package search
-- at 10,000 hosts). A search asks about the hosts holding any of several databases (every database listing a matched
-- build): how many there are and which come first by host ID. host_package_databases answers that with one row per
-- host and database, so the count (a DISTINCT over the matched databases' rows) read every holder's row of every
-- matched database per request: at 2,000 hosts, ~30,000 index entries and 2,000 host probes for a name every base has.
-- Here the same facts are a bit per host: the union of the matched databases' sets is a bitwise OR of a few rows,
-- its size a bit count, and a host's membership a bit test.
--   chunk  host_key / 1024 (host keys are the hosts table's dense identity)
--   hosts  bit (host_key % 1024), counted from the left, is set when host_package_databases has a row (host_key,
--          db_key), i.e. the host holds at least one image whose effective databases include db_key
-- A row whose bits all went to 0 may stay (a batch clears bits, it does not delete rows); readers OR rows, so such a
-- row changes no answer. Kept in the indexer's transaction by the same statements that insert and delete
-- host_package_databases rows (db.index.PackageStore); IndexWriter.recount checks it.
CREATE TABLE package_database_hosts (
    db_key bigint     NOT NULL REFERENCES package_databases ON DELETE CASCADE,
    chunk  integer    NOT NULL CHECK (chunk >= 0),
    hosts  bit(1024)  NOT NULL,
    PRIMARY KEY (db_key, chunk)
);
-- Bits flip in place: room on each page keeps an update on its page (a heap-only tuple, no index write).
ALTER TABLE package_database_hosts SET (fillfactor = 50);

INSERT INTO package_database_hosts (db_key, chunk, hosts)
SELECT x.db_key, x.host_key >> 10, bit_or(B'1'::bit(1024) >> (x.host_key & 1023))
  FROM host_package_databases x
 GROUP BY x.db_key, x.host_key >> 10
 ORDER BY 1, 2;
