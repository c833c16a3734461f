-- Pier's tables. Every row that belongs to a user carries the user's Cognito `sub` (user_sub), and every query
-- that serves a user filters on it. `seq` columns give a total, exact order for cursor pagination (timestamps
-- collide and lose precision in JavaScript).

CREATE TABLE orders (
  id          uuid PRIMARY KEY,
  seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  user_sub    text NOT NULL,
  item        text NOT NULL CHECK (char_length(item) BETWEEN 1 AND 200),
  quantity    integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  note        text,
  status      text NOT NULL DEFAULT 'placed',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_by_user ON orders (user_sub, seq DESC);

-- A retried POST /orders with the same Idempotency-Key returns the order it first created.
CREATE TABLE idempotency_keys (
  user_sub      text NOT NULL,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  -- Deferred: the key is claimed first (so a concurrent retry waits on it), the order is inserted after.
  order_id      uuid NOT NULL REFERENCES orders (id) DEFERRABLE INITIALLY DEFERRED,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_sub, key)
);

-- Written in the same transaction as the order; the relay sends unsent rows to SQS and stamps sent_at.
CREATE TABLE outbox (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id    uuid NOT NULL UNIQUE,
  event_type  text NOT NULL,
  user_sub    text NOT NULL,
  payload     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  attempts    integer NOT NULL DEFAULT 0,
  last_error  text,
  sent_at     timestamptz
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

CREATE TABLE notifications (
  id          uuid PRIMARY KEY,
  seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  user_sub    text NOT NULL,
  event_id    uuid NOT NULL UNIQUE,
  event_type  text NOT NULL,
  order_id    uuid,
  message     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_by_user ON notifications (user_sub, seq DESC);

-- An event id is handled once, however often SQS delivers it: recorded in the notification's transaction.
CREATE TABLE processed_events (
  event_id      uuid PRIMARY KEY,
  processed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhooks (
  user_sub    text PRIMARY KEY,
  url         text NOT NULL,
  enabled     boolean NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per event whose owner had a webhook enabled when the event was handled.
-- status: pending (committed with the notification, not yet attempted), delivered, failed, refused.
CREATE TABLE webhook_deliveries (
  event_id      uuid PRIMARY KEY,
  user_sub      text NOT NULL,
  url           text NOT NULL,
  status        text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'refused')),
  attempts      integer NOT NULL DEFAULT 0,
  http_status   integer,
  error         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_by_user ON webhook_deliveries (user_sub, created_at DESC);
