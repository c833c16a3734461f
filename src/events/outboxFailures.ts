import type { Db, Queryable } from '../db/index.js';

/** An outbox row set aside because the queue kept refusing it (src/events/relay.ts, maxRefusals). */
export interface FailedOutboxRow {
  id: string;
  eventId: string;
  eventType: string;
  userSub: string;
  /** The order the event is about, when it is an order event. */
  orderId: string | null;
  refusals: number;
  /** The queue's last answer (code and message; never the message body). */
  reason: string | null;
  createdAt: string;
  failedAt: string;
}

interface Row {
  id: string;
  event_id: string;
  event_type: string;
  user_sub: string;
  order_id: string | null;
  refusals: number;
  last_error: string | null;
  created_at: Date;
  failed_at: Date;
}

/** The failed rows, oldest first, at most `limit`, and how many there are in all. */
export async function listFailedOutbox(db: Queryable, limit = 100): Promise<{ rows: FailedOutboxRow[]; total: number }> {
  const { rows } = await db.query<Row>(
    `SELECT id::text AS id, event_id, event_type, user_sub, payload->'order'->>'id' AS order_id, refusals, last_error, created_at, failed_at
       FROM outbox WHERE failed_at IS NOT NULL ORDER BY id LIMIT $1`,
    [limit],
  );
  const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE failed_at IS NOT NULL');
  return {
    total: count.rows[0]?.n ?? 0,
    rows: rows.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      eventType: r.event_type,
      userSub: r.user_sub,
      orderId: r.order_id,
      refusals: r.refusals,
      reason: r.last_error,
      createdAt: new Date(r.created_at).toISOString(),
      failedAt: new Date(r.failed_at).toISOString(),
    })),
  };
}

/**
 * Puts failed rows back in line (after a fix): the relay sends them on its next sweep, their orders go back to
 * `placed`, and the refusal count starts again. `ids` are outbox row ids; 'all' takes every failed row. Returns the
 * ids it reset (an id that is not a failed row is left alone).
 */
export async function retryFailedOutbox(db: Db, ids: readonly string[] | 'all'): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `WITH r AS (
       UPDATE outbox SET failed_at = NULL, refusals = 0, claimed_until = NULL
        WHERE failed_at IS NOT NULL AND ($1::boolean OR id = ANY($2::bigint[]))
       RETURNING id, event_type, payload
     ), o AS (
       UPDATE orders SET status = 'placed'
        WHERE status = 'failed' AND id IN (SELECT (payload->'order'->>'id')::uuid FROM r WHERE event_type = 'order.placed')
     )
     SELECT id::text AS id FROM r ORDER BY id`,
    [ids === 'all', ids === 'all' ? [] : ids],
  );
  return rows.map((r) => r.id);
}
