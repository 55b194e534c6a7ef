-- The outbox keeps a sent mail's body for the retention period
-- (CONVENE_OUTBOX_RETENTION) only: then raw is emptied and purged_ms says
-- when; the row stays, for the outbox view and the dedupe key that makes
-- each mail once. Held, queued and failed mail keep their body: it is what
-- is shown or sent.
ALTER TABLE mail_outbox ADD COLUMN purged_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX mail_outbox_sent ON mail_outbox (sent_ms) WHERE status = 'sent' AND purged_ms = 0;
