-- DKIM key rotation (RFC 6376 §3.1 selectors; M3AAWG DKIM Key Rotation
-- BCP). Each key of a domain has a state:
--   pending   made by a rotation, its record to publish; not signing yet
--   active    signs the domain's mail (one per domain)
--   retiring  replaced; its record stays published until retired_ms + 7 days
--   retired   its private key deleted (private_key = ''); the row stays so
--             that its selector is never reused and the page can say the
--             record may go
ALTER TABLE dkim_keys ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
ALTER TABLE dkim_keys ADD COLUMN activated_ms BIGINT;
ALTER TABLE dkim_keys ADD COLUMN retired_ms BIGINT;
ALTER TABLE dkim_keys ADD COLUMN purged_ms BIGINT;
UPDATE dkim_keys SET activated_ms = created_ms;
-- At most one pending and one active key per domain: two rotations at once
-- cannot make two pending keys, two activations cannot leave two signing.
CREATE UNIQUE INDEX dkim_keys_one_pending ON dkim_keys (account_id, domain) WHERE state = 'pending';
CREATE UNIQUE INDEX dkim_keys_one_active ON dkim_keys (account_id, domain) WHERE state = 'active';
CREATE INDEX dkim_keys_retiring ON dkim_keys (retired_ms) WHERE state = 'retiring';
