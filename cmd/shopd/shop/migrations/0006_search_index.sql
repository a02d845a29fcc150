-- A word index of each purchase's search text (skranke.SearchText, the
-- same words the desk's cache indexes), keyed by the purchase's rowid, with
-- a prefix index for every length from 2 to 8 characters
-- (skranke.SearchQuery.FTSMatch). Without it the search walked the centre's
-- purchases newest first testing each with LIKE, which for a rare name, a
-- phone number or part of a code read every purchase of the centre: seconds
-- at a million. Contentless: the text is in purchases.search already.
-- Triggers keep it in step with every way a purchase is written.
CREATE VIRTUAL TABLE purchase_search USING fts5(text, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3 4 5 6 7 8', content = '', contentless_delete = 1, detail = none);
INSERT INTO purchase_search(rowid, text) SELECT rowid, search FROM purchases WHERE search <> '';
INSERT INTO purchase_search(purchase_search) VALUES ('optimize');
CREATE TRIGGER purchases_search_insert AFTER INSERT ON purchases WHEN new.search <> '' BEGIN
	INSERT INTO purchase_search(rowid, text) VALUES (new.rowid, new.search);
END;
CREATE TRIGGER purchases_search_update AFTER UPDATE OF search ON purchases WHEN old.search IS NOT new.search BEGIN
	DELETE FROM purchase_search WHERE rowid = old.rowid;
	INSERT INTO purchase_search(rowid, text) SELECT new.rowid, new.search WHERE new.search <> '';
END;
CREATE TRIGGER purchases_search_delete AFTER DELETE ON purchases BEGIN
	DELETE FROM purchase_search WHERE rowid = old.rowid;
END;
-- Purchases stored before 0004 have no search text until they next change:
-- the search reads them through this index and checks them in Go.
CREATE INDEX purchases_unsearched ON purchases(centre_id, created_at, code) WHERE search = '';
