-- The trace context (a W3C `traceparent`) of the request that wrote the row: the relay sends it as the message's
-- `traceparent` attribute, so the worker continues the same trace (docs/observability.md). NULL for rows written
-- before this migration or while tracing is off.
ALTER TABLE outbox ADD COLUMN trace_context text;
