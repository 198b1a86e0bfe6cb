-- Version 2: top-ups purged by retention (Store.PurgeTopUps). Their credits
-- are folded into the rollup, so that
-- balance = top-ups + purged_credits + adjustments - usage - purged_debits
-- still holds; purged_topups counts them and purged_topups_through is the
-- recording time of the newest. A row made by a top-up purge alone has
-- purged_through at the epoch.
ALTER TABLE account_rollup ADD COLUMN purged_credits bigint NOT NULL DEFAULT 0 CHECK (purged_credits >= 0);
ALTER TABLE account_rollup ADD COLUMN purged_topups bigint NOT NULL DEFAULT 0 CHECK (purged_topups >= 0);
ALTER TABLE account_rollup ADD COLUMN purged_topups_through timestamptz NOT NULL DEFAULT 'epoch';
CREATE INDEX topups_created ON topups (created_at);
