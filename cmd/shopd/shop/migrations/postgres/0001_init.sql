-- The shop's schema on PostgreSQL: the same tables and documents as the
-- SQLite schema (migrations/0001 and 0002 together), so that shopd
-- migrate-db copies rows as they are. Times are integers as in SQLite: Unix
-- milliseconds, or nanoseconds where the comment says so.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('seq', 0);

CREATE TABLE centres (
	id  TEXT PRIMARY KEY,
	doc BYTEA NOT NULL
);

CREATE TABLE desks (
	id         TEXT PRIMARY KEY,
	centre_id  TEXT NOT NULL REFERENCES centres(id),
	token_hash TEXT NOT NULL UNIQUE,
	doc        BYTEA NOT NULL
);

CREATE TABLE staff (
	id        TEXT PRIMARY KEY,
	centre_id TEXT NOT NULL REFERENCES centres(id),
	role      TEXT NOT NULL,
	doc       BYTEA NOT NULL
);
CREATE INDEX staff_centre ON staff(centre_id);

CREATE TABLE products (
	id   TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	doc  BYTEA NOT NULL
);

CREATE TABLE purchases (
	code       TEXT PRIMARY KEY,
	centre_id  TEXT NOT NULL REFERENCES centres(id),
	status     TEXT NOT NULL,
	buyer_name TEXT NOT NULL,
	seq        BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	doc        BYTEA NOT NULL
);
CREATE UNIQUE INDEX purchases_seq ON purchases(centre_id, seq);

CREATE TABLE purchase_lines (
	purchase_code TEXT NOT NULL REFERENCES purchases(code),
	line_id       TEXT NOT NULL,
	product_id    TEXT NOT NULL,
	name          TEXT NOT NULL,
	kind          TEXT NOT NULL,
	quantity      BIGINT NOT NULL,
	unit_price    BIGINT NOT NULL,
	vat_rate      BIGINT NOT NULL,
	discount      BIGINT NOT NULL,
	delivered     BIGINT NOT NULL,
	PRIMARY KEY (purchase_code, line_id)
);

CREATE TABLE deliveries (
	id            TEXT PRIMARY KEY,
	purchase_code TEXT NOT NULL REFERENCES purchases(code),
	centre_id     TEXT NOT NULL,
	at            BIGINT NOT NULL, -- Unix nanoseconds.
	doc           BYTEA NOT NULL
);
CREATE INDEX deliveries_at ON deliveries(centre_id, at);
CREATE INDEX deliveries_purchase ON deliveries(purchase_code);

CREATE TABLE credits (
	id            TEXT PRIMARY KEY,
	purchase_code TEXT NOT NULL REFERENCES purchases(code),
	centre_id     TEXT NOT NULL,
	at            BIGINT NOT NULL, -- Unix nanoseconds.
	doc           BYTEA NOT NULL
);
CREATE INDEX credits_at ON credits(centre_id, at);

CREATE TABLE cards (
	code          TEXT PRIMARY KEY,
	centre_id     TEXT NOT NULL REFERENCES centres(id),
	status        TEXT NOT NULL,
	balance       BIGINT NOT NULL,
	parent_code   TEXT,
	seq           BIGINT NOT NULL,
	doc           BYTEA NOT NULL,
	purchase_code TEXT
);
CREATE UNIQUE INDEX cards_seq ON cards(centre_id, seq);
CREATE INDEX cards_purchase ON cards(purchase_code) WHERE purchase_code IS NOT NULL;

CREATE TABLE redemptions (
	id        TEXT PRIMARY KEY,
	card_code TEXT NOT NULL REFERENCES cards(code),
	centre_id TEXT NOT NULL,
	at        BIGINT NOT NULL, -- Unix nanoseconds.
	doc       BYTEA NOT NULL
);
CREATE INDEX redemptions_card ON redemptions(card_code, at);
CREATE INDEX redemptions_at ON redemptions(centre_id, at);

CREATE TABLE signatures (
	id         TEXT PRIMARY KEY,
	centre_id  TEXT NOT NULL,
	desk_id    TEXT NOT NULL,
	png        BYTEA NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE idempotency (
	scope        TEXT NOT NULL,
	key          TEXT NOT NULL,
	fingerprint  TEXT NOT NULL,
	status       INTEGER NOT NULL,
	content_type TEXT NOT NULL,
	body         BYTEA NOT NULL,
	created_at   BIGINT NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_created ON idempotency(created_at);

CREATE TABLE payment_events (
	id        TEXT PRIMARY KEY,
	reference TEXT NOT NULL,
	status    TEXT NOT NULL,
	at        BIGINT NOT NULL
);
