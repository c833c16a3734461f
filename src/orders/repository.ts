import { createHash, randomUUID } from 'node:crypto';
import { pageBounds, toPage, type Db, type Page, type PageRequest, type Queryable } from '../db/index.js';
import type { OrderPlacedV1 } from '../events/schemas.js';

export interface OrderInput {
  item: string;
  quantity: number;
  note?: string | undefined;
}

export interface Order {
  id: string;
  item: string;
  quantity: number;
  note: string | null;
  status: string;
  createdAt: string;
}

interface OrderRow {
  id: string;
  seq: string;
  item: string;
  quantity: number;
  note: string | null;
  status: string;
  created_at: Date;
}

const COLUMNS = 'id, seq::text AS seq, item, quantity, note, status, created_at';

const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  item: r.item,
  quantity: r.quantity,
  note: r.note,
  status: r.status,
  createdAt: new Date(r.created_at).toISOString(),
});

export class IdempotencyKeyReusedError extends Error {
  override readonly name = 'IdempotencyKeyReusedError';
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor() {
    super('this Idempotency-Key was already used with a different request body');
  }
}

/** What an idempotent retry compares: the validated body, in a fixed key order. */
export const requestHash = (input: OrderInput): string =>
  createHash('sha256')
    .update(JSON.stringify([input.item, input.quantity, input.note ?? null]))
    .digest('hex');

export interface PlaceOrderResult {
  order: Order;
  /** false when an earlier request with the same Idempotency-Key created it. */
  created: boolean;
}

/**
 * Inserts the order and its `order.placed` outbox row in ONE statement (a data-modifying CTE), so both commit
 * together, or neither, without a BEGIN/COMMIT round trip. The event is built here, so the clock is the app's.
 */
async function insertOrderWithEvent(q: Queryable, userSub: string, input: OrderInput, orderId: string, traceContext: string | null): Promise<Order> {
  const order: Order = {
    id: orderId,
    item: input.item,
    quantity: input.quantity,
    note: input.note ?? null,
    status: 'placed',
    createdAt: new Date().toISOString(),
  };
  const event: OrderPlacedV1 = { type: 'order.placed', version: 1, id: randomUUID(), occurredAt: order.createdAt, userSub, order };
  const { rows } = await q.query<OrderRow>(
    `WITH o AS (
       INSERT INTO orders (id, user_sub, item, quantity, note, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING ${COLUMNS}
     ), x AS (
       INSERT INTO outbox (event_id, event_type, user_sub, payload, trace_context) SELECT $8, $9, $2, $10::jsonb, $11 FROM o
     )
     SELECT * FROM o`,
    [order.id, userSub, order.item, order.quantity, order.note, order.status, order.createdAt, event.id, event.type, JSON.stringify(event), traceContext],
  );
  return toOrder(rows[0] as OrderRow);
}

/**
 * Writes the order and its outbox row together, so an order exists exactly when its event will be sent. With an
 * idempotency key, the key is claimed first in the same transaction: a concurrent retry blocks on that row and
 * then finds the first request's order.
 */
export interface PlaceOrderOptions {
  /**
   * The placing request's trace context (a W3C `traceparent`), stored with the outbox row as an opaque value so the
   * event's delivery continues the request's trace (docs/observability.md).
   */
  traceContext?: string;
}

export async function placeOrder(db: Db, userSub: string, input: OrderInput, idempotencyKey?: string, opts: PlaceOrderOptions = {}): Promise<PlaceOrderResult> {
  const traceContext = opts.traceContext ?? null;
  if (idempotencyKey === undefined) return { order: await insertOrderWithEvent(db, userSub, input, randomUUID(), traceContext), created: true };
  const hash = requestHash(input);
  return db.transaction(async (tx) => {
    const orderId = randomUUID();
    const claimed = await tx.query(
      `INSERT INTO idempotency_keys (user_sub, key, request_hash, order_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_sub, key) DO NOTHING`,
      [userSub, idempotencyKey, hash, orderId],
    );
    if (claimed.rowCount === 0) {
      const { rows } = await tx.query<{ request_hash: string; order_id: string }>(
        'SELECT request_hash, order_id FROM idempotency_keys WHERE user_sub = $1 AND key = $2',
        [userSub, idempotencyKey],
      );
      const prior = rows[0];
      if (!prior) throw new Error('idempotency key vanished between insert and select');
      if (prior.request_hash !== hash) throw new IdempotencyKeyReusedError();
      const order = await getOrder(tx, userSub, prior.order_id);
      if (!order) throw new Error('idempotency key points at a missing order');
      return { order, created: false };
    }
    return { order: await insertOrderWithEvent(tx, userSub, input, orderId, traceContext), created: true };
  });
}

/** The user's order, or undefined when it does not exist or belongs to someone else. */
export async function getOrder(db: Queryable, userSub: string, id: string): Promise<Order | undefined> {
  const { rows } = await db.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1 AND user_sub = $2`, [id, userSub]);
  return rows[0] ? toOrder(rows[0]) : undefined;
}

/** The user's orders, newest first. Throws InvalidCursorError for a cursor it did not issue. */
export async function listOrders(db: Queryable, userSub: string, page: PageRequest = {}): Promise<Page<Order>> {
  const { limit, after } = pageBounds(page);
  const { rows } = await db.query<OrderRow>(
    `SELECT ${COLUMNS} FROM orders
      WHERE user_sub = $1 AND ($2::bigint IS NULL OR seq < $2::bigint)
      ORDER BY orders.seq DESC LIMIT $3`,
    [userSub, after, limit + 1],
  );
  return toPage(rows, limit, toOrder);
}

export async function countOrders(db: Queryable, userSub: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE user_sub = $1', [userSub]);
  return rows[0]?.n ?? 0;
}
