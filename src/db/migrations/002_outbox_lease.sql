-- The relay claims outbox rows with a short lease instead of holding row locks across the SQS call: with PGlite
-- (one connection) an open transaction would block every other query for the length of a network call.
-- A relay that dies mid-send lets its lease lapse and another one sends again (SQS is at-least-once anyway).
ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;
