-- The fleet model (../shared/DESIGN.md, "The PostgreSQL model").
-- Digests are stored as text 'sha256:<hex>' in the dimension tables (images, layers, layer_blobs), where
-- prefix search needs them; the large fact tables (host_layers, host_images, image_layers) use integer
-- surrogate keys so that millions of host<->layer rows stay small and their indexes stay in memory.

CREATE TABLE hosts (
    host_key            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id             text        NOT NULL UNIQUE,
    source              text,
    source_kind         text,
    agent_version       text,
    generation          bigint      NOT NULL DEFAULT -1,   -- last complete snapshot applied; -1 = none
    scanned_at          timestamptz,                       -- the agent's scan time of that snapshot
    snapshot_applied_at timestamptz,                       -- when the indexer applied it
    last_heartbeat_at   timestamptz,
    heartbeat_interval_seconds bigint,
    first_seen          timestamptz NOT NULL DEFAULT now(),
    retired_at          timestamptz,                       -- set by an operator; hides the host
    problems            jsonb       NOT NULL DEFAULT '[]'  -- the last snapshot's scan problems
);

CREATE TABLE images (
    image_key    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    image_id     text   NOT NULL UNIQUE CHECK (image_id ~ '^sha(256|512):[0-9a-f]+$'),
    config       jsonb,            -- null until the image-config event arrives
    created      timestamptz,
    os           text,
    architecture text,
    layer_count  integer,          -- number of diff IDs; null until known
    size         bigint,           -- bytes, sum of layer sizes as Docker reports it; null until known
    first_seen   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE layers (
    layer_key       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chain_id        text   NOT NULL UNIQUE CHECK (chain_id ~ '^sha(256|512):[0-9a-f]+$'),
    diff_id         text   NOT NULL CHECK (diff_id ~ '^sha(256|512):[0-9a-f]+$'),
    parent_chain_id text,
    size            bigint,        -- bytes of this layer alone; null until a host reported it
    v1_id           text,
    first_seen      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX layers_diff_id ON layers (diff_id text_pattern_ops);
CREATE INDEX layers_chain_id_prefix ON layers (chain_id text_pattern_ops);
CREATE INDEX layers_v1_id ON layers (v1_id text_pattern_ops) WHERE v1_id IS NOT NULL;
CREATE INDEX images_id_prefix ON images (image_id text_pattern_ops);

-- Layer stack of an image, bottom first (position 0).
CREATE TABLE image_layers (
    image_key bigint  NOT NULL REFERENCES images ON DELETE CASCADE,
    position  integer NOT NULL CHECK (position >= 0),
    layer_key bigint  NOT NULL REFERENCES layers,
    PRIMARY KEY (image_key, position)
);
CREATE INDEX image_layers_layer ON image_layers (layer_key);

-- Compressed (blob) digests known for a diff ID.
CREATE TABLE layer_blobs (
    diff_id           text NOT NULL,
    compressed_digest text NOT NULL,
    media_type        text,
    source_repository text,
    PRIMARY KEY (diff_id, compressed_digest)
);
CREATE INDEX layer_blobs_compressed ON layer_blobs (compressed_digest text_pattern_ops);

-- `docker history`, oldest first.
CREATE TABLE image_history (
    image_key   bigint  NOT NULL REFERENCES images ON DELETE CASCADE,
    position    integer NOT NULL,
    created     timestamptz,
    created_by  text,
    comment     text,
    empty_layer boolean NOT NULL,
    size        bigint  NOT NULL,
    PRIMARY KEY (image_key, position)
);

-- Lineage: Docker's local parent ('docker-parent') or the inferred base ('inferred-base').
CREATE TABLE image_parents (
    child_key  bigint NOT NULL REFERENCES images ON DELETE CASCADE,
    parent_key bigint NOT NULL REFERENCES images ON DELETE CASCADE,
    source     text   NOT NULL CHECK (source IN ('docker-parent', 'inferred-base')),
    PRIMARY KEY (child_key, source),
    CHECK (child_key <> parent_key)
);
CREATE INDEX image_parents_parent ON image_parents (parent_key);

CREATE TABLE host_images (
    host_key     integer NOT NULL REFERENCES hosts ON DELETE CASCADE,
    image_key    bigint  NOT NULL REFERENCES images,
    repo_tags    text[]  NOT NULL DEFAULT '{}',
    repo_digests text[]  NOT NULL DEFAULT '{}',
    parent_id    text,             -- Docker's local parent as this host reported it
    containers   integer NOT NULL DEFAULT -1,
    size         bigint  NOT NULL DEFAULT -1,
    shared_size  bigint  NOT NULL DEFAULT -1,
    unique_size  bigint  NOT NULL DEFAULT -1,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host_key, image_key)
);
CREATE INDEX host_images_image ON host_images (image_key);

CREATE TABLE host_layers (
    host_key   integer NOT NULL REFERENCES hosts ON DELETE CASCADE,
    layer_key  bigint  NOT NULL REFERENCES layers,
    first_seen timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host_key, layer_key)
);
CREATE INDEX host_layers_layer ON host_layers (layer_key, host_key);

-- Usage counters, kept exact by the indexer in the same transaction as the facts they count,
-- so the reuse views read them instead of aggregating the fleet per page view.
CREATE TABLE layer_usage (
    layer_key   bigint  PRIMARY KEY REFERENCES layers,
    host_count  integer NOT NULL DEFAULT 0 CHECK (host_count >= 0),   -- hosts holding this chain ID
    image_count integer NOT NULL DEFAULT 0 CHECK (image_count >= 0)  -- distinct images (fleet-wide) containing it
);
CREATE INDEX layer_usage_hosts ON layer_usage (host_count DESC);

CREATE TABLE image_usage (
    image_key  bigint  PRIMARY KEY REFERENCES images,
    host_count integer NOT NULL DEFAULT 0 CHECK (host_count >= 0)
);

-- What arrived on and left a host, when.
CREATE TABLE host_changes (
    change_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_key   integer NOT NULL REFERENCES hosts ON DELETE CASCADE,
    generation bigint  NOT NULL,
    at         timestamptz NOT NULL,
    change     text    NOT NULL CHECK (change IN ('added', 'removed')),
    subject    text    NOT NULL CHECK (subject IN ('image', 'layer')),
    digest     text    NOT NULL   -- image ID or chain ID
);
CREATE INDEX host_changes_host ON host_changes (host_key, change_id DESC);

-- Chunks of a snapshot whose other chunks have not all arrived yet.
CREATE TABLE pending_snapshot_chunks (
    host_id     text    NOT NULL,
    generation  bigint  NOT NULL,
    chunk       integer NOT NULL,
    chunk_count integer NOT NULL,
    payload     jsonb   NOT NULL,
    PRIMARY KEY (host_id, generation, chunk)
);

-- Consumed Kafka offsets, stored in the same transaction as their effects
-- (KafkaConsumer Javadoc, "Storing Offsets Outside Kafka").
CREATE TABLE consumer_offsets (
    consumer_group text    NOT NULL,
    topic          text    NOT NULL,
    partition      integer NOT NULL,
    next_offset    bigint  NOT NULL,
    PRIMARY KEY (consumer_group, topic, partition)
);
