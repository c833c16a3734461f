import { decodeCursor, encodeCursor, type Queryable } from '../db/index.js';

export interface Notification {
  id: string;
  eventId: string;
  type: string;
  orderId: string | null;
  message: string;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

export interface PageRequest {
  /** 1..100; default 20. */
  limit?: number;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  readonly code = 'CURSOR_INVALID';
  constructor() {
    super('cursor is not one this API returned');
  }
}

export const clampLimit = (limit: number | undefined): number => Math.min(100, Math.max(1, Math.trunc(limit ?? 20)));

interface NotificationRow {
  id: string;
  seq: string;
  event_id: string;
  event_type: string;
  order_id: string | null;
  message: string;
  created_at: Date;
}

/** The user's notifications, newest first. Throws InvalidCursorError for a cursor it did not issue. */
export async function listNotifications(db: Queryable, userSub: string, page: PageRequest = {}): Promise<Page<Notification>> {
  const limit = clampLimit(page.limit);
  let after: string | undefined;
  if (page.cursor !== undefined) {
    after = decodeCursor(page.cursor);
    if (after === undefined) throw new InvalidCursorError();
  }
  const { rows } = await db.query<NotificationRow>(
    `SELECT id, seq::text AS seq, event_id, event_type, order_id, message, created_at
       FROM notifications
      WHERE user_sub = $1 AND ($2::bigint IS NULL OR seq < $2::bigint)
      ORDER BY notifications.seq DESC
      LIMIT $3`,
    [userSub, after ?? null, limit + 1],
  );
  const more = rows.length > limit;
  const shown = rows.slice(0, limit);
  const items = shown.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    type: r.event_type,
    orderId: r.order_id,
    message: r.message,
    createdAt: new Date(r.created_at).toISOString(),
  }));
  const last = shown.at(-1);
  return more && last ? { items, nextCursor: encodeCursor(last.seq) } : { items };
}

export async function countNotifications(db: Queryable, userSub: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE user_sub = $1', [userSub]);
  return rows[0]?.n ?? 0;
}
