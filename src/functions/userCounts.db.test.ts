import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/support/db.js';
import { countNotifications } from '../notifications/repository.js';
import { countOrders, placeOrder } from '../orders/repository.js';
import { userCounts } from './userCounts.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.close();
});

const notify = (sub: string) =>
  t.db.query('INSERT INTO notifications (id, user_sub, event_id, event_type, message) VALUES ($1, $2, $3, $4, $5)', [
    randomUUID(),
    sub,
    randomUUID(),
    'order.placed',
    'placed',
  ]);

describe('userCounts', () => {
  it('counts only the given user’s rows, each table on its own, and agrees with the per-table counts', async () => {
    const me = `u-${randomUUID()}`;
    const other = `u-${randomUUID()}`;
    for (let i = 0; i < 3; i++) await placeOrder(t.db, me, { item: `i${i}`, quantity: 1 });
    for (let i = 0; i < 2; i++) await notify(me);
    await placeOrder(t.db, other, { item: 'x', quantity: 1 });
    for (let i = 0; i < 4; i++) await notify(other);

    expect(await userCounts(t.db, me)).toEqual({ orders: 3, notifications: 2 });
    expect(await userCounts(t.db, other)).toEqual({ orders: 1, notifications: 4 });
    expect(await userCounts(t.db, me)).toEqual({ orders: await countOrders(t.db, me), notifications: await countNotifications(t.db, me) });
  });

  it('is zero for a user with no rows (numbers, not strings or bigints)', async () => {
    expect(await userCounts(t.db, `u-${randomUUID()}`)).toEqual({ orders: 0, notifications: 0 });
  });
});
