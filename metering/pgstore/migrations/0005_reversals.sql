-- Version 5: top-up amounts and reversals (Store.Reverse).
-- topups.amount and topups.currency are the money paid (minor units and
-- ISO 4217 code in lower case; 0 and '' when not known, as for top-ups
-- recorded before this version). accounts.owed is what reversals could
-- not take because the credits were spent; while it is above 0 the
-- account cannot hold credits, and top-ups pay it first.
ALTER TABLE topups ADD COLUMN amount bigint NOT NULL DEFAULT 0 CHECK (amount >= 0);
ALTER TABLE topups ADD COLUMN currency text NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN owed bigint NOT NULL DEFAULT 0
    CONSTRAINT owed_not_negative CHECK (owed >= 0);

-- One row per KindReversal entry. settles = false: a reversal of the
-- top-up topup_seq (payment_ref), asked for 'asked' credits under
-- idem_key, of which it took 'credits' and left 'owed' owed (credits +
-- owed is what it counts against the top-up's credits). settles = true:
-- a top-up (topup_seq) paying 'credits' of what the account owed;
-- idem_key is its payment reference followed by '/owed'. The entry's
-- credits are -credits.
CREATE TABLE reversals (
    seq         bigint      NOT NULL PRIMARY KEY DEFAULT nextval('ledger_seq'),
    account     text        NOT NULL REFERENCES accounts (account),
    idem_key    text        NOT NULL,
    settles     boolean     NOT NULL,
    topup_seq   bigint      NOT NULL,
    payment_ref text        NOT NULL,
    asked       bigint      NOT NULL CHECK (asked >= 0),
    credits     bigint      NOT NULL CHECK (credits >= 0),
    owed        bigint      NOT NULL CHECK (owed >= 0),
    reason      text        NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX reversals_key ON reversals (idem_key) WHERE NOT settles;
CREATE INDEX reversals_topup ON reversals (topup_seq) WHERE NOT settles;
CREATE INDEX reversals_account ON reversals (account, seq);
