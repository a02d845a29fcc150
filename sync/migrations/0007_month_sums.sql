-- The month's sums by day, kind, product and staff member, kept in step
-- with month_facts by triggers, so that the month reads a few hundred rows
-- instead of grouping the hundred thousand facts of a busy month (3 s on a
-- loaded machine; see docs/benchmarks.md). facts counts the facts summed:
-- a row goes when its last fact does, so that a product or staff member
-- with nothing left in a month is not listed (the shop lists only what has
-- facts).
CREATE TABLE month_sums (
	day        INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	product_id TEXT NOT NULL,
	product    TEXT NOT NULL,
	staff_id   TEXT NOT NULL,
	staff      TEXT NOT NULL,
	events     INTEGER NOT NULL,
	units      INTEGER NOT NULL,
	amount     INTEGER NOT NULL,
	facts      INTEGER NOT NULL,
	PRIMARY KEY (day, kind, product_id, product, staff_id, staff)
) WITHOUT ROWID;

INSERT INTO month_sums(day, kind, product_id, product, staff_id, staff, events, units, amount, facts)
SELECT day, kind, product_id, product, staff_id, staff, sum(events), sum(units), sum(amount), count(*)
FROM month_facts GROUP BY day, kind, product_id, product, staff_id, staff;

CREATE TRIGGER month_facts_sum_insert AFTER INSERT ON month_facts BEGIN
	INSERT INTO month_sums(day, kind, product_id, product, staff_id, staff, events, units, amount, facts)
	VALUES (new.day, new.kind, new.product_id, new.product, new.staff_id, new.staff, new.events, new.units, new.amount, 1)
	ON CONFLICT(day, kind, product_id, product, staff_id, staff) DO UPDATE SET
		events = events + excluded.events, units = units + excluded.units, amount = amount + excluded.amount, facts = facts + 1;
END;

CREATE TRIGGER month_facts_sum_delete AFTER DELETE ON month_facts BEGIN
	UPDATE month_sums SET events = events - old.events, units = units - old.units, amount = amount - old.amount, facts = facts - 1
	WHERE day = old.day AND kind = old.kind AND product_id = old.product_id AND product = old.product
		AND staff_id = old.staff_id AND staff = old.staff;
	DELETE FROM month_sums WHERE day = old.day AND kind = old.kind AND product_id = old.product_id AND product = old.product
		AND staff_id = old.staff_id AND staff = old.staff AND facts = 0;
END;
