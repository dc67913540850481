-- V3: session epochs. The topology purges sessions that stayed idle past a horizon; a session
-- written again afterwards starts its sequence at 1 in a new epoch (the deciding instance's
-- processing time in ms), always greater than the purged one. A session's mutations are ordered by
-- (session_epoch, sequence); rows written before V3 are epoch 0.
ALTER TABLE session_sequences ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0 CHECK (session_epoch >= 0);
ALTER TABLE crm_contact_updates ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0 CHECK (session_epoch >= 0);
ALTER TABLE sink_refusals ADD COLUMN session_epoch BIGINT;
ALTER TABLE sink_refusals ADD COLUMN stored_session_epoch BIGINT;

CREATE INDEX crm_contact_updates_session_epoch_idx ON crm_contact_updates (session_id, session_epoch, sequence);
DROP INDEX crm_contact_updates_session_idx;

-- The prune job deletes session marks not written for the idle horizon.
CREATE INDEX session_sequences_updated_idx ON session_sequences (updated_at);
