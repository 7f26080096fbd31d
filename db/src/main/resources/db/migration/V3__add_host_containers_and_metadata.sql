-- Issue 16: what a host runs and says about itself.

-- The host's metadata as its last snapshot gave it (events/README.md, "Host"); null = unknown. Labels are the
-- operator's (`layeratlas agent --label env=prod`), a JSON object of strings; answers filter with `labels @> …`.
ALTER TABLE hosts
    ADD COLUMN docker_version   text,
    ADD COLUMN storage_driver   text,
    ADD COLUMN data_root        text,
    ADD COLUMN operating_system text,
    ADD COLUMN labels           jsonb NOT NULL DEFAULT '{}';
CREATE INDEX hosts_labels ON hosts USING gin (labels jsonb_path_ops);

-- The containers of a host's last snapshot (events/README.md, "Container"), replaced with it. image_id is the image
-- ID as the host reported it, kept as text: it may name an image the snapshot could not read.
CREATE TABLE host_containers (
    host_key     integer NOT NULL REFERENCES hosts ON DELETE CASCADE,
    container_id text    NOT NULL,
    name         text,
    state        text,
    created      timestamptz,
    image_id     text,
    image        text,
    PRIMARY KEY (host_key, container_id)
);
CREATE INDEX host_containers_image ON host_containers (image_id, host_key);
