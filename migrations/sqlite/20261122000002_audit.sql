-- The audit trail: one row per thing that happened to a note, never updated or deleted.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    note_id    INTEGER NOT NULL REFERENCES notes (id),
    at         TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    version    INTEGER,
    detail     TEXT,
    client     TEXT,
    user_agent TEXT
);
CREATE INDEX audit_log_by_note ON audit_log (note_id, id);
