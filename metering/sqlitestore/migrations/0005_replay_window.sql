-- Version 5: the replay window. holds.captured_at is when a hold was
-- captured (Unix microseconds; 0 for holds not captured), so that
-- Authorize can tell a replay within the window from a new event after
-- it; holds captured before this version take the time of their usage
-- record. A key charged again after the window has a second usage record,
-- so usage loses UNIQUE (account, idem_key) (one captured hold per key
-- still makes each capture happen once).
ALTER TABLE holds ADD COLUMN captured_at INTEGER NOT NULL DEFAULT 0;
UPDATE holds SET captured_at = COALESCE((SELECT MAX(u.created_at) FROM usage u
    WHERE u.account = holds.account AND u.idem_key = holds.idem_key), created_at)
    WHERE state = 'captured';

CREATE TABLE usage_v5 (
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
    created_at    INTEGER NOT NULL
) STRICT;
INSERT INTO usage_v5 (seq, account, idem_key, file, event_time, task, media_type, credits,
        provider, model, input_tokens, output_tokens, created_at)
    SELECT seq, account, idem_key, file, event_time, task, media_type, credits,
        provider, model, input_tokens, output_tokens, created_at FROM usage;
DROP TABLE usage;
ALTER TABLE usage_v5 RENAME TO usage;
CREATE INDEX usage_created ON usage (created_at);
CREATE INDEX usage_account ON usage (account, seq);
CREATE INDEX usage_key ON usage (account, idem_key);
