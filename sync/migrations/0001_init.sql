-- The desk's cache of the shop and its outbox of actions not yet accepted.
-- Times are Unix nanoseconds (UTC); bodies are the API's JSON.

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- Purchases of the desk's centre as the shop last confirmed them. A rowid
-- table whose primary key (the code) lives in its own index, not WITHOUT
-- ROWID: reference codes are random, and clustering the large rows on them
-- would make a bulk sync rewrite pages all over the file; this way rows
-- append and only the small key index changes in random places.
CREATE TABLE purchases (
	code      TEXT NOT NULL PRIMARY KEY,
	seq       INTEGER NOT NULL,
	body      BLOB NOT NULL,
	cached_at INTEGER NOT NULL
);

-- Gift cards of the centre as the shop last confirmed them.
CREATE TABLE cards (
	code      TEXT NOT NULL PRIMARY KEY,
	seq       INTEGER NOT NULL,
	parent    TEXT NOT NULL DEFAULT '',
	body      BLOB NOT NULL,
	cached_at INTEGER NOT NULL
);

CREATE TABLE redemptions (
	id        TEXT NOT NULL PRIMARY KEY,
	card_code TEXT NOT NULL,
	at        INTEGER NOT NULL,
	body      BLOB NOT NULL
);
CREATE INDEX redemptions_card ON redemptions(card_code);

CREATE TABLE staff (
	id   TEXT PRIMARY KEY,
	body BLOB NOT NULL
) WITHOUT ROWID;

-- Signatures drawn at this desk (and fetched ones), PNG.
CREATE TABLE signatures (
	id  TEXT NOT NULL PRIMARY KEY,
	png BLOB NOT NULL
);

-- The daily report: deliveries, redemptions and credits made here or synced
-- from the shop. synced = 0 while the shop has not accepted it.
CREATE TABLE activities (
	id           TEXT NOT NULL PRIMARY KEY,
	kind         TEXT NOT NULL,
	at           INTEGER NOT NULL,
	code         TEXT NOT NULL,
	staff_id     TEXT NOT NULL,
	staff_name   TEXT NOT NULL,
	buyer        TEXT NOT NULL,
	products     TEXT NOT NULL,
	amount       INTEGER NOT NULL,
	signature_id TEXT NOT NULL,
	synced       INTEGER NOT NULL,
	body         BLOB NOT NULL
);
CREATE INDEX activities_at ON activities(at);
CREATE INDEX activities_code ON activities(code);

-- Actions in the order staff made them. state: pending (to send), sending
-- (sent once, synchronously, outcome unknown), done, refused (the shop said
-- no while staff waited), conflict (the shop said no later: for a manager),
-- discarded (a manager dropped it), abandoned (online-only action that never
-- reached the shop).
CREATE TABLE outbox (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	kind           TEXT NOT NULL,
	key            TEXT NOT NULL UNIQUE,
	code           TEXT NOT NULL,
	method         TEXT NOT NULL,
	path           TEXT NOT NULL,
	content_type   TEXT NOT NULL,
	body           BLOB NOT NULL,
	staff_id       TEXT NOT NULL,
	depends_on     INTEGER NOT NULL DEFAULT 0,
	state          TEXT NOT NULL,
	attempts       INTEGER NOT NULL DEFAULT 0,
	last_error     TEXT NOT NULL DEFAULT '',
	summary        TEXT NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	resolved_by    TEXT NOT NULL DEFAULT '',
	resolve_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_state ON outbox(state, id);
CREATE INDEX outbox_code ON outbox(code, kind);
