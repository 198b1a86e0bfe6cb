-- Version 2: the retention sweep lock. At most one row: the sweeper that
-- holds the lock, until it deletes the row or its lease (expires_at, Unix
-- microseconds) runs out.
CREATE TABLE sweep_lock (
    id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    owner      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
