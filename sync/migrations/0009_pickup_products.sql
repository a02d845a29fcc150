-- The pickup list filtered by product (issue 14 item 5): the product names
-- of each waiting purchase (paid, not fully handed over: the rows of the
-- partial index purchases_pickup), one row per name, clustered by product
-- and newest first. "Newest first, at most n" for one product walks only
-- that product's rows; before, the filter (instr on purchases.products)
-- read the row of every waiting purchase, nine in ten of a million cached,
-- to keep the few of a rare product. purchase is the purchase's rowid;
-- created is a copy of purchases.created.
--
-- The writer keeps it (writer.putPickup, where it files a purchase's
-- search columns: putPurchase and Desk.indexCached), not an UPDATE
-- trigger on purchases: such a trigger would make every statement that
-- files a purchase keep a statement journal, which a first sync of a
-- million purchases pays for (see sqlFilePurchase). A purchase filed
-- without its search columns (indexed = 0) keeps its old rows until
-- indexCached files them again; Desk.Pickup checks each row it reads
-- against the purchase's own columns, so such stale rows are never listed.
CREATE TABLE pickup_products (
	product  TEXT NOT NULL,
	created  INTEGER NOT NULL,
	purchase INTEGER NOT NULL,
	PRIMARY KEY (product, created, purchase)
) WITHOUT ROWID;
CREATE INDEX pickup_products_purchase ON pickup_products(purchase);

CREATE TRIGGER pickup_products_purchase_delete AFTER DELETE ON purchases BEGIN
	DELETE FROM pickup_products WHERE purchase = old.rowid;
END;

-- Filled in place from the products column (each name between two
-- U+001F) of the waiting purchases already indexed, rather than indexing a
-- million purchases again; those not yet indexed get theirs from
-- Desk.indexCached. Inserted in key order, so that the table is appended
-- to rather than written all over. 100,000 waiting purchases took 1.4 s
-- on the shared machine (load average 6.5): some seconds for a million,
-- where indexing them again would take minutes.
WITH RECURSIVE split(purchase, created, rest, name) AS (
	SELECT rowid, created, substr(products, 2), NULL FROM purchases
	WHERE remaining > 0 AND status IN ('authorized', 'captured') AND indexed = 1 AND products <> ''
	UNION ALL
	SELECT purchase, created, substr(rest, instr(rest, char(31)) + 1), substr(rest, 1, instr(rest, char(31)) - 1)
	FROM split WHERE instr(rest, char(31)) > 0
)
INSERT OR IGNORE INTO pickup_products(product, created, purchase)
SELECT name, created, purchase FROM split WHERE name IS NOT NULL ORDER BY 1, 2, 3;
