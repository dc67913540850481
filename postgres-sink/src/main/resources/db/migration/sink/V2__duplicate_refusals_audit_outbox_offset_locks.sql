-- V2: refusals of keys that were already applied, an audit outbox on sink_refusals, and lockable
-- placeholder rows in sink_offsets.

-- A mutation whose scoped key already has a row in crm_contact_updates (a redelivery that came
-- back after the topology's dedup window and got a new sequence) is refused as 'duplicate_key'.
ALTER TABLE sink_refusals DROP CONSTRAINT sink_refusals_reason_check;
ALTER TABLE sink_refusals ADD CONSTRAINT sink_refusals_reason_ck
    CHECK (reason IN ('sequence_not_greater', 'stale_fencing_token', 'duplicate_key'));

-- What the audit record of a refusal carries (null on rows written before V2).
ALTER TABLE sink_refusals ADD COLUMN request_id TEXT;
ALTER TABLE sink_refusals ADD COLUMN payload_hash TEXT;
-- For 'duplicate_key': the sequence and payload hash of the row already stored under the key.
ALTER TABLE sink_refusals ADD COLUMN applied_sequence BIGINT;
ALTER TABLE sink_refusals ADD COLUMN applied_payload_hash TEXT;

-- Outbox: a refusal is published to the audit topic after the transaction that recorded it has
-- committed; audited_at is set once the broker acknowledged it. Rows still null are (re)published
-- by the next sweep, so the audit topic gets every refusal at least once. Rows from before V2 are
-- left null on purpose: they were never audited.
ALTER TABLE sink_refusals ADD COLUMN audited_at TIMESTAMPTZ;
CREATE INDEX sink_refusals_unaudited_idx ON sink_refusals (id) WHERE audited_at IS NULL;

-- A writer that finds no row for a partition inserts one with a null next_offset, only so that it
-- has a row to lock: concurrent first writes to a partition then wait for each other. A null
-- next_offset never means a stored position; such a row is never committed (the same transaction
-- sets the real offset), and readers skip it all the same.
ALTER TABLE sink_offsets ALTER COLUMN next_offset DROP NOT NULL;
