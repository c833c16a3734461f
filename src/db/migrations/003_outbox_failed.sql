-- A row the queue refuses as malformed (a sender fault: not a throttle, not an outage) is retried a few times and
-- then set aside instead of being retried forever: failed_at stamped, its order marked failed, and an operator
-- lists and retries it with `npm run outbox`. refusals counts only those sender-fault refusals.
ALTER TABLE outbox ADD COLUMN refusals integer NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN failed_at timestamptz;
DROP INDEX outbox_unsent;
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_failed ON outbox (id) WHERE failed_at IS NOT NULL;
