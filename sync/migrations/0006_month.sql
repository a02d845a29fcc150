-- The month (issue 14 item 4): the facts of each cached purchase
-- (skranke.PurchaseFacts: its sales, credits and deliveries with day,
-- product, staff and amount), so that a month sums a range of this table
-- instead of decoding the bodies of the month's tens of thousands of
-- purchases. Clustered by day: a month is one contiguous range. purchase
-- is the purchase's rowid; n numbers its facts.
CREATE TABLE month_facts (
	day        INTEGER NOT NULL, -- skranke.Day (20260331), Europe/Oslo.
	purchase   INTEGER NOT NULL,
	n          INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	product_id TEXT NOT NULL,
	product    TEXT NOT NULL,
	staff_id   TEXT NOT NULL,
	staff      TEXT NOT NULL,
	events     INTEGER NOT NULL,
	units      INTEGER NOT NULL,
	amount     INTEGER NOT NULL, -- øre
	PRIMARY KEY (day, purchase, n)
) WITHOUT ROWID;
CREATE INDEX month_facts_purchase ON month_facts(purchase);

CREATE TRIGGER month_facts_purchase_delete AFTER DELETE ON purchases BEGIN
	DELETE FROM month_facts WHERE purchase = old.rowid;
END;

-- The redemptions of a month.
CREATE INDEX redemptions_at ON redemptions(at);

-- Purchases cached before this version get their facts the way 0005 gave
-- them their search columns: at the next idle moment or the next read
-- (Desk.indexCached).
UPDATE purchases SET indexed = 0;
