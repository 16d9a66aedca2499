-- Approval and distribution. Scheduling times (`*_ms`) are Unix milliseconds, so that
-- "due" is a plain integer comparison on both backends; shown times are RFC 3339 text.

-- The review under way or last held (workflow::Review as JSON); for a revision, the
-- note it revises and k of `REV k` (0 for an original).
ALTER TABLE notes ADD COLUMN review TEXT;
ALTER TABLE notes ADD COLUMN previous_id INTEGER REFERENCES notes (id);
ALTER TABLE notes ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- Approval links: only the SHA-256 of the secret is kept. A token is bound to one
-- approver of one step of one review round of one version.
CREATE TABLE approval_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    note_id     INTEGER NOT NULL REFERENCES notes (id),
    round       INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    step        INTEGER NOT NULL,
    approver    TEXT    NOT NULL,
    token_hash  TEXT    NOT NULL UNIQUE,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'used', 'closed')),
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL,
    -- Set on the first link of an approver once a reminder (a second link) was sent.
    reminded    INTEGER NOT NULL DEFAULT 0,
    -- Set on that second link: it is never reminded again.
    reminder_of INTEGER REFERENCES approval_tokens (id)
);
CREATE INDEX approval_tokens_by_step ON approval_tokens (note_id, round, step, approver);
CREATE INDEX approval_tokens_to_remind ON approval_tokens (status, reminded, created_ms);

-- Every email, written in the transaction of the change that causes it. `secret` holds
-- an approval or download link's secret only until the mail is sent or given up.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    note_id         INTEGER NOT NULL REFERENCES notes (id),
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
    -- The daemon sending it now; its lease ends at next_attempt_ms.
    claimed_by      TEXT,
    last_error      TEXT,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_ms);
CREATE INDEX outbox_by_note ON outbox (note_id, kind);
CREATE INDEX outbox_by_worker ON outbox (claimed_by);

-- The issued PDF: the bytes every delegation receives, never changed.
CREATE TABLE documents (
    note_id    INTEGER PRIMARY KEY REFERENCES notes (id),
    sha256     TEXT    NOT NULL,
    bytes      BLOB    NOT NULL,
    created_at TEXT    NOT NULL
);

-- Download links mailed instead of a PDF too large to attach (hash only).
CREATE TABLE download_tokens (
    token_hash TEXT    PRIMARY KEY,
    note_id    INTEGER NOT NULL REFERENCES notes (id),
    expires_ms INTEGER NOT NULL
);
