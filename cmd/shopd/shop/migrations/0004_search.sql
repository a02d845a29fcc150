-- Purchase search: skranke.SearchText of each purchase, folded in Go.
-- Purchases stored before this version have '' until they next change;
-- the search reads those and checks them in Go (see sqlTx.SearchPurchases).
ALTER TABLE purchases ADD COLUMN search TEXT NOT NULL DEFAULT '';
CREATE INDEX purchases_centre_created ON purchases(centre_id, created_at, code);
