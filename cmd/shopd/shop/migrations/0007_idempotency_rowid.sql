-- Idempotency records in a rowid table, in the order they were made, found
-- by a unique index on (scope, key). In the table WITHOUT ROWID keyed by
-- (scope, key) a record (most of it the answer, a purchase and more, about
-- 1.5 KB) was filed at a random place and, past the 1 KB an index entry
-- keeps in its page, took an overflow page of its own: every delivery
-- wrote a random page, split pages often and added a page to the file.
-- Now it goes at the end of the table, and only the small index entry
-- lands at a random place.
CREATE TABLE idempotency_rows (
	scope        TEXT NOT NULL,
	key          TEXT NOT NULL,
	fingerprint  TEXT NOT NULL,
	status       INTEGER NOT NULL,
	content_type TEXT NOT NULL,
	body         BLOB NOT NULL,
	created_at   INTEGER NOT NULL -- Unix milliseconds.
);
INSERT INTO idempotency_rows (scope, key, fingerprint, status, content_type, body, created_at)
	SELECT scope, key, fingerprint, status, content_type, body, created_at FROM idempotency ORDER BY created_at;
DROP TABLE idempotency;
ALTER TABLE idempotency_rows RENAME TO idempotency;
CREATE UNIQUE INDEX idempotency_key ON idempotency(scope, key);
CREATE INDEX idempotency_created ON idempotency(created_at);
