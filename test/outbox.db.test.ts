import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:http';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSqs, type RunningSqs } from '../local/sqs/index.js';
import { openPg, type Db } from '../src/db/index.js';
import type { Publisher } from '../src/events/publisher.js';
import { listFailedOutbox, retryFailedOutbox } from '../src/events/outboxFailures.js';
import { createOutboxRelay } from '../src/events/relay.js';
import { parseOrderEvent } from '../src/events/schemas.js';
import { sqsPublisher } from '../src/events/sqs.js';
import { createLogger } from '../src/log.js';
import { placeOrder } from '../src/orders/repository.js';
import { runService, runWorker } from '../src/roles.js';
import { createTestDb, type TestDb } from './support/db.js';
import { call, testConfig } from './support/orders.js';
import { createQueues, newSigningKey, queueDepth, waitFor } from './support/pipeline.js';
import { createTestIssuer } from './support/tokens.js';

const silent = createLogger({ level: 'silent' });
let dataDir: string;
let sqs: RunningSqs;
let client: SQSClient;
let t: TestDb;

const startEndpoint = (port: number) => startSqs({ host: '127.0.0.1', port, dataDir, region: 'us-east-1', logger: silent });
const clientFor = (url: string, httpAgent?: Agent) =>
  new SQSClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    ...(httpAgent ? { requestHandler: new NodeHttpHandler({ httpAgent }) } : {}),
  });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pier-outbox-'));
  sqs = await startEndpoint(0);
  client = clientFor(sqs.url);
  t = await createTestDb();
});
afterAll(async () => {
  client?.destroy();
  await sqs?.close();
  await t?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Receives and deletes everything in the queue; returns the bodies. */
async function drain(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let empty = 0; empty < 2; ) {
    const r = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const msgs = r.Messages ?? [];
    if (msgs.length === 0) {
      empty++;
      continue;
    }
    bodies.push(...msgs.map((m) => m.Body as string));
    await client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })) }));
  }
  return bodies;
}

const eventIds = (bodies: string[]) =>
  bodies.map((b) => {
    const parsed = parseOrderEvent(b);
    if (!parsed.ok) throw new Error(`relay sent an invalid event: ${parsed.reason}`);
    return parsed.event.id;
  });

describe('outbox relay', () => {
  it('sends pending rows in batches of 10 with SendMessageBatch and marks them sent', async () => {
    const { queueUrl } = await createQueues(client, 5, '-batches');
    const sub = `u-${randomUUID()}`;
    for (let i = 0; i < 25; i++) await placeOrder(t.db, sub, { item: `i${i}`, quantity: 1 });
    const real = sqsPublisher(client, queueUrl);
    const batches: number[] = [];
    const publisher: Publisher = { publishBatch: (m) => (batches.push(m.length), real.publishBatch(m)) };
    const relay = createOutboxRelay({ db: t.db, publisher, logger: silent });
    let sent = 0;
    for (let n; (n = await relay.runOnce()) > 0; ) sent += n;
    expect(sent).toBe(25);
    expect(batches).toEqual([10, 10, 5]);
    const left = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL');
    expect(left.rows[0]?.n).toBe(0);
    const ids = eventIds(await drain(queueUrl));
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
  });

  it('runs in several replicas at once without sending a row twice', async () => {
    const { queueUrl } = await createQueues(client, 5, '-replicas');
    const sub = `u-${randomUUID()}`;
    const N = 300;
    for (let i = 0; i < N; i++) await placeOrder(t.db, sub, { item: `r${i}`, quantity: 1 });
    // Each replica has its own connection pool on PostgreSQL; PGlite has one connection, shared.
    const extra: Db[] = t.url ? [openPg({ connectionString: t.url, poolMax: 4 }), openPg({ connectionString: t.url, poolMax: 4 })] : [];
    const dbs = t.url ? extra : [t.db, t.db];
    const relays = [...dbs, ...dbs].map((db) => createOutboxRelay({ db, publisher: sqsPublisher(client, queueUrl), logger: silent, concurrency: 3, sweepMs: 60_000 }));
    for (const r of relays) r.start();
    try {
      await waitFor('every row sent', async () => (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL')).rows[0]?.n === 0);
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
      await Promise.all(extra.map((d) => d.close()));
    }
    const ids = eventIds(await drain(queueUrl));
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);
  });
});

describe('the queue endpoint goes away', () => {
  it('keeps taking orders for 10 s without it, then catches up: every order is notified', async () => {
    const { queueUrl } = await createQueues(client, 5, '-outage');
    const issuer = await createTestIssuer();
    const logs: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (s: string) => void logs.push(s) } });
    const config = await testConfig({ SQS_ENDPOINT: sqs.url, ORDER_EVENTS_QUEUE_URL: queueUrl, WEBHOOK_SIGNING_KEY: newSigningKey() });
    // The roles' keep-alive sockets: cut when the endpoint stops, as a stopped process would cut them (the
    // stand-in's close() waits for busy keep-alive connections to end on their own).
    const agent = new Agent({ keepAlive: true });
    const roleClient = clientFor(sqs.url, agent);
    const service = await runService(config, logger, {
      db: t.db,
      verifier: issuer.verifier(),
      sqs: roleClient,
      relay: { backoff: { initialMs: 100, maxMs: 1000 } },
    });
    const worker = await runWorker(config, logger, { db: t.db, sqs: roleClient, worker: { waitTimeSeconds: 1, visibilityTimeout: 5 } });
    const sub = `u-${randomUUID()}`;
    const token = issuer.accessToken({ sub });
    const port = Number(new URL(sqs.url).port);
    let placed = 0;
    const place = async () => {
      const r = await call(service.url as string, 'POST', '/orders', { token, body: { item: `o${placed}`, quantity: 1 } });
      expect(r.status).toBe(201);
      placed++;
    };
    try {
      for (let i = 0; i < 5; i++) await place();
      const stopped = sqs.close();
      agent.destroy();
      await stopped;
      const downUntil = Date.now() + 10_000;
      while (Date.now() < downUntil) {
        await place();
        await new Promise((r) => setTimeout(r, 200));
      }
      const pending = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL AND user_sub = $1', [sub]);
      expect(pending.rows[0]?.n).toBeGreaterThan(20);
      // Same data folder, same port: the roles' clients reconnect on their own.
      sqs = await startEndpoint(port);
      for (let i = 0; i < 5; i++) await place();
      await waitFor(
        'every order notified',
        async () => (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE user_sub = $1', [sub])).rows[0]?.n === placed,
        30_000,
        100,
      );
      const d = await queueDepth(client, queueUrl);
      expect(d.visible).toBe(0);
      expect(logs.join('')).toContain('backing off');
      expect(logs.join('')).toContain('catching up');
    } finally {
      await service.stop();
      await worker.stop();
      roleClient.destroy();
      agent.destroy();
    }
  }, 60_000);
});

