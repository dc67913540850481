-- V4: the latest flow checkpoint of each session, written from the compacted checkpoints topic.
-- One row per session. The sink applies the topology's fence again: a checkpoint replaces the row
-- only with a greater sequence, or when the stored one had expired (on the accepting topology
-- instance's clock, as recorded in stored_at / expires_at) by the time the new one was accepted.
-- A tombstone on the topic (the topology purged an expired checkpoint) deletes the row; the prune job
-- also deletes rows past expires_at, for a sink that was too far behind to see the tombstone.
CREATE TABLE session_checkpoints (
    session_id       TEXT PRIMARY KEY,
    checkpoint_id    TEXT        NOT NULL,
    sequence         BIGINT      NOT NULL,
    schema_version   INTEGER     NOT NULL CHECK (schema_version >= 1),
    flow_version     TEXT,
    variables        JSONB       NOT NULL,
    region           TEXT        NOT NULL,
    ttl_seconds      INTEGER     NOT NULL CHECK (ttl_seconds >= 1),
    request_id       TEXT        NOT NULL,
    received_at      TIMESTAMPTZ NOT NULL,
    stored_at        TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    source_partition INTEGER     NOT NULL,
    source_offset    BIGINT      NOT NULL,
    written_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT session_checkpoints_expiry_ck CHECK (expires_at > stored_at)
);
CREATE INDEX session_checkpoints_expires_idx ON session_checkpoints (expires_at);

-- A checkpoint whose sequence is not greater than the stored live one is refused like a fenced
-- mutation: kept in sink_refusals (scoped_key holds 'checkpoint:' and its checkpoint id) and audited.
ALTER TABLE sink_refusals DROP CONSTRAINT sink_refusals_reason_ck;
ALTER TABLE sink_refusals ADD CONSTRAINT sink_refusals_reason_ck
    CHECK (reason IN ('sequence_not_greater', 'stale_fencing_token', 'duplicate_key', 'checkpoint_not_newer'));
