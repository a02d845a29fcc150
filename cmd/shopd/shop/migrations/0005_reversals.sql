-- Deliveries undone at the desk (issue 13): one reversal per delivery at
-- most, which the unique index holds even if a rule were to slip.
CREATE TABLE reversals (
	id            TEXT PRIMARY KEY,
	delivery_id   TEXT NOT NULL UNIQUE REFERENCES deliveries(id),
	purchase_code TEXT NOT NULL REFERENCES purchases(code),
	centre_id     TEXT NOT NULL,
	at            INTEGER NOT NULL, -- Unix nanoseconds.
	doc           BLOB NOT NULL
);
CREATE INDEX reversals_at ON reversals(centre_id, at);
