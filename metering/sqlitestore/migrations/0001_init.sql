-- Credit ledger, version 1. Times are Unix microseconds (UTC).

CREATE TABLE accounts (
    account    TEXT    NOT NULL PRIMARY KEY,
    -- balance: top-ups + refunds + adjustments - captured usage.
    balance    INTEGER NOT NULL DEFAULT 0,
    -- held: credits of holds not yet captured, voided or swept as expired.
    held       INTEGER NOT NULL DEFAULT 0,
    legal_hold INTEGER NOT NULL DEFAULT 0 CHECK (legal_hold IN (0, 1)),
    CHECK (balance >= 0),
    CHECK (held >= 0),
    CHECK (balance - held >= 0)
) STRICT;

-- Debits of usage records purged by retention, so that
-- balance = top-ups + adjustments - usage - purged_debits still holds.
CREATE TABLE account_rollup (
    account        TEXT    NOT NULL PRIMARY KEY REFERENCES accounts (account),
    purged_debits  INTEGER NOT NULL DEFAULT 0 CHECK (purged_debits >= 0),
    purged_count   INTEGER NOT NULL DEFAULT 0 CHECK (purged_count >= 0),
    purged_through INTEGER NOT NULL DEFAULT 0
) STRICT;

-- One sequence for every entry, so that history has one order.
CREATE TABLE ledger_seq (
    id  INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
) STRICT;
INSERT INTO ledger_seq (id, seq) VALUES (1, 0);

-- Payment records: kept (bookkeeping), never purged with usage.
CREATE TABLE topups (
    seq         INTEGER NOT NULL PRIMARY KEY,
    account     TEXT    NOT NULL REFERENCES accounts (account),
    payment_ref TEXT    NOT NULL UNIQUE,
    credits     INTEGER NOT NULL CHECK (credits > 0),
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX topups_account ON topups (account, seq);

CREATE TABLE holds (
    account    TEXT    NOT NULL REFERENCES accounts (account),
    idem_key   TEXT    NOT NULL,
    hold_id    TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('held', 'captured', 'voided', 'expired')),
    credits    INTEGER NOT NULL CHECK (credits >= 0),
    task       TEXT    NOT NULL,
    media_type TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (account, idem_key)
) STRICT;
CREATE INDEX holds_live ON holds (account, expires_at) WHERE state = 'held';
CREATE INDEX holds_closed ON holds (created_at) WHERE state IN ('voided', 'expired');

-- Usage events: exactly the fields of metering.Event.
CREATE TABLE usage (
    seq           INTEGER NOT NULL PRIMARY KEY,
    account       TEXT    NOT NULL REFERENCES accounts (account),
    idem_key      TEXT    NOT NULL,
    file          TEXT    NOT NULL,
    event_time    INTEGER NOT NULL,
    task          TEXT    NOT NULL,
    media_type    TEXT    NOT NULL,
    credits       INTEGER NOT NULL CHECK (credits >= 0),
    provider      TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    input_tokens  INTEGER NOT NULL CHECK (input_tokens >= 0),
    output_tokens INTEGER NOT NULL CHECK (output_tokens >= 0),
    created_at    INTEGER NOT NULL,
    UNIQUE (account, idem_key)
) STRICT;
CREATE INDEX usage_created ON usage (created_at);
CREATE INDEX usage_account ON usage (account, seq);

CREATE TABLE adjustments (
    seq        INTEGER NOT NULL PRIMARY KEY,
    account    TEXT    NOT NULL REFERENCES accounts (account),
    idem_key   TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('refund', 'adjust')),
    credits    INTEGER NOT NULL CHECK (credits <> 0),
    reason     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account, idem_key)
) STRICT;
