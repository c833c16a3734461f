import { pageBounds, toPage, type Page, type PageRequest, type Queryable } from '../db/index.js';

export interface Notification {
  id: string;
  eventId: string;
  type: string;
  orderId: string | null;
  message: string;
  createdAt: string;
}

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
  const { limit, after } = pageBounds(page);
  const { rows } = await db.query<NotificationRow>(
    `SELECT id, seq::text AS seq, event_id, event_type, order_id, message, created_at
       FROM notifications
      WHERE user_sub = $1 AND ($2::bigint IS NULL OR seq < $2::bigint)
      ORDER BY notifications.seq DESC
      LIMIT $3`,
    [userSub, after, limit + 1],
  );
  return toPage(rows, limit, (r) => ({
    id: r.id,
    eventId: r.event_id,
    type: r.event_type,
    orderId: r.order_id,
    message: r.message,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

export async function countNotifications(db: Queryable, userSub: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE user_sub = $1', [userSub]);
  return rows[0]?.n ?? 0;
}
