-- OS packages per layer and per image (issue 15), from the layeratlas.layer-packages topic (events/README.md).
-- Layers' package data is content-addressed by diff ID: read once per fleet, never rewritten. An image's effective
-- packages are kept as the package databases that decide them (the contract's rule: per database path, the topmost
-- layer with an entry for it decides), so an image costs a row per database, not a row per package.

-- Layers whose packages have been read (also those that touch no database: the index knows they were read).
CREATE TABLE package_layers (
    pkg_layer_key bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    diff_id       text        NOT NULL UNIQUE CHECK (diff_id ~ '^sha(256|512):[0-9a-f]+$'),
    agent_version text        NOT NULL,
    read_at       timestamptz NOT NULL,
    problems      jsonb       NOT NULL DEFAULT '[]'   -- databases the agent could not read, with where and why
);

-- What each layer does to each package-database path: present (with packages) or removed; a removed path ending in
-- '/' is a directory whose whole subtree goes.
CREATE TABLE package_databases (
    db_key        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pkg_layer_key bigint  NOT NULL REFERENCES package_layers ON DELETE CASCADE,
    ecosystem     text    NOT NULL CHECK (ecosystem IN ('dpkg', 'apk', 'rpm')),
    path          text    NOT NULL,
    state         text    NOT NULL CHECK (state IN ('present', 'removed')),
    package_count integer NOT NULL CHECK (package_count >= 0),
    UNIQUE (pkg_layer_key, ecosystem, path)
);

-- Each distinct package build once (most layers of a fleet list the same packages): strings verbatim from the
-- databases. Searched by name first.
CREATE TABLE packages (
    package_key    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ecosystem      text NOT NULL CHECK (ecosystem IN ('dpkg', 'apk', 'rpm')),
    name           text NOT NULL,
    version        text NOT NULL,
    architecture   text,
    source_name    text,
    source_version text
);
CREATE UNIQUE INDEX packages_identity
    ON packages (name, ecosystem, version, architecture, source_name, source_version) NULLS NOT DISTINCT;
-- A question names a binary package or the source package binaries were built from (openssl → libssl3).
CREATE INDEX packages_source_name ON packages (source_name) WHERE source_name IS NOT NULL;

-- The packages a present database lists.
CREATE TABLE database_packages (
    db_key      bigint NOT NULL REFERENCES package_databases ON DELETE CASCADE,
    package_key bigint NOT NULL REFERENCES packages,
    PRIMARY KEY (db_key, package_key)
);
CREATE INDEX database_packages_package ON database_packages (package_key, db_key);

-- The effective package databases of each image, and the position (in rootfs.diff_ids, from 0) of the layer that
-- brought each. Recomputed set-based for the images a batch touches: new stacks, and stacks holding a newly read layer.
CREATE TABLE image_package_databases (
    image_key bigint  NOT NULL REFERENCES images ON DELETE CASCADE,
    db_key    bigint  NOT NULL REFERENCES package_databases ON DELETE CASCADE,
    position  integer NOT NULL CHECK (position >= 0),
    PRIMARY KEY (image_key, db_key)
);
CREATE INDEX image_package_databases_db ON image_package_databases (db_key, image_key);

-- An image's effective packages, one row per package and database that brings it.
CREATE VIEW image_packages AS
SELECT ipd.image_key, ipd.position, d.ecosystem, d.path, pl.diff_id,
       p.package_key, p.name, p.version, p.architecture, p.source_name, p.source_version
  FROM image_package_databases ipd
  JOIN package_databases d ON d.db_key = ipd.db_key
  JOIN package_layers pl ON pl.pkg_layer_key = d.pkg_layer_key
  JOIN database_packages dp ON dp.db_key = ipd.db_key
  JOIN packages p ON p.package_key = dp.package_key;
