-- How many outbox actions are in each state, signatures apart, kept with
-- the rows by triggers: the status line reads the number of pending
-- actions on every change, and counting ten thousand rows each time cost
-- milliseconds.
CREATE TABLE outbox_counts (
	state     TEXT NOT NULL,
	signature INTEGER NOT NULL,
	n         INTEGER NOT NULL,
	PRIMARY KEY (state, signature)
) WITHOUT ROWID;

INSERT INTO outbox_counts(state, signature, n)
SELECT state, kind = 'signature', count(*) FROM outbox GROUP BY state, kind = 'signature';

CREATE TRIGGER outbox_count_insert AFTER INSERT ON outbox BEGIN
	INSERT INTO outbox_counts(state, signature, n) VALUES (new.state, new.kind = 'signature', 1)
	ON CONFLICT(state, signature) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER outbox_count_delete AFTER DELETE ON outbox BEGIN
	UPDATE outbox_counts SET n = n - 1 WHERE state = old.state AND signature = (old.kind = 'signature');
END;

CREATE TRIGGER outbox_count_update AFTER UPDATE OF state, kind ON outbox
WHEN old.state IS NOT new.state OR old.kind IS NOT new.kind BEGIN
	UPDATE outbox_counts SET n = n - 1 WHERE state = old.state AND signature = (old.kind = 'signature');
	INSERT INTO outbox_counts(state, signature, n) VALUES (new.state, new.kind = 'signature', 1)
	ON CONFLICT(state, signature) DO UPDATE SET n = n + 1;
END;

-- Conflicts are counted by query (a signature is listed only when the
-- delivery that needs it is not): few rows, found through outbox_state,
-- and their deliveries through this index instead of a scan per signature.
CREATE INDEX outbox_depends ON outbox(depends_on);
