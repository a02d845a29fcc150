-- A refused entry of the changes feed is asked for again with a growing
-- pause (Desk.retryRefused), not at every sync: attempts counts the times
-- the shop gave it impossible again, next_at (Unix nanoseconds) is when
-- it is due. The entries due are picked by next_at, so that those still
-- impossible do not hold back the others. Those an older desk kept are
-- due at once.
ALTER TABLE feed_refused ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feed_refused ADD COLUMN next_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX feed_refused_due ON feed_refused(next_at, seq);
