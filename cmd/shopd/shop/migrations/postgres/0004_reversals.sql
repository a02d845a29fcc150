-- Deliveries undone at the desk (issue 13), as SQLite's migration 0005:
-- one reversal per delivery at most.
CREATE TABLE reversals (
	id            TEXT PRIMARY KEY,
	delivery_id   TEXT NOT NULL UNIQUE REFERENCES deliveries(id),
	purchase_code TEXT NOT NULL REFERENCES purchases(code),
	centre_id     TEXT NOT NULL,
	at            BIGINT NOT NULL, -- Unix nanoseconds.
	doc           BYTEA NOT NULL
);
CREATE INDEX reversals_at ON reversals(centre_id, at);
