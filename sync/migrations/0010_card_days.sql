-- The month's gift cards without reading every cached card (issue 14):
-- the cards sold in a month are summed by the day they were issued, and
-- the liability at a month's end is a running sum of per-day changes.
--
-- issued_day is skranke.DayOf(IssuedAt) (Europe/Oslo), -1 until the desk
-- has filed the card (Desk.fileCards: the days are Go's, not SQL's).
-- A card is owed from IssuedAt until owed_until (skranke.Card.OpenAt:
-- ExpiresAt, or just after ClosedAt if that is sooner); end_day is the day
-- of its last owed instant, and owed is its InitialAmount, or 0 for
-- a card never owed (closed when issued). amount is its InitialAmount.
ALTER TABLE cards ADD COLUMN issued_day INTEGER NOT NULL DEFAULT -1;
ALTER TABLE cards ADD COLUMN end_day INTEGER NOT NULL DEFAULT -1;
ALTER TABLE cards ADD COLUMN owed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cards ADD COLUMN amount INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cards_issued ON cards(issued_day);

-- What the cards owe changes by owed over cards on day: up on the day a
-- card is issued, down on the day of its last owed instant (at that day's
-- end it is owed no more). The liability at the end of day D is the sum of
-- the changes of the days up to D: a few hundred rows a year, however many
-- cards. Kept in step by triggers; a card of owed 0 changes nothing.
CREATE TABLE card_days (
	day   INTEGER NOT NULL PRIMARY KEY,
	owed  INTEGER NOT NULL,
	cards INTEGER NOT NULL
);

CREATE TRIGGER card_days_insert AFTER INSERT ON cards WHEN new.owed <> 0 BEGIN
	INSERT INTO card_days(day, owed, cards) VALUES (new.issued_day, new.owed, 1)
	ON CONFLICT(day) DO UPDATE SET owed = owed + excluded.owed, cards = cards + excluded.cards;
	INSERT INTO card_days(day, owed, cards) VALUES (new.end_day, -new.owed, -1)
	ON CONFLICT(day) DO UPDATE SET owed = owed + excluded.owed, cards = cards + excluded.cards;
END;

CREATE TRIGGER card_days_delete AFTER DELETE ON cards WHEN old.owed <> 0 BEGIN
	INSERT INTO card_days(day, owed, cards) VALUES (old.issued_day, -old.owed, -1)
	ON CONFLICT(day) DO UPDATE SET owed = owed + excluded.owed, cards = cards + excluded.cards;
	INSERT INTO card_days(day, owed, cards) VALUES (old.end_day, old.owed, 1)
	ON CONFLICT(day) DO UPDATE SET owed = owed + excluded.owed, cards = cards + excluded.cards;
END;

CREATE TRIGGER card_days_update_old AFTER UPDATE OF issued_day, end_day, owed ON cards WHEN old.owed <> 0 BEGIN
	INSERT INTO card_days(day, owed, cards) VALUES (old.issued_day, -old.owed, -1)
	ON CONFLICT(day) DO UPDATE SET owed = owed + excluded.owed, cards = cards + excluded.cards;
	INSERT INTO card_days(day, owed, cards) VALUES (old.end_day, old.owed, 1)
	ON CONFLICT(day) DO UPDATE SET owed = owed + excluded.owed, cards = cards + excluded.cards;
END;

CREATE TRIGGER card_days_update_new AFTER UPDATE OF issued_day, end_day, owed ON cards WHEN new.owed <> 0 BEGIN
	INSERT INTO card_days(day, owed, cards) VALUES (new.issued_day, new.owed, 1)
	ON CONFLICT(day) DO UPDATE SET owed = owed + excluded.owed, cards = cards + excluded.cards;
	INSERT INTO card_days(day, owed, cards) VALUES (new.end_day, -new.owed, -1)
	ON CONFLICT(day) DO UPDATE SET owed = owed + excluded.owed, cards = cards + excluded.cards;
END;
