-- Search and the pickup list from the cache alone (offline too).
-- created, status, remaining (units left to hand over) are copied out of
-- the body so that the pickup list reads an index, not a million bodies.
ALTER TABLE purchases ADD COLUMN created INTEGER NOT NULL DEFAULT 0;
ALTER TABLE purchases ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE purchases ADD COLUMN remaining INTEGER NOT NULL DEFAULT 0;
-- The product names of the lines, each between two U+001F (unit separator),
-- for the pickup list's filter.
ALTER TABLE purchases ADD COLUMN products TEXT NOT NULL DEFAULT '';
CREATE INDEX purchases_pickup ON purchases(created) WHERE remaining > 0 AND status IN ('authorized', 'captured');
CREATE INDEX purchases_pickup_status ON purchases(status, created) WHERE remaining > 0 AND status IN ('authorized', 'captured');
-- Sales of a period.
CREATE INDEX purchases_created ON purchases(created);

-- skranke.SearchText of each purchase, keyed by the purchase's rowid, in a
-- word index queried with prefixes ("odeg"* finds odegard; the text holds
-- every tail of phone numbers and codes, so any part of those is a prefix
-- too). The text is folded in Go, so the tokenizer only splits on spaces.
-- Prefix indexes of 3, 5 and 8 characters: FTS5 reads a prefix of such a
-- length from its own index, row by row, but builds the whole list of
-- matches for any other length, which for a common name is most of the
-- table. The desk asks for the longest indexed prefix of each term and
-- checks the rest on the text (Desk.SearchCached). Contentless: the text
-- is rebuilt from the body when needed, so it is not stored twice.
CREATE VIRTUAL TABLE purchase_search USING fts5(text, tokenize = 'unicode61 remove_diacritics 0', prefix = '3 5 8', content = '', contentless_delete = 1);

-- indexed = 0: the columns above and the search index do not yet reflect
-- the body. A first sync files purchases as they come and leaves indexing
-- to the desk's next idle moment or the next search (Desk.indexCached),
-- so that a large first sync is not slowed down by it; purchases cached
-- before this version are indexed the same way (the folding is Go's, not
-- SQL's).
ALTER TABLE purchases ADD COLUMN indexed INTEGER NOT NULL DEFAULT 1;
UPDATE purchases SET indexed = 0;
CREATE INDEX purchases_unindexed ON purchases(indexed) WHERE indexed = 0;
