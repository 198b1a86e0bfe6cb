-- Version 3: top-ups purged by retention (Store.PurgeTopUps). Their credits
-- are folded into the rollup, so that
-- balance = top-ups + purged_credits + adjustments - usage - purged_debits
-- still holds; purged_topups counts them and purged_topups_through is the
-- recording time (Unix microseconds) of the newest.
ALTER TABLE account_rollup ADD COLUMN purged_credits INTEGER NOT NULL DEFAULT 0 CHECK (purged_credits >= 0);
ALTER TABLE account_rollup ADD COLUMN purged_topups INTEGER NOT NULL DEFAULT 0 CHECK (purged_topups >= 0);
ALTER TABLE account_rollup ADD COLUMN purged_topups_through INTEGER NOT NULL DEFAULT 0;
CREATE INDEX topups_created ON topups (created_at);
