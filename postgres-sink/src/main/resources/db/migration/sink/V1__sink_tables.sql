-- SplitGuard postgres-sink: tables written from the sequenced mutations topic.
-- Every row below is written in the same transaction as the consumer offsets (sink_offsets),
-- which is what makes the sink exactly-once into this database.

-- One row per scoped idempotency key: the remembered outcome and the cached 200 answer.
-- Kept for a retention period (default 7 days) counted from the first receipt of the key,
-- then deleted in batches by the sink's prune job.
CREATE TABLE idempotency_store (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scoped_key      TEXT        NOT NULL,
    idempotency_key TEXT        NOT NULL,
    tenant          TEXT        NOT NULL,
    route           TEXT        NOT NULL,
    session_id      TEXT        NOT NULL,
    payload_hash    TEXT        NOT NULL,
    status          TEXT        NOT NULL,
    response        JSONB       NOT NULL,
    sequence        BIGINT      NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT idempotency_store_scoped_key_uq UNIQUE (scoped_key),
    CONSTRAINT idempotency_store_expiry_ck CHECK (expires_at >= created_at)
);
CREATE INDEX idempotency_store_key_idx ON idempotency_store (idempotency_key);
CREATE INDEX idempotency_store_expires_idx ON idempotency_store (expires_at);

-- One row per applied contact update; a scoped key can be applied only once.
CREATE TABLE crm_contact_updates (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scoped_key      TEXT        NOT NULL,
    idempotency_key TEXT        NOT NULL,
    request_id      TEXT        NOT NULL,
    tenant          TEXT        NOT NULL,
    route           TEXT        NOT NULL,
    session_id      TEXT        NOT NULL,
    contact_id      TEXT,
    operation       TEXT,
    payload         JSONB       NOT NULL,
    payload_hash    TEXT        NOT NULL,
    sequence        BIGINT      NOT NULL,
    fencing_token   BIGINT,
    received_at     TIMESTAMPTZ NOT NULL,
    applied_at      TIMESTAMPTZ NOT NULL,
    written_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT crm_contact_updates_scoped_key_uq UNIQUE (scoped_key),
    CONSTRAINT crm_contact_updates_sequence_ck CHECK (sequence >= 1)
);
CREATE INDEX crm_contact_updates_session_idx ON crm_contact_updates (session_id, sequence);
CREATE INDEX crm_contact_updates_contact_idx ON crm_contact_updates (contact_id);

-- The fencing high-water mark of each session. last_sequence 0 means "nothing applied yet"
-- (sequences start at 1); such a row exists only so the writer can lock it.
CREATE TABLE session_sequences (
    session_id         TEXT PRIMARY KEY,
    last_sequence      BIGINT      NOT NULL CHECK (last_sequence >= 0),
    last_fencing_token BIGINT,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The next offset to read per (consumer group, topic, partition), committed with the rows.
CREATE TABLE sink_offsets (
    consumer_group TEXT        NOT NULL,
    topic          TEXT        NOT NULL,
    partition      INTEGER     NOT NULL,
    next_offset    BIGINT      NOT NULL CHECK (next_offset >= 0),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition)
);

-- Audit of writes the fence refused (a zombie or lagging writer). One row per refused record.
CREATE TABLE sink_refusals (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic                TEXT        NOT NULL,
    partition            INTEGER     NOT NULL,
    kafka_offset         BIGINT      NOT NULL,
    session_id           TEXT        NOT NULL,
    scoped_key           TEXT        NOT NULL,
    sequence             BIGINT      NOT NULL,
    stored_sequence      BIGINT      NOT NULL,
    fencing_token        BIGINT,
    stored_fencing_token BIGINT,
    reason               TEXT        NOT NULL
        CHECK (reason IN ('sequence_not_greater', 'stale_fencing_token')),
    refused_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT sink_refusals_record_uq UNIQUE (topic, partition, kafka_offset)
);
CREATE INDEX sink_refusals_session_idx ON sink_refusals (session_id);

-- Records the sink could not read (or the database rejected), kept with their raw bytes.
CREATE TABLE sink_dead_letters (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic        TEXT        NOT NULL,
    partition    INTEGER     NOT NULL,
    kafka_offset BIGINT      NOT NULL,
    record_key   BYTEA,
    raw_value    BYTEA,
    error        TEXT        NOT NULL,
    dead_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT sink_dead_letters_record_uq UNIQUE (topic, partition, kafka_offset)
);
