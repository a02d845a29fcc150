-- A word index of each purchase's search text (skranke.SearchText), asked
-- with prefix queries ('kari:* & hansen:*'): a GIN index over its words
-- ('simple': no stemming, no stop words). Without it the search walked the
-- centre's purchases newest first testing each with LIKE, which for a rare
-- name, a phone number or part of a code read every purchase of the centre.
-- The planner still walks by date for words most purchases have.
CREATE INDEX purchases_search_words ON purchases USING gin (to_tsvector('simple', search));
-- Purchases stored before 0003 have no search text until they next change:
-- the search reads them through this index and checks them in Go.
CREATE INDEX purchases_unsearched ON purchases (centre_id, created_at, code) WHERE search = '';
