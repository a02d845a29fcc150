-- What is left to index (Desk.indexCached) is kept apart from the rows
-- (issue 16 item 2): the purchases' rowids in a table of their own, filed
-- with them and deleted by range once indexed. As a flag in the row
-- (purchases.indexed), the indexing that follows a first sync rewrote
-- every page of purchases to set it, some 1.4 KB written a purchase,
-- WAL and checkpoint, for a cache of about 750 bytes a purchase. The
-- search columns (created, status, remaining, products) are filed by the
-- changes feed now, so the indexing writes a purchase's row only when
-- those were not filed right (a cache of an older version).
CREATE TABLE unindexed (purchase INTEGER PRIMARY KEY);
INSERT INTO unindexed(purchase) SELECT rowid FROM purchases WHERE indexed = 0;
DROP INDEX purchases_unindexed;
-- The column purchases.indexed stays, unused and 1 (its default): dropping
-- it would rewrite every row of a cache of a million purchases at upgrade.
UPDATE purchases SET indexed = 1 WHERE indexed = 0;

CREATE TRIGGER unindexed_purchase_delete AFTER DELETE ON purchases BEGIN
	DELETE FROM unindexed WHERE purchase = old.rowid;
END;
