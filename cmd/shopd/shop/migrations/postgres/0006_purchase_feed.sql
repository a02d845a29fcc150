-- Issue 11: each delivery rewrites its purchase (its document, and a new
-- changes-feed number). While that number was indexed in purchases, no
-- rewrite could be a HOT update (one that stays on its page and adds no
-- index entries): every delivery added an entry to each of the purchase's
-- indexes, the search's word index (GIN) with some thirty words among them,
-- whose pending list PostgreSQL then merges into the index, costing about a
-- third of the server's work per delivery.
--
-- So a purchase's place in the changes feed lives in this narrow table of
-- its own, which the feed reads (see pgTx.Changes), and the purchase's row
-- changes no indexed column when it is delivered. purchases.seq stays, as
-- in the document, unindexed. It is a copy of purchases' column kept in
-- step by the store (see pgTx.PutPurchase), not a table of the shop's own:
-- shopd migrate-db fills it from purchases after copying.
CREATE TABLE purchase_feed (
	code      TEXT PRIMARY KEY REFERENCES purchases(code),
	centre_id TEXT NOT NULL,
	seq       BIGINT NOT NULL
);
INSERT INTO purchase_feed (code, centre_id, seq) SELECT code, centre_id, seq FROM purchases;
CREATE UNIQUE INDEX purchase_feed_seq ON purchase_feed (centre_id, seq) INCLUDE (code);
DROP INDEX purchases_seq;

-- Room on each page for a rewritten row to stay there (a HOT update). Rows
-- written before keep their pages full until they move once.
ALTER TABLE purchases SET (fillfactor = 80);
ALTER TABLE purchase_lines SET (fillfactor = 90);
