-- Entries of the shop's changes feed the desk refused to file because
-- their figures are impossible (see feedcheck.go): a broken proxy or a
-- forged shop. kind is 'purchase' or 'card', seq the entry's feed number,
-- code what the entry called itself. The desk asks the feed for each again
-- at every sync (Desk.retryRefused) until it gets the entry whole, or finds
-- it replaced by a newer change, which the feed brings as usual.
CREATE TABLE feed_refused (
	kind   TEXT NOT NULL,
	seq    INTEGER NOT NULL,
	code   TEXT NOT NULL,
	reason TEXT NOT NULL,
	at     INTEGER NOT NULL,
	PRIMARY KEY (kind, seq)
);
