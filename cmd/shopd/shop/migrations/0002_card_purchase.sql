-- Gift cards sold in the web shop are found by their purchase: the desk
-- prints them when it hands the purchase over.
ALTER TABLE cards ADD COLUMN purchase_code TEXT;
UPDATE cards SET purchase_code = json_extract(doc, '$.purchase_code') WHERE json_extract(doc, '$.purchase_code') <> '';
CREATE INDEX cards_purchase ON cards(purchase_code) WHERE purchase_code IS NOT NULL;
