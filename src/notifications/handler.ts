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

/**
 * Records one event, once: the processed-event row, the notification and (where the owner has a webhook enabled)
 * a pending delivery commit together. A redelivered event finds its processed-event row and changes nothing.
 * Returns whether this call did the work.
 */
async function recordEvent(tx: Queryable, event: OrderEvent): Promise<boolean> {
  const claimed = await tx.query('INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT (event_id) DO NOTHING', [event.id]);
  if (claimed.rowCount === 0) return false;
  await tx.query(
    'INSERT INTO notifications (id, user_sub, event_id, event_type, order_id, message) VALUES ($1, $2, $3, $4, $5, $6)',
    [randomUUID(), event.userSub, event.id, event.type, event.order.id, notificationMessage(event)],
  );
  await tx.query(
    `INSERT INTO webhook_deliveries (event_id, user_sub, url, status)
     SELECT $1, user_sub, url, 'pending' FROM webhooks WHERE user_sub = $2 AND enabled
     ON CONFLICT (event_id) DO NOTHING`,
    [event.id, event.userSub],
  );
  return true;
}

export interface EventHandler {
  /**
   * Handles validated events; resolves to the ids of the events that are done (safe to delete from the queue).
   * An event whose database work fails is left out, so SQS redelivers it (and, past maxReceiveCount, dead-letters it).
   */
  handle(events: readonly HandledEvent[]): Promise<Set<string>>;
}

export function createEventHandler(opts: EventHandlerOptions): EventHandler {
  const { db, logger } = opts;

  async function deliverPending(events: readonly HandledEvent[]): Promise<void> {
    if (!opts.sendWebhook || events.length === 0) return;
    const bodies = new Map(events.map((e) => [e.event.id, e.body]));
    // Pending rows for these events only: this batch's, and ones a crash left between commit and delivery.
    const { rows } = await db.query<{ event_id: string; url: string }>(
      "SELECT event_id, url FROM webhook_deliveries WHERE event_id = ANY($1::uuid[]) AND status = 'pending'",
      [[...bodies.keys()]],
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
    async handle(events) {
      const done = new Set<string>();
      if (events.length === 0) return done;
      try {
        // The common case: the whole batch in one transaction (one commit instead of ten).
        await db.transaction(async (tx) => {
          for (const e of events) await recordEvent(tx, e.event);
        });
        for (const e of events) done.add(e.event.id);
      } catch (batchErr) {
        // One bad event must not hold back the others: retry each alone and leave out those that still fail.
        logger.warn({ err: batchErr }, 'batch transaction failed; retrying events one by one');
        for (const e of events) {
          try {
            await db.transaction((tx) => recordEvent(tx, e.event));
            done.add(e.event.id);
          } catch (err) {
            logger.error({ err, eventId: e.event.id }, 'event could not be recorded; leaving it for redelivery');
          }
        }
      }
      try {
        await deliverPending(events.filter((e) => done.has(e.event.id)));
      } catch (err) {
        // Deliveries are best effort and never undo or block a notification; pending rows stay visible.
        logger.error({ err }, 'webhook delivery bookkeeping failed');
      }
      return done;
    },
  };
}
