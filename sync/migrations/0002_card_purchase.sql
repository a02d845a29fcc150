-- The web shop purchase that sold a gift card, so that the desk finds the
-- cards to print when it hands such a purchase over, offline too.
ALTER TABLE cards ADD COLUMN purchase TEXT NOT NULL DEFAULT '';
UPDATE cards SET purchase = coalesce(json_extract(CAST(body AS TEXT), '$.purchase_code'), '');
CREATE INDEX cards_purchase ON cards(purchase) WHERE purchase <> '';
