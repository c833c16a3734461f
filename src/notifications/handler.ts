import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/index.js';
import type { OrderEvent } from '../events/schemas.js';
import type { Logger } from '../log.js';
import type { WebhookSender } from './webhook.js';

export interface HandledEvent {
  event: OrderEvent;
  /** The exact JSON the webhook receives (the event as validated). */
  body: string;
}

export interface EventHandlerOptions {
  db: Db;
  logger: Logger;
  /** Absent: webhooks are not called (their deliveries stay pending). */
  sendWebhook?: WebhookSender;
}

/** What the user sees for an event. */
export function notificationMessage(event: OrderEvent): string {
  switch (event.type) {
    case 'order.placed':
      return `Order placed: ${event.order.quantity} × ${event.order.item}`;
  }
}

interface Recorded {
  /** Events whose owner had a webhook enabled: a pending delivery row was committed with the notification. */
  deliveries: string[];
  /** Events already processed before (redeliveries): a crash may have left their delivery pending. */
  duplicates: string[];
}

/**
 * Records a batch of events, each once: the processed-event rows, the notifications, the order's status (`notified`)
 * and (where the owner has a webhook enabled) pending deliveries, in ONE statement (data-modifying CTEs), so they
 * commit together without a BEGIN/COMMIT round trip. A redelivered event finds its processed-event row and changes
 * nothing, so a retry cannot move a status twice or back.
 */
async function recordEvents(db: Queryable, events: readonly OrderEvent[]): Promise<Recorded> {
  const unique = [...new Map(events.map((e) => [e.id, e])).values()];
  const { rows } = await db.query<{ claimed: string[] | null; queued: string[] | null }>(
    `WITH e AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[])
         AS e(event_id, notification_id, user_sub, event_type, order_id, message)
     ), claimed AS (
       INSERT INTO processed_events (event_id) SELECT event_id FROM e
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id
     ), notified AS (
       INSERT INTO notifications (id, user_sub, event_id, event_type, order_id, message)
       SELECT e.notification_id, e.user_sub, e.event_id, e.event_type, e.order_id, e.message FROM e JOIN claimed USING (event_id)
     ), order_status AS (
       UPDATE orders o SET status = 'notified'
         FROM e JOIN claimed USING (event_id)
        WHERE o.id = e.order_id AND o.user_sub = e.user_sub AND e.event_type = 'order.placed' AND o.status IN ('placed', 'failed')
     ), queued AS (
       INSERT INTO webhook_deliveries (event_id, user_sub, url, status)
       SELECT e.event_id, w.user_sub, w.url, 'pending'
         FROM e JOIN claimed USING (event_id) JOIN webhooks w ON w.user_sub = e.user_sub AND w.enabled
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id
     )
     SELECT (SELECT array_agg(event_id::text) FROM claimed) AS claimed, (SELECT array_agg(event_id::text) FROM queued) AS queued`,
    [
      unique.map((e) => e.id),
      unique.map(() => randomUUID()),
      unique.map((e) => e.userSub),
      unique.map((e) => e.type),
      unique.map((e) => e.order.id),
      unique.map(notificationMessage),
    ],
  );
  const claimed = new Set(rows[0]?.claimed ?? []);
  return { deliveries: rows[0]?.queued ?? [], duplicates: unique.filter((e) => !claimed.has(e.id)).map((e) => e.id) };
}

export interface EventHandler {
  /**
   * Handles validated events; resolves to the ids of the events that are done (safe to delete from the queue).
   * An event whose database work fails is left out, so SQS redelivers it (and, past maxReceiveCount, dead-letters it).
   */
  handle(events: readonly HandledEvent[]): Promise<Set<string>>;
  /**
   * Marks the orders of events that failed on their last receive (SQS moves them to the dead-letter queue next) as
   * `failed`, so their owners see it; best effort (the database may be what failed). A redrive that later records
   * the event moves the order on to `notified`.
   */
  markDeadLettered(events: readonly OrderEvent[]): Promise<void>;
}

export function createEventHandler(opts: EventHandlerOptions): EventHandler {
  const { db, logger } = opts;

  async function deliverPending(eventIds: readonly string[], bodies: ReadonlyMap<string, string>): Promise<void> {
    if (!opts.sendWebhook || eventIds.length === 0) return;
    const { rows } = await db.query<{ event_id: string; url: string }>(
      "SELECT event_id, url FROM webhook_deliveries WHERE event_id = ANY($1::uuid[]) AND status = 'pending'",
      [eventIds],
    );
    await Promise.all(
      rows.map(async (row) => {
        const outcome = await (opts.sendWebhook as WebhookSender)(row.url, row.event_id, bodies.get(row.event_id) as string);
        if (outcome.status !== 'delivered') logger.warn({ eventId: row.event_id, status: outcome.status, error: outcome.error }, 'webhook not delivered');
        await db.query(
          `UPDATE webhook_deliveries SET status = $2, http_status = $3, error = $4, attempts = attempts + 1, updated_at = now()
            WHERE event_id = $1`,
          [row.event_id, outcome.status, outcome.httpStatus ?? null, outcome.error ?? null],
        );
      }),
    );
  }

  return {
    async markDeadLettered(events) {
      const orders = events.filter((e) => e.type === 'order.placed');
      if (orders.length === 0) return;
      try {
        await db.query(
          `UPDATE orders o SET status = 'failed' FROM unnest($1::uuid[], $2::text[]) AS f(id, user_sub)
            WHERE o.id = f.id AND o.user_sub = f.user_sub AND o.status = 'placed'`,
          [orders.map((e) => e.order.id), orders.map((e) => e.userSub)],
        );
        logger.warn({ eventIds: orders.map((e) => e.id) }, 'events failed on their last receive; their orders are marked failed');
      } catch (err) {
        logger.error({ err, eventIds: orders.map((e) => e.id) }, 'could not mark the orders of dead-lettered events failed');
      }
    },
    async handle(events) {
      const done = new Set<string>();
      if (events.length === 0) return done;
      // Deliveries to attempt: new pending rows, and redeliveries whose row a crash may have left pending.
      const attempt: string[] = [];
      try {
        // The common case: the whole batch in one statement (one commit instead of ten).
        const r = await recordEvents(db, events.map((e) => e.event));
        attempt.push(...r.deliveries, ...r.duplicates);
        for (const e of events) done.add(e.event.id);
      } catch (batchErr) {
        // One bad event must not hold back the others: retry each alone and leave out those that still fail.
        logger.warn({ err: batchErr }, 'batch transaction failed; retrying events one by one');
        for (const e of events) {
          try {
            const r = await recordEvents(db, [e.event]);
            attempt.push(...r.deliveries, ...r.duplicates);
            done.add(e.event.id);
          } catch (err) {
            logger.error({ err, eventId: e.event.id }, 'event could not be recorded; leaving it for redelivery');
          }
        }
      }
      try {
        await deliverPending(attempt, new Map(events.map((e) => [e.event.id, e.body])));
      } catch (err) {
        // Deliveries are best effort and never undo or block a notification; pending rows stay visible.
        logger.error({ err }, 'webhook delivery bookkeeping failed');
      }
      return done;
    },
  };
}