describe('outbox relay, when the queue refuses some entries', () => {
  // A database of its own: runOnce claims every pending row, so no other test's rows may be waiting.
  let own: TestDb;
  beforeAll(async () => {
    own = await createTestDb();
  });
  afterAll(async () => {
    await own?.close();
  });

  /** Accepts every other message and refuses the rest, as SendMessageBatch reports per-entry failures. */
  const halfRefusing: Publisher = {
    publishBatch: async (messages) => ({
      sent: messages.filter((_, i) => i % 2 === 0).map((m) => m.id),
      failed: messages.filter((_, i) => i % 2 === 1).map((m) => ({ id: m.id, reason: 'InvalidParameterValue: refused', senderFault: true })),
    }),
  };
  const pending = async () =>
    (await own.db.query<{ last_error: string | null; retry_in: number }>(
      'SELECT last_error, extract(epoch FROM claimed_until - now())::float AS retry_in FROM outbox WHERE sent_at IS NULL ORDER BY id',
    )).rows;

  it('marks the accepted ones sent and gives the refused ones their reason and a short retry delay', async () => {
    const sub = `u-${randomUUID()}`;
    for (let i = 0; i < 4; i++) await placeOrder(own.db, sub, { item: `r${i}`, quantity: 1 });
    const relay = createOutboxRelay({ db: own.db, publisher: halfRefusing, logger: silent });
    expect(await relay.runOnce()).toBe(2);
    const rows = await pending();
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.last_error).toBe('InvalidParameterValue: refused');
      expect(r.retry_in).toBeGreaterThan(0);
      expect(r.retry_in).toBeLessThanOrEqual(5);
    }
    await own.db.query('UPDATE outbox SET sent_at = now() WHERE sent_at IS NULL');
  });

  it('still marks the accepted ones sent when recording the refusals fails', async () => {
    const sub = `u-${randomUUID()}`;
    for (let i = 0; i < 4; i++) await placeOrder(own.db, sub, { item: `f${i}`, quantity: 1 });
    // The statement that records refusals fails; every other statement reaches the database.
    const db: Db = {
      ...own.db,
      query: (sql, params) => (sql.includes("interval '5 seconds'") ? Promise.reject(new Error('connection lost')) : own.db.query(sql, params)),
    };
    const relay = createOutboxRelay({ db, publisher: halfRefusing, logger: silent });
    expect(await relay.runOnce()).toBe(2);
    const rows = await pending();
    // Only the two refused rows remain unsent; the two the queue took are not sent again.
    expect(rows).toHaveLength(2);
  });
});

