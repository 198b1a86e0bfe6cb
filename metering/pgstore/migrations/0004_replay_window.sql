-- Version 4: the replay window. holds.captured_at is when a hold was
-- captured (the epoch for holds not captured), so that Authorize can tell
-- a replay within the window from a new event after it; holds captured
-- before this version take the time of their usage record. A key charged
-- again after the window has a second usage record, so usage loses
-- UNIQUE (account, idem_key) (one captured hold per key still makes each
-- capture happen once).
ALTER TABLE holds ADD COLUMN captured_at timestamptz NOT NULL DEFAULT 'epoch';
UPDATE holds h SET captured_at = COALESCE((SELECT MAX(u.created_at) FROM usage u
    WHERE u.account = h.account AND u.idem_key = h.idem_key), h.created_at)
    WHERE h.state = 'captured';
ALTER TABLE usage DROP CONSTRAINT usage_account_idem_key_key;
CREATE INDEX usage_key ON usage (account, idem_key);
