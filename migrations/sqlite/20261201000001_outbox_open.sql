-- After every batch of mail results the worker asks whether a note's distribution has
-- ended. An index that ends on status answers that with one seek, where (note_id, kind)
-- made it read every row of the note's distribution each time. It serves every query the
-- old index served, which it replaces.
DROP INDEX outbox_by_note;
CREATE INDEX outbox_by_note ON outbox (note_id, kind, status);
