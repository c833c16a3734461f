import { z } from 'zod';
import { userText } from './userText.js';

/**
 * Event schemas shared by the producer (the outbox writer) and the worker. Versioned: a change that is not
 * backwards compatible gets a new `version` literal and both are accepted until old messages have drained.
 */
/**
 * What an order may hold. The API's input schema (src/orders/routes.ts) uses the same bounds and the same text rule
 * (userText): an order it accepts must pass this schema in the worker, or its event would end in the dead-letter queue.
 */
export const ORDER_LIMITS = { itemMaxChars: 200, maxQuantity: 1000, noteMaxChars: 2000 } as const;

export const orderSnapshot = z.object({
  id: z.uuid(),
  item: userText().min(1).max(ORDER_LIMITS.itemMaxChars),
  quantity: z.number().int().min(1).max(ORDER_LIMITS.maxQuantity),
  note: userText().max(ORDER_LIMITS.noteMaxChars).nullable(),
  status: z.string().min(1).max(40),
  createdAt: z.iso.datetime({ offset: true }),
});

export const orderPlacedV1 = z.object({
  type: z.literal('order.placed'),
  version: z.literal(1),
  /** The event id: the idempotency key of the worker. */
  id: z.uuid(),
  occurredAt: z.iso.datetime({ offset: true }),
  userSub: z.string().min(1).max(128),
  order: orderSnapshot,
});

export const orderEvent = z.discriminatedUnion('type', [orderPlacedV1]);

export type OrderSnapshot = z.infer<typeof orderSnapshot>;
export type OrderPlacedV1 = z.infer<typeof orderPlacedV1>;
export type OrderEvent = z.infer<typeof orderEvent>;

export type ParsedEvent = { ok: true; event: OrderEvent } | { ok: false; reason: string };

/** Parses a queue message body. Never throws; the reason names fields, never their values. */
export function parseOrderEvent(body: string | undefined): ParsedEvent {
  if (!body) return { ok: false, reason: 'empty body' };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const parsed = orderEvent.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.code}`).join('; ') };
  }
  return { ok: true, event: parsed.data };
}
