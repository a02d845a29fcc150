-- Issue 10. The shop no longer sends anything derived from PINs: drop the
-- digests older versions cached. Offline login checks a verifier the desk
-- makes itself at an online login (argon2id), with a count of wrong PINs.
UPDATE staff SET body = CAST(json_remove(CAST(body AS TEXT), '$.pin_salt', '$.pin_hash') AS BLOB);

CREATE TABLE pin_verifiers (
	staff_id     TEXT PRIMARY KEY,
	staff        BLOB NOT NULL,    -- The staff member as the shop's session named them.
	salt         BLOB NOT NULL,
	hash         BLOB NOT NULL,
	time_cost    INTEGER NOT NULL, -- argon2id parameters the hash was made with.
	memory_kib   INTEGER NOT NULL,
	threads      INTEGER NOT NULL,
	failures     INTEGER NOT NULL DEFAULT 0, -- Wrong PINs in a row, offline.
	locked_until INTEGER NOT NULL DEFAULT 0, -- Unix nanoseconds; 0 means not locked.
	created_at   INTEGER NOT NULL
) WITHOUT ROWID;
