-- The web desk (issue 12): sign-in links, sessions, and sign-in mail in the outbox.

-- One-time sign-in links; only the SHA-256 of a link's secret is kept. A link is spent
-- by the POST that signs in with it.
CREATE TABLE signin_links (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    expires_ms INTEGER NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0
);

-- Signed-in sessions; only the SHA-256 of the cookie's secret is kept. A session ends
-- when it expires, on sign-out, and when its person is disabled (the row is deleted).
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- A sign-in mail is about no note: outbox.note_id becomes optional. SQLite cannot drop a
-- NOT NULL in place, so the table is rebuilt with the same rows and indexes.
CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    note_id         INTEGER REFERENCES notes (id),
    kind            TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    recipient_name  TEXT,
    list            TEXT,
    context         TEXT    NOT NULL,
    secret          TEXT,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'deferred', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_ms      INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    claimed_by      TEXT,
    last_error      TEXT,
    sent_at         TEXT
);
INSERT INTO outbox_new SELECT id, note_id, kind, recipient, recipient_name, list, context,
    secret, status, attempts, created_ms, next_attempt_ms, claimed_by, last_error, sent_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_ms);
CREATE INDEX outbox_by_note ON outbox (note_id, kind, status);
CREATE INDEX outbox_by_worker ON outbox (claimed_by);
