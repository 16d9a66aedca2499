-- Verification looks an uploaded PDF up by its SHA-256.
CREATE INDEX documents_by_sha256 ON documents (sha256);
