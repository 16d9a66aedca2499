-- The note registry. Times are RFC 3339 UTC text; specs are JSON text.

-- One row per series (`doc:2027`, `code:JAI:2027`): the last value handed out.
-- Values only ever grow, so a number is never handed out twice.
CREATE TABLE counters (
    series     TEXT PRIMARY KEY,
    last_value INTEGER NOT NULL
);

CREATE TABLE notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    number     TEXT    NOT NULL UNIQUE,
    year       INTEGER NOT NULL,
    serial     INTEGER NOT NULL,
    codes      TEXT    NOT NULL, -- JSON array as printed: ["JAI 274", ...]
    state      TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    spec       TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
CREATE INDEX notes_by_state ON notes (state, id);

-- The note's codes in the drafter's order. A code's counter belongs to one document;
-- its revisions (revision > 0) carry the same counter.
CREATE TABLE note_codes (
    note_id  INTEGER NOT NULL REFERENCES notes (id),
    position INTEGER NOT NULL,
    code     TEXT    NOT NULL,
    year     INTEGER NOT NULL,
    counter  INTEGER NOT NULL,
    revision INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (note_id, position),
    UNIQUE (code, year, counter, revision)
);

-- Every version of every note, never updated.
CREATE TABLE note_versions (
    note_id    INTEGER NOT NULL REFERENCES notes (id),
    version    INTEGER NOT NULL,
    spec       TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (note_id, version)
);

-- API tokens: only the SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('drafter', 'admin')),
    email      TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
