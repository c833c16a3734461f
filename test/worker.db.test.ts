import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListMessageMoveTasksCommand, ReceiveMessageCommand, SendMessageCommand, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderPlacedV1 } from '../src/events/schemas.js';
import { call, orderPlacedEvent } from './support/orders.js';
import { createPipeline, queueDepth, waitFor, type Pipeline } from './support/pipeline.js';

let p: Pipeline;
let base: string;
let hook: Server;
let hookUrl: string;
const hookCalls: { headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  p = await createPipeline({ maxReceiveCount: 3 });
  base = (await p.startService()).url as string;
  await p.startWorker();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hookCalls.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/pier`;
});
afterAll(async () => {
  await p?.close();
  await new Promise((r) => hook?.close(r));
});

const count = async (sql: string, params: unknown[]) => (await p.t.db.query<{ n: number }>(sql, params)).rows[0]?.n ?? 0;
const notificationsOf = (sub: string) => count('SELECT count(*)::int AS n FROM notifications WHERE user_sub = $1', [sub]);

describe('order -> outbox -> SQS -> worker', () => {
  it('turns an order placed over HTTP into exactly one notification', async () => {
    const sub = `user-${randomUUID()}`;
    const token = p.issuer.accessToken({ sub });
    const placed = await call(base, 'POST', '/orders', { token, body: { item: 'oolong', quantity: 2 } });
    expect(placed.status).toBe(201);
    await waitFor('the notification', async () => (await notificationsOf(sub)) === 1);
    const { rows } = await p.t.db.query<{ order_id: string; message: string }>('SELECT order_id, message FROM notifications WHERE user_sub = $1', [sub]);
    expect(rows).toEqual([{ order_id: placed.body.id, message: 'Order placed: 2 × oolong' }]);
    // The order's status followed it: placed when written, notified once its notification is recorded.
    expect(placed.body.status).toBe('placed');
    expect((await call(base, 'GET', `/orders/${placed.body.id}`, { token })).body.status).toBe('notified');
    // The message was deleted, the outbox row marked sent, and nothing more arrives.
    await waitFor('an empty queue', async () => {
      const d = await queueDepth(p.sqs.client, p.queueUrl);
      return d.visible + d.inFlight === 0;
    });
    expect(await count('SELECT count(*)::int AS n FROM outbox WHERE user_sub = $1 AND sent_at IS NOT NULL', [sub])).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await notificationsOf(sub)).toBe(1);
  });

  it('absorbs redelivery: the same event sent three times is one notification', async () => {
    const sub = `user-${randomUUID()}`;
    const event = orderPlacedEvent({ userSub: sub, item: 'chai' });
    for (let i = 0; i < 3; i++) await p.sqs.client.send(new SendMessageCommand({ QueueUrl: p.queueUrl, MessageBody: JSON.stringify(event) }));
    await waitFor('the queue to drain', async () => {
      const d = await queueDepth(p.sqs.client, p.queueUrl);
      return d.visible + d.inFlight === 0;
    });
    expect(await notificationsOf(sub)).toBe(1);
    expect(await count('SELECT count(*)::int AS n FROM processed_events WHERE event_id = $1', [event.id])).toBe(1);
  });
});

describe('webhooks', () => {
  it('POSTs the event signed per Standard Webhooks, and the signature verifies', async () => {
    const sub = `user-${randomUUID()}`;
    const token = p.issuer.accessToken({ sub });
    expect((await call(base, 'PUT', '/me/webhook', { token, body: { url: hookUrl, enabled: true } })).status).toBe(200);
    const placed = await call(base, 'POST', '/orders', { token, body: { item: 'matcha', quantity: 5 } });
    const got = await waitFor('the webhook call', async () => hookCalls.find((c) => JSON.parse(c.body).order?.id === placed.body.id));
    const id = got.headers['webhook-id'] as string;
    const ts = got.headers['webhook-timestamp'] as string;
    const sig = got.headers['webhook-signature'] as string;
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(30);
    // Verified as a receiver would: HMAC-SHA256 with the base64-decoded part of the whsec_ key.
    const key = Buffer.from(p.signingKey.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`${id}.${ts}.${got.body}`).digest('base64');
    expect(sig.split(' ')).toContain(`v1,${expected}`);
    const event = JSON.parse(got.body) as OrderPlacedV1;
    expect(event).toMatchObject({ type: 'order.placed', version: 1, id, userSub: sub });
    // A tampered body does not verify.
    expect(createHmac('sha256', key).update(`${id}.${ts}.${got.body} `).digest('base64')).not.toBe(expected);
    await waitFor('the delivery record', async () =>
      (await p.t.db.query<{ status: string }>('SELECT status FROM webhook_deliveries WHERE event_id = $1', [id])).rows[0]?.status === 'delivered',
    );
  });

  it('refuses a private address at delivery time and still records the notification', async () => {
    const sub = `user-${randomUUID()}`;
    const token = p.issuer.accessToken({ sub });
    // Written past the API's own check, as if DNS had changed since the URL was saved.
    await p.t.db.query('INSERT INTO webhooks (user_sub, url, enabled) VALUES ($1, $2, true)', [sub, 'http://10.20.30.40/hook']);
    await call(base, 'POST', '/orders', { token, body: { item: 'sencha', quantity: 1 } });
    await waitFor('the notification', async () => (await notificationsOf(sub)) === 1);
    const row = await waitFor('the delivery record', async () => {
      const r = (await p.t.db.query<{ status: string; error: string }>('SELECT status, error FROM webhook_deliveries WHERE user_sub = $1', [sub])).rows[0];
      return r && r.status !== 'pending' ? r : undefined;
    });
    expect(row).toEqual({ status: 'refused', error: 'WEBHOOK_ADDRESS_REFUSED' });
  });

  it('records a failing endpoint as failed without blocking the notification', async () => {
    const sub = `user-${randomUUID()}`;
    const token = p.issuer.accessToken({ sub });
    const failing = createServer((_req, res) => res.writeHead(500).end('nope'));
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
    try {
      await call(base, 'PUT', '/me/webhook', { token, body: { url: `http://127.0.0.1:${(failing.address() as AddressInfo).port}/`, enabled: true } });
      await call(base, 'POST', '/orders', { token, body: { item: 'genmaicha', quantity: 1 } });
      const row = await waitFor('the delivery record', async () => {
        const r = (await p.t.db.query<{ status: string; http_status: number }>('SELECT status, http_status FROM webhook_deliveries WHERE user_sub = $1', [sub])).rows[0];
        return r && r.status !== 'pending' ? r : undefined;
      });
      expect(row).toEqual({ status: 'failed', http_status: 500 });
      expect(await notificationsOf(sub)).toBe(1);
    } finally {
      await new Promise((r) => failing.close(r));
    }
  });
});

