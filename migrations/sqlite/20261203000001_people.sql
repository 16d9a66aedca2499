-- People, units and scope (issue 10). A drafter acts on the notes whose unit is one of
-- theirs; every audit entry names its actor by id; tokens can expire and be revoked.

-- People who may sign in to the web desk. Emails are kept in lower case, so one person
-- has one row whatever the case they are typed in. `units` is a JSON array of units.
CREATE TABLE users (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    email      TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('drafter', 'admin')),
    units      TEXT    NOT NULL DEFAULT '[]',
    disabled   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL
);

-- A token's scope and life. A token made before this migration has no unit: as a
-- drafter it acts on nothing until it is replaced by one with `--unit`.
ALTER TABLE api_tokens ADD COLUMN units TEXT NOT NULL DEFAULT '[]';
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;

-- Who did it, by id: `token:3`, `user:5`, `approver:ADDR`; NULL for the daemon's own
-- entries and for entries written before this migration.
ALTER TABLE audit_log ADD COLUMN actor_id TEXT;

-- The current version's unit, so that a drafter's list is filtered in SQL; and who
-- registered the note, who is told when changes are requested.
ALTER TABLE notes ADD COLUMN unit TEXT;
ALTER TABLE notes ADD COLUMN created_by_id TEXT;
ALTER TABLE notes ADD COLUMN created_by_email TEXT;
UPDATE notes SET unit = json_extract(spec, '$.unit');
CREATE INDEX notes_by_unit ON notes (unit, id);
