-- untold marks a redemption or credit (sent while staff waited) whose
-- outcome the desk has not given to staff: from its insertion until the
-- call that made it returns an outcome, or until Outcome reports it
-- settled. Desk.LateOutcomes lists them, so that a desk restarted before a
-- lost answer was settled still shows and prints what the shop did (a
-- remainder gift card).
ALTER TABLE outbox ADD COLUMN untold INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_untold ON outbox(id) WHERE untold = 1;
-- Those an older desk left unsettled (its answer lost, or the desk stopped
-- while it was sent) were never told either.
UPDATE outbox SET untold = 1 WHERE state = 'sending' AND kind IN ('redemption', 'credit');
