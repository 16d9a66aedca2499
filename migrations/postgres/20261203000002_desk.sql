-- The web desk (issue 12): sign-in links, sessions, and sign-in mail in the outbox.

-- One-time sign-in links; only the SHA-256 of a link's secret is kept. A link is spent
-- by the POST that signs in with it.
CREATE TABLE signin_links (
    token_hash TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    expires_ms BIGINT NOT NULL,
    used       BIGINT NOT NULL DEFAULT 0
);

-- Signed-in sessions; only the SHA-256 of the cookie's secret is kept. A session ends
-- when it expires, on sign-out, and when its person is disabled (the row is deleted).
CREATE TABLE sessions (
    token_hash TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- A sign-in mail is about no note.
ALTER TABLE outbox ALTER COLUMN note_id DROP NOT NULL;