describe('an outbox row the queue keeps refusing', () => {
  let own: TestDb;
  beforeAll(async () => {
    own = await createTestDb();
  });
  afterAll(async () => {
    await own?.close();
  });

  /** Log lines at warn and above, parsed. */
  function capture() {
    const lines: { level: number; msg: string; outboxId?: string; reason?: string }[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(JSON.parse(l)) } });
    return { logger, errors: () => lines.filter((l) => l.level >= 50), warnings: () => lines.filter((l) => l.level === 40) };
  }
  /** The lease that spaces refusals out, lapsed at once, so the test need not wait 5 s per round. */
  const lapse = () => own.db.query('UPDATE outbox SET claimed_until = NULL WHERE sent_at IS NULL AND failed_at IS NULL');
  const status = async (orderId: string) => (await own.db.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [orderId])).rows[0]?.status;

  it('is set aside after maxRefusals sender-fault refusals by the real queue: its order failed, one error logged, no more retries; retry puts it back', async () => {
    const queueUrl = (await createQueues(client, 5, `-poison-${Date.now()}`)).queueUrl;
    const sub = `u-${randomUUID()}`;
    // Written straight to the database, as data from before the API's text rule would be: SQS refuses U+FFFF.
    const bad = (await placeOrder(own.db, sub, { item: '\uffff\ufffe', quantity: 1 })).order;
    const good = (await placeOrder(own.db, sub, { item: 'tea', quantity: 1 })).order;
    const { logger, errors } = capture();
    const relay = createOutboxRelay({ db: own.db, publisher: sqsPublisher(client, queueUrl), logger, maxRefusals: 3 });

    expect(await relay.runOnce()).toBe(1);
    for (let i = 0; i < 4; i++) {
      await lapse();
      expect(await relay.runOnce()).toBe(0);
    }
    expect(await drain(queueUrl)).toHaveLength(1);
    expect(await status(good.id)).toBe('placed');
    expect(await status(bad.id)).toBe('failed');
    const failed = await listFailedOutbox(own.db);
    expect(failed.total).toBe(1);
    expect(failed.rows[0]).toMatchObject({ orderId: bad.id, userSub: sub, eventType: 'order.placed', refusals: 3, reason: expect.stringMatching(/^InvalidMessageContents/) });
    // Logged once, with the reason, when set aside; the refusals before it were not warnings.
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toMatchObject({ outboxId: failed.rows[0]!.id, reason: expect.stringMatching(/^InvalidMessageContents/) });

    // After a fix (here: the row's text), an operator puts it back in line and it leaves.
    await own.db.query(`UPDATE outbox SET payload = jsonb_set(payload, '{order,item}', '"tea"') WHERE id = $1`, [failed.rows[0]!.id]);
    expect(await retryFailedOutbox(own.db, [failed.rows[0]!.id, '999999'])).toEqual([failed.rows[0]!.id]);
    expect(await status(bad.id)).toBe('placed');
    expect(await relay.runOnce()).toBe(1);
    expect((await listFailedOutbox(own.db)).total).toBe(0);
    expect(await drain(queueUrl)).toHaveLength(1);
  });

  it('a refusal that is not the sender\'s fault (a throttle) is retried without limit and never sets the row aside', async () => {
    const sub = `u-${randomUUID()}`;
    const order = (await placeOrder(own.db, sub, { item: 'throttled', quantity: 1 })).order;
    const throttling: Publisher = {
      publishBatch: async (messages) => ({ sent: [], failed: messages.map((m) => ({ id: m.id, reason: 'RequestThrottled: slow down', senderFault: false })) }),
    };
    const { logger, errors, warnings } = capture();
    const relay = createOutboxRelay({ db: own.db, publisher: throttling, logger, maxRefusals: 2 });
    for (let i = 0; i < 5; i++) {
      await relay.runOnce();
      await lapse();
    }
    expect(await status(order.id)).toBe('placed');
    expect(errors()).toHaveLength(0);
    expect(warnings().length).toBeGreaterThan(0);
    const { rows } = await own.db.query<{ failed_at: Date | null; refusals: number }>("SELECT failed_at, refusals FROM outbox WHERE payload->'order'->>'id' = $1", [order.id]);
    expect(rows).toEqual([{ failed_at: null, refusals: 0 }]);
    await own.db.query("UPDATE outbox SET sent_at = now() WHERE payload->'order'->>'id' = $1", [order.id]);
  });
});
