import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { createEventHandler, type HandledEvent } from '../src/notifications/handler.js';
import type { WebhookSender } from '../src/notifications/webhook.js';
import { createTestDb, type TestDb } from './support/db.js';
import { orderPlacedEvent } from './support/orders.js';

let t: TestDb;
const calls: { url: string; id: string }[] = [];
const sender: WebhookSender = async (url, id) => {
  calls.push({ url, id });
  return { status: 'delivered', httpStatus: 204 };
};

beforeAll(async () => {
  t = await createTestDb();
  // A trigger that fails one user's inserts, to prove one bad event does not hold back its batch.
  await t.db.exec(`
    CREATE FUNCTION refuse_explode() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.user_sub = 'explode' THEN RAISE EXCEPTION 'refused for the test'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_explode BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION refuse_explode();
  `);
});
afterAll(async () => {
  await t?.close();
});

const ev = (userSub: string): HandledEvent => {
  const event = orderPlacedEvent({ userSub });
  return { event, body: JSON.stringify(event) };
};
const n = async (sql: string, params: unknown[]) => (await t.db.query<{ n: number }>(sql, params)).rows[0]?.n;
const handler = () => createEventHandler({ db: t.db, logger: createLogger({ level: 'silent' }), sendWebhook: sender });

describe('event handler', () => {
  it('records a batch once, however often it is handled, and a duplicate inside a batch once', async () => {
    const sub = `u-${randomUUID()}`;
    const a = ev(sub);
    const b = ev(sub);
    const h = handler();
    expect([...(await h.handle([a, b, a]))].sort()).toEqual([a.event.id, b.event.id].sort());
    expect([...(await h.handle([b, a]))].sort()).toEqual([a.event.id, b.event.id].sort());
    expect(await n('SELECT count(*)::int AS n FROM notifications WHERE user_sub = $1', [sub])).toBe(2);
  });

  it('leaves out only the event whose write fails; the rest of its batch commits', async () => {
    const sub = `u-${randomUUID()}`;
    const good1 = ev(sub);
    const bad = ev('explode');
    const good2 = ev(sub);
    const done = await handler().handle([good1, bad, good2]);
    expect(done.has(bad.event.id)).toBe(false);
    expect(done.has(good1.event.id) && done.has(good2.event.id)).toBe(true);
    expect(await n('SELECT count(*)::int AS n FROM notifications WHERE user_sub = $1', [sub])).toBe(2);
    // Its processed-event row rolled back with it, so a redelivery will try again.
    expect(await n('SELECT count(*)::int AS n FROM processed_events WHERE event_id = $1', [bad.event.id])).toBe(0);
  });

  it('queues a delivery with the notification for an enabled webhook, and delivers it once', async () => {
    const sub = `u-${randomUUID()}`;
    await t.db.query('INSERT INTO webhooks (user_sub, url, enabled) VALUES ($1, $2, true)', [sub, 'https://hooks.example/a']);
    const e = ev(sub);
    await handler().handle([e]);
    await handler().handle([e]);
    expect(calls.filter((c) => c.id === e.event.id)).toEqual([{ url: 'https://hooks.example/a', id: e.event.id }]);
    const row = (await t.db.query('SELECT status, http_status, attempts FROM webhook_deliveries WHERE event_id = $1', [e.event.id])).rows[0];
    expect(row).toEqual({ status: 'delivered', http_status: 204, attempts: 1 });
  });

  it('after a crash between commit and delivery, the redelivered event delivers the pending webhook', async () => {
    const sub = `u-${randomUUID()}`;
    const e = ev(sub);
    await t.db.query('INSERT INTO webhooks (user_sub, url, enabled) VALUES ($1, $2, true)', [sub, 'https://hooks.example/b']);
    // What a worker killed right after its commit leaves behind: everything recorded, the delivery still pending.
    await createEventHandler({ db: t.db, logger: createLogger({ level: 'silent' }) }).handle([e]);
    expect((await t.db.query('SELECT status FROM webhook_deliveries WHERE event_id = $1', [e.event.id])).rows).toEqual([{ status: 'pending' }]);
    await handler().handle([e]);
    expect(calls.filter((c) => c.id === e.event.id)).toHaveLength(1);
    expect(await n('SELECT count(*)::int AS n FROM notifications WHERE event_id = $1', [e.event.id])).toBe(1);
  });

  it('does not queue deliveries for a disabled webhook', async () => {
    const sub = `u-${randomUUID()}`;
    await t.db.query('INSERT INTO webhooks (user_sub, url, enabled) VALUES ($1, $2, false)', [sub, 'https://hooks.example/c']);
    const e = ev(sub);
    await handler().handle([e]);
    expect(await n('SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_id = $1', [e.event.id])).toBe(0);
  });
});