describe('an order whose event cannot be recorded', () => {
  it('is marked failed when its event fails its last receive, and notified after a redrive once recording works', async () => {
    const sub = `doomed-${randomUUID()}`;
    const token = p.issuer.accessToken({ sub });
    // Recording this user's notifications fails in the database, as a bug or a bad deploy would make it.
    await p.t.db.exec(`CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.user_sub LIKE 'doomed-%' THEN RAISE EXCEPTION 'cannot record'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_doomed BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION refuse_doomed();`);
    try {
      const before = await queueDepth(p.sqs.client, p.dlqUrl);
      const placed = await call(base, 'POST', '/orders', { token, body: { item: 'doomed tea', quantity: 1 } });
      expect(placed.status).toBe(201);
      // 3 receives, 2 s visibility each; the third failure marks the order, then SQS moves the message.
      await waitFor('the order marked failed', async () => (await call(base, 'GET', `/orders/${placed.body.id}`, { token })).body.status === 'failed', 25_000, 200);
      await waitFor('the dead letter', async () => (await queueDepth(p.sqs.client, p.dlqUrl)).visible === before.visible + 1, 25_000, 200);
      expect(await notificationsOf(sub)).toBe(0);

      // Fixed; the operator redrives (what `npm run dlq -- redrive` does) and the order moves on to notified.
      await p.t.db.exec('DROP TRIGGER IF EXISTS refuse_doomed ON notifications; DROP FUNCTION IF EXISTS refuse_doomed();');
      await p.sqs.client.send(new StartMessageMoveTaskCommand({ SourceArn: 'arn:aws:sqs:us-east-1:000000000000:order-events-dlq' }));
      await waitFor('the order notified', async () => (await call(base, 'GET', `/orders/${placed.body.id}`, { token })).body.status === 'notified', 15_000, 200);
      expect(await notificationsOf(sub)).toBe(1);
    } finally {
      await p.t.db.exec('DROP TRIGGER IF EXISTS refuse_doomed ON notifications; DROP FUNCTION IF EXISTS refuse_doomed();');
    }
  }, 40_000);
});

describe('poison messages', () => {
  it('reach the DLQ after maxReceiveCount receives, are logged by id without their body, and redrive back', async () => {
    const before = await queueDepth(p.sqs.client, p.dlqUrl);
    const bodies = ['not json {', JSON.stringify({ type: 'order.placed', version: 1, id: 'nope', secret: 'hunter2-do-not-log' })];
    const ids: string[] = [];
    for (const MessageBody of bodies) ids.push((await p.sqs.client.send(new SendMessageCommand({ QueueUrl: p.queueUrl, MessageBody }))).MessageId as string);
    // 3 receives, 2 s visibility each.
    await waitFor('dead letters', async () => (await queueDepth(p.sqs.client, p.dlqUrl)).visible === before.visible + 2, 25_000, 200);
    const text = p.logs.join('');
    for (const id of ids) expect(text).toContain(id);
    expect(text).not.toContain('hunter2-do-not-log');

    // Redrive with the SDK (what `npm run dlq -- redrive` does), with the worker stopped so we can see them return.
    await p.worker?.stop();
    p.worker = undefined;
    const dlqArn = `arn:aws:sqs:us-east-1:000000000000:order-events-dlq`;
    await p.sqs.client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    await waitFor('the move task', async () => {
      const tasks = await p.sqs.client.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
      return tasks.Results?.[0]?.Status === 'COMPLETED';
    });
    expect((await queueDepth(p.sqs.client, p.dlqUrl)).visible).toBe(0);
    const back = await p.sqs.client.send(new ReceiveMessageCommand({ QueueUrl: p.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect((back.Messages ?? []).map((m) => m.Body).sort()).toEqual([...bodies].sort());
  }, 40_000);
});
