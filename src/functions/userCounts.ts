import type { Queryable } from '../db/index.js';

export interface UserCounts {
  orders: number;
  notifications: number;
}

/**
 * The caller's order and notification counts in ONE statement (two scalar subqueries, each served by its
 * `(user_sub, seq)` index). GET /me used to send two: on embedded PGlite every statement is a full extended-protocol
 * exchange (parse, describe, bind, execute, sync) on the one thread that also serves HTTP, so the second statement
 * cost as much as the first. One statement also gives both counts from one snapshot.
 */
export async function userCounts(db: Queryable, userSub: string): Promise<UserCounts> {
  const { rows } = await db.query<UserCounts>(
    `SELECT (SELECT count(*) FROM orders WHERE user_sub = $1)::int AS orders,
            (SELECT count(*) FROM notifications WHERE user_sub = $1)::int AS notifications`,
    [userSub],
  );
  return { orders: rows[0]?.orders ?? 0, notifications: rows[0]?.notifications ?? 0 };
}
