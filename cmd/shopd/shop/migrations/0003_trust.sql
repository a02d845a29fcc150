-- Issue 10: the shop checks staff PINs itself and issues staff sessions.
-- staff_auth keeps each staff member's PIN verifier (argon2id, never sent to
-- desks) and the count of wrong PINs in a row; staff_sessions the sessions,
-- by the SHA-256 of their token. Times are Unix milliseconds.
CREATE TABLE staff_auth (
	staff_id     TEXT PRIMARY KEY REFERENCES staff(id),
	verifier     TEXT NOT NULL,
	failures     INTEGER NOT NULL DEFAULT 0,
	locked_until INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE staff_sessions (
	token_hash TEXT PRIMARY KEY,
	desk_id    TEXT NOT NULL,
	staff_id   TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	last_used  INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX staff_sessions_expires ON staff_sessions(expires_at);

-- Signatures are counted per desk and day, and purged after the retention.
CREATE INDEX signatures_desk ON signatures(desk_id, created_at);
CREATE INDEX signatures_created ON signatures(created_at);
