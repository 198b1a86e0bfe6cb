-- Version 4: the code a hold was voided with (metering.Hook.Void's
-- reason), '' for holds not voided and for those voided before.
ALTER TABLE holds ADD COLUMN void_reason TEXT NOT NULL DEFAULT '';
