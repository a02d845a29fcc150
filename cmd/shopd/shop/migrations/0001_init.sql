-- The shop's first schema. Purchases and cards keep their JSON document next
-- to the columns that queries need, so that the changes feed serves documents
-- without assembling them; purchase_lines keeps the lines in normal form for
-- reporting.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('seq', 0);

CREATE TABLE centres (
	id  TEXT PRIMARY KEY,
	doc BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE desks (
	id         TEXT PRIMARY KEY,
	centre_id  TEXT NOT NULL REFERENCES centres(id),
	token_hash TEXT NOT NULL UNIQUE,
	doc        BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE staff (
	id        TEXT PRIMARY KEY,
	centre_id TEXT NOT NULL REFERENCES centres(id),
	role      TEXT NOT NULL,
	doc       BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX staff_centre ON staff(centre_id);

CREATE TABLE products (
	id   TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	doc  BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE purchases (
	code       TEXT PRIMARY KEY,
	centre_id  TEXT NOT NULL REFERENCES centres(id),
	status     TEXT NOT NULL,
	buyer_name TEXT NOT NULL,
	seq        INTEGER NOT NULL,
	created_at INTEGER NOT NULL, -- Unix milliseconds.
	updated_at INTEGER NOT NULL,
	doc        BLOB NOT NULL
);
CREATE UNIQUE INDEX purchases_seq ON purchases(centre_id, seq);

CREATE TABLE purchase_lines (
	purchase_code TEXT NOT NULL REFERENCES purchases(code),
	line_id       TEXT NOT NULL,
	product_id    TEXT NOT NULL,
	name          TEXT NOT NULL,
	kind          TEXT NOT NULL,
	quantity      INTEGER NOT NULL,
	unit_price    INTEGER NOT NULL,
	vat_rate      INTEGER NOT NULL,
	discount      INTEGER NOT NULL,
	delivered     INTEGER NOT NULL,
	PRIMARY KEY (purchase_code, line_id)
) WITHOUT ROWID;

CREATE TABLE deliveries (
	id            TEXT PRIMARY KEY,
	purchase_code TEXT NOT NULL REFERENCES purchases(code),
	centre_id     TEXT NOT NULL,
	at            INTEGER NOT NULL, -- Unix nanoseconds.
	doc           BLOB NOT NULL
);
CREATE INDEX deliveries_at ON deliveries(centre_id, at);
CREATE INDEX deliveries_purchase ON deliveries(purchase_code);

CREATE TABLE credits (
	id            TEXT PRIMARY KEY,
	purchase_code TEXT NOT NULL REFERENCES purchases(code),
	centre_id     TEXT NOT NULL,
	at            INTEGER NOT NULL,
	doc           BLOB NOT NULL
);
CREATE INDEX credits_at ON credits(centre_id, at);

CREATE TABLE cards (
	code        TEXT PRIMARY KEY,
	centre_id   TEXT NOT NULL REFERENCES centres(id),
	status      TEXT NOT NULL,
	balance     INTEGER NOT NULL,
	parent_code TEXT,
	seq         INTEGER NOT NULL,
	doc         BLOB NOT NULL
);
CREATE UNIQUE INDEX cards_seq ON cards(centre_id, seq);

CREATE TABLE redemptions (
	id        TEXT PRIMARY KEY,
	card_code TEXT NOT NULL REFERENCES cards(code),
	centre_id TEXT NOT NULL,
	at        INTEGER NOT NULL,
	doc       BLOB NOT NULL
);
CREATE INDEX redemptions_card ON redemptions(card_code, at);
CREATE INDEX redemptions_at ON redemptions(centre_id, at);

CREATE TABLE signatures (
	id         TEXT PRIMARY KEY,
	centre_id  TEXT NOT NULL,
	desk_id    TEXT NOT NULL,
	png        BLOB NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE idempotency (
	scope        TEXT NOT NULL,
	key          TEXT NOT NULL,
	fingerprint  TEXT NOT NULL,
	status       INTEGER NOT NULL,
	content_type TEXT NOT NULL,
	body         BLOB NOT NULL,
	created_at   INTEGER NOT NULL, -- Unix milliseconds.
	PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_created ON idempotency(created_at);

CREATE TABLE payment_events (
	id         TEXT PRIMARY KEY,
	reference  TEXT NOT NULL,
	status     TEXT NOT NULL,
	at         INTEGER NOT NULL
) WITHOUT ROWID;
