-- Version 2: a backward-compatible change. The column is nullable, so the code of version 1 (which neither writes
-- nor reads it: explicit column lists) keeps working against this schema during a rolling update or a rollback.
ALTER TABLE users ADD COLUMN email VARCHAR(320);
