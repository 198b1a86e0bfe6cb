-- Version 6: top-up amounts and reversals (Store.Reverse).
-- topups.amount and topups.currency are the money paid (minor units and
-- ISO 4217 code in lower case; 0 and '' when not known, as for top-ups
-- recorded before this version). accounts.owed is what reversals could
-- not take because the credits were spent; while it is above 0 the
-- account cannot hold credits, and top-ups pay it first.
ALTER TABLE topups ADD COLUMN amount INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0);
ALTER TABLE topups ADD COLUMN currency TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN owed INTEGER NOT NULL DEFAULT 0 CHECK (owed >= 0);

-- One row per KindReversal entry. settles = 0: a reversal of the top-up
-- topup_seq (payment_ref), asked for 'asked' credits under idem_key, of
-- which it took 'credits' and left 'owed' owed (credits + owed is what it
-- counts against the top-up's credits). settles = 1: a top-up (topup_seq)
-- paying 'credits' of what the account owed; idem_key is its payment
-- reference followed by '/owed'. The entry's credits are -credits.
CREATE TABLE reversals (
    seq         INTEGER NOT NULL PRIMARY KEY,
    account     TEXT    NOT NULL REFERENCES accounts (account),
    idem_key    TEXT    NOT NULL,
    settles     INTEGER NOT NULL CHECK (settles IN (0, 1)),
    topup_seq   INTEGER NOT NULL,
    payment_ref TEXT    NOT NULL,
    asked       INTEGER NOT NULL CHECK (asked >= 0),
    credits     INTEGER NOT NULL CHECK (credits >= 0),
    owed        INTEGER NOT NULL CHECK (owed >= 0),
    reason      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX reversals_key ON reversals (idem_key) WHERE settles = 0;
CREATE INDEX reversals_topup ON reversals (topup_seq) WHERE settles = 0;
CREATE INDEX reversals_account ON reversals (account, seq);
