-- "Tagged on some host that is not retired" becomes a counter kept by delta, as host_count is: the number of hosts
-- whose host_images row for the image carries a repo tag. Retiring a host removes its host_images rows (and a host
-- comes back from retirement only with its contents), so the hosts counted are never retired ones.
-- Before, every batch answered the question by reading each candidate image's holders (an image held untagged by
-- every host of a 10,000-host fleet: 10,000 rows for one image), or all of host_images in a hashed sub-plan.
ALTER TABLE image_usage ADD COLUMN tagged_host_count integer NOT NULL DEFAULT 0 CHECK (tagged_host_count >= 0);

UPDATE image_usage u SET tagged_host_count = c.n
  FROM (SELECT hi.image_key, count(*)::integer AS n
          FROM host_images hi JOIN hosts h ON h.host_key = hi.host_key
         WHERE hi.repo_tags <> '{}' AND h.retired_at IS NULL
         GROUP BY hi.image_key) c
 WHERE u.image_key = c.image_key;

-- The dashboard's queries ask the function; it now reads the counter.
CREATE OR REPLACE FUNCTION image_tagged_somewhere(image bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT u.tagged_host_count > 0 FROM image_usage u WHERE u.image_key = image), false)
$$;
