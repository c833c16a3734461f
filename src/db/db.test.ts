import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/support/db.js';
import { countNotifications, listNotifications } from '../notifications/repository.js';
import { countOrders, getOrder, IdempotencyKeyReusedError, listOrders, placeOrder } from '../orders/repository.js';
import { decodeCursor, encodeCursor, InvalidCursorError } from './cursor.js';
import { migrate, readMigrations } from './migrate.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t?.close();
});

describe('migrations', () => {
  it('applies every file once and records it; a second run applies nothing', async () => {
    const files = await readMigrations();
    expect(files.map((f) => f.name)[0]).toBe('001_initial.sql');
    const { rows } = await t.db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(files.map((f) => f.name));
    expect(await migrate(t.db)).toEqual([]);
  });

  it('rolls a failing migration back whole', async () => {
    const bad = [{ name: '999_bad.sql', sql: 'CREATE TABLE half_done (x int); SELECT no_such_function();' }];
    await expect(migrate(t.db, bad)).rejects.toMatchObject({ code: 'DB_MIGRATION_FAILED' });
    const { rows } = await t.db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'");
    expect(rows).toHaveLength(0);
  });
});

describe('transactions', () => {
  it('commit together or not at all', async () => {
    const sub = `u-${randomUUID()}`;
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query('INSERT INTO webhooks (user_sub, url, enabled) VALUES ($1, $2, true)', [sub, 'https://example.com/']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await t.db.query('SELECT 1 FROM webhooks WHERE user_sub = $1', [sub])).rows).toHaveLength(0);
  });

  it('serialise concurrent read-modify-write transactions on one Db', async () => {
    await t.db.exec('CREATE TABLE IF NOT EXISTS counter_test (id int PRIMARY KEY, n int NOT NULL)');
    await t.db.query('INSERT INTO counter_test VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET n = 0');
    await Promise.all(
      Array.from({ length: 20 }, () =>
        t.db.transaction(async (tx) => {
          const { rows } = await tx.query<{ n: number }>('SELECT n FROM counter_test WHERE id = 1 FOR UPDATE');
          await tx.query('UPDATE counter_test SET n = $1 WHERE id = 1', [(rows[0]?.n ?? 0) + 1]);
        }),
      ),
    );
    expect((await t.db.query<{ n: number }>('SELECT n FROM counter_test WHERE id = 1')).rows[0]?.n).toBe(20);
  });
});

describe('orders repository', () => {
  it('writes the order and its outbox row together, and scopes reads to the owner', async () => {
    const sub = `u-${randomUUID()}`;
    const { order, created } = await placeOrder(t.db, sub, { item: 'tea', quantity: 2 });
    expect(created).toBe(true);
    const outbox = await t.db.query<{ payload: { order: { id: string }; userSub: string } }>(
      'SELECT payload FROM outbox WHERE user_sub = $1',
      [sub],
    );
    expect(outbox.rows.map((r) => [r.payload.order.id, r.payload.userSub])).toEqual([[order.id, sub]]);
    expect(await getOrder(t.db, sub, order.id)).toEqual(order);
    expect(await getOrder(t.db, `other-${sub}`, order.id)).toBeUndefined();
    expect(await countOrders(t.db, sub)).toBe(1);
  });

  it('honours idempotency keys per user', async () => {
    const sub = `u-${randomUUID()}`;
    const first = await placeOrder(t.db, sub, { item: 'tea', quantity: 1 }, 'k1');
    const again = await placeOrder(t.db, sub, { item: 'tea', quantity: 1 }, 'k1');
    expect(again).toEqual({ order: first.order, created: false });
    await expect(placeOrder(t.db, sub, { item: 'tea', quantity: 3 }, 'k1')).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    // The same key from another user is a different key.
    expect((await placeOrder(t.db, `other-${sub}`, { item: 'tea', quantity: 1 }, 'k1')).created).toBe(true);
    expect(await countOrders(t.db, sub)).toBe(1);
    expect((await t.db.query('SELECT 1 FROM outbox WHERE user_sub = $1', [sub])).rows).toHaveLength(1);
  });

  it('pages newest first without gaps or repeats', async () => {
    const sub = `u-${randomUUID()}`;
    const placed = [];
    for (let i = 0; i < 7; i++) placed.push((await placeOrder(t.db, sub, { item: `item ${i}`, quantity: 1 })).order.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listOrders(t.db, sub, { limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(placed.reverse());
    await expect(listOrders(t.db, sub, { cursor: 'garbage!' })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe('notifications repository', () => {
  it('lists the owner’s notifications newest first with a cursor and counts them', async () => {
    const sub = `u-${randomUUID()}`;
    for (const who of [sub, sub, `other-${sub}`, sub]) {
      await t.db.query(
        'INSERT INTO notifications (id, user_sub, event_id, event_type, message) VALUES ($1, $2, $3, $4, $5)',
        [randomUUID(), who, randomUUID(), 'order.placed', `for ${who}`],
      );
    }
    expect(await countNotifications(t.db, sub)).toBe(3);
    const first = await listNotifications(t.db, sub, { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toBeDefined();
    const second = await listNotifications(t.db, sub, { limit: 2, cursor: first.nextCursor as string });
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeUndefined();
    const ids = [...first.items, ...second.items].map((n) => n.id);
    expect(new Set(ids).size).toBe(3);
    expect([...first.items, ...second.items].every((n) => n.message === `for ${sub}`)).toBe(true);
  });
});

describe('cursor', () => {
  it('round-trips and refuses what it did not make', () => {
    expect(decodeCursor(encodeCursor('42'))).toBe('42');
    expect(decodeCursor('')).toBeUndefined();
    expect(decodeCursor(Buffer.from('s:-1').toString('base64url'))).toBeUndefined();
    expect(decodeCursor('a'.repeat(100))).toBeUndefined();
  });
});
