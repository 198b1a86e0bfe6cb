-- Credit ledger, version 1. Tables live in the connection's search_path.

CREATE TABLE accounts (
    account    text    NOT NULL PRIMARY KEY,
    -- balance: top-ups + refunds + adjustments - captured usage.
    balance    bigint  NOT NULL DEFAULT 0,
    -- held: credits of holds not yet captured, voided or swept as expired.
    held       bigint  NOT NULL DEFAULT 0,
    legal_hold boolean NOT NULL DEFAULT false,
    CONSTRAINT balance_not_negative CHECK (balance >= 0),
    CONSTRAINT held_not_negative CHECK (held >= 0),
    CONSTRAINT available_not_negative CHECK (balance - held >= 0)
);

-- Debits of usage records purged by retention, so that
-- balance = top-ups + adjustments - usage - purged_debits still holds.
CREATE TABLE account_rollup (
    account        text        NOT NULL PRIMARY KEY REFERENCES accounts (account),
    purged_debits  bigint      NOT NULL DEFAULT 0 CHECK (purged_debits >= 0),
    purged_count   bigint      NOT NULL DEFAULT 0 CHECK (purged_count >= 0),
    purged_through timestamptz NOT NULL
);

-- One sequence for every entry, so that history has one order.
CREATE SEQUENCE ledger_seq;

-- Payment records: kept (bookkeeping), never purged with usage.
CREATE TABLE topups (
    seq         bigint      NOT NULL PRIMARY KEY DEFAULT nextval('ledger_seq'),
    account     text        NOT NULL REFERENCES accounts (account),
    payment_ref text        NOT NULL UNIQUE,
    credits     bigint      NOT NULL CHECK (credits > 0),
    created_at  timestamptz NOT NULL
);
CREATE INDEX topups_account ON topups (account, seq);

CREATE TABLE holds (
    account    text        NOT NULL REFERENCES accounts (account),
    idem_key   text        NOT NULL,
    hold_id    text        NOT NULL,
    state      text        NOT NULL CHECK (state IN ('held', 'captured', 'voided', 'expired')),
    credits    bigint      NOT NULL CHECK (credits >= 0),
    task       text        NOT NULL,
    media_type text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (account, idem_key)
);
CREATE INDEX holds_live ON holds (account, expires_at) WHERE state = 'held';
CREATE INDEX holds_closed ON holds (created_at) WHERE state IN ('voided', 'expired');

-- Usage events: exactly the fields of metering.Event.
CREATE TABLE usage (
    seq           bigint      NOT NULL PRIMARY KEY DEFAULT nextval('ledger_seq'),
    account       text        NOT NULL REFERENCES accounts (account),
    idem_key      text        NOT NULL,
    file          text        NOT NULL,
    event_time    timestamptz NOT NULL,
    task          text        NOT NULL,
    media_type    text        NOT NULL,
    credits       bigint      NOT NULL CHECK (credits >= 0),
    provider      text        NOT NULL,
    model         text        NOT NULL,
    input_tokens  bigint      NOT NULL CHECK (input_tokens >= 0),
    output_tokens bigint      NOT NULL CHECK (output_tokens >= 0),
    created_at    timestamptz NOT NULL,
    UNIQUE (account, idem_key)
);
CREATE INDEX usage_created ON usage (created_at);
CREATE INDEX usage_account ON usage (account, seq);

CREATE TABLE adjustments (
    seq        bigint      NOT NULL PRIMARY KEY DEFAULT nextval('ledger_seq'),
    account    text        NOT NULL REFERENCES accounts (account),
    idem_key   text        NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('refund', 'adjust')),
    credits    bigint      NOT NULL CHECK (credits <> 0),
    reason     text        NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (account, idem_key)
);
