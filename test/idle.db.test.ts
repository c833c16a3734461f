/**
 * An idle service runs no statement: Aurora Serverless v2 pauses only after its auto-pause delay with no user
 * connection (docs/deploy.md), so nothing may poll the database while no request or message arrives. The service
 * role runs on a `Db` wrapper that counts every statement (pool and transactions): deterministic under PGlite and,
 * in CI's DATABASE_URL run, on its own schema of the real PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSqs, type TestSqs } from '../local/sqs/testing.js';
import type { Db, Queryable } from '../src/db/index.js';
import { createOutboxRelay } from '../src/events/relay.js';
import { sqsPublisher } from '../src/events/sqs.js';
import type { Publisher } from '../src/events/publisher.js';
import { createLogger } from '../src/log.js';
import { placeOrder } from '../src/orders/repository.js';
import { runService, type RunningRole } from '../src/roles.js';
import { createTestDb, type TestDb } from './support/db.js';
import { call, testConfig } from './support/orders.js';
import { createQueues, waitFor } from './support/pipeline.js';
import { createTestIssuer, type TestIssuer } from './support/tokens.js';

const silent = createLogger({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every statement run through `db` (and through its transactions), by SQL text. */
function counting(db: Db): { db: Db; statements: string[] } {
  const statements: string[] = [];
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => {
      statements.push(sql);
      return q.query(sql, params);
    },
    exec: (sql) => {
      statements.push(sql);
      return q.exec(sql);
    },
  });
  return {
    statements,
    db: { kind: db.kind, ...wrap(db), transaction: (fn) => db.transaction((tx) => fn(wrap(tx))), close: () => db.close() },
  };
}

let t: TestDb;
let sqs: TestSqs;
let issuer: TestIssuer;

beforeAll(async () => {
  t = await createTestDb();
  sqs = await startTestSqs();
  issuer = await createTestIssuer();
});
afterAll(async () => {
  await sqs?.close();
  await t?.close();
});

const unsent = async (sub: string) =>
  (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL AND user_sub = $1', [sub])).rows[0]?.n;

async function startService(sweepSeconds: number, suffix: string): Promise<{ service: RunningRole; statements: string[] }> {
  const { queueUrl } = await createQueues(sqs.client, 5, suffix);
  const config = await testConfig({ SQS_ENDPOINT: sqs.sqs.url, ORDER_EVENTS_QUEUE_URL: queueUrl, OUTBOX_SWEEP_SECONDS: String(sweepSeconds) });
  const c = counting(t.db);
  const service = await runService(config, silent, { db: c.db, verifier: issuer.verifier(), sqs: sqs.client });
  return { service, statements: c.statements };
}

describe('an idle service', () => {
  it('sends an order at once, then runs no statement until its sweep is due (health checks included)', async () => {
    const { service, statements } = await startService(60, '-idle');
    try {
      // The sweep on start: each relay loop claims once.
      await waitFor('the start sweep', async () => statements.length > 0, 5000, 10);
      const sub = `u-${randomUUID()}`;
      const placedAt = Date.now();
      const r = await call(service.url as string, 'POST', '/orders', { token: issuer.accessToken({ sub }), body: { item: 'tea', quantity: 1 } });
      expect(r.status).toBe(201);
      await waitFor('the order sent', async () => (await unsent(sub)) === 0, 2000, 10);
      expect(Date.now() - placedAt).toBeLessThan(2000);
      // Let the relay settle (mark sent, look for leases), then watch a 3 s window with no order: sweep is 60 s.
      await sleep(300);
      statements.length = 0;
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        // Load balancer and container health checks must not reach the database either.
        expect((await call(service.url as string, 'GET', '/healthz')).status).toBe(200);
        expect((await call(service.url as string, 'GET', '/readyz')).status).toBe(200);
        await sleep(250);
      }
      expect(statements).toEqual([]);
    } finally {
      await service.stop();
    }
  }, 20_000);

  it('sweeps when the interval elapses, and only then', async () => {
    const { service, statements } = await startService(1, '-sweep');
    try {
      await waitFor('the start sweep', async () => statements.length > 0, 5000, 10);
      await sleep(200);
      statements.length = 0;
      await sleep(2600);
      const claims = statements.filter((s) => s.includes('FOR UPDATE SKIP LOCKED'));
      // Two sweeps (at about 1 s and 2 s), each claiming once per relay loop (2), and nothing else runs.
      expect(claims.length).toBeGreaterThanOrEqual(2);
      expect(claims.length).toBeLessThanOrEqual(8);
      expect(statements.length).toBeLessThanOrEqual(16);
    } finally {
      await service.stop();
    }
  }, 20_000);

  it('sends a row a task left behind on the next start', async () => {
    const { queueUrl } = await createQueues(sqs.client, 5, '-restart');
    const sub = `u-${randomUUID()}`;
    // Committed, but no relay was woken for it (the task died before sending).
    await placeOrder(t.db, sub, { item: 'left behind', quantity: 1 });
    const relay = createOutboxRelay({ db: t.db, publisher: sqsPublisher(sqs.client, queueUrl), logger: silent, sweepMs: 60_000 });
    relay.start();
    try {
      await waitFor('the left-behind row sent', async () => (await unsent(sub)) === 0, 2000, 10);
    } finally {
      await relay.stop();
    }
  });

  it("retries a refused row after its 5 s delay by a timer of its own, not a poll", async () => {
    const { queueUrl } = await createQueues(sqs.client, 5, '-refused');
    const real = sqsPublisher(sqs.client, queueUrl);
    let refusals = 0;
    // Throttled once (not the sender's fault), then accepted.
    const publisher: Publisher = {
      publishBatch: async (messages) => {
        if (refusals++ === 0) return { sent: [], failed: messages.map((m) => ({ id: m.id, reason: 'ThrottlingException: slow down', senderFault: false })) };
        return real.publishBatch(messages);
      },
    };
    const c = counting(t.db);
    const relay = createOutboxRelay({ db: c.db, publisher, logger: silent, sweepMs: 60_000 });
    relay.start();
    try {
      await waitFor('the start sweep', async () => c.statements.length > 0, 5000, 10);
      await sleep(200);
      const sub = `u-${randomUUID()}`;
      await placeOrder(t.db, sub, { item: 'later', quantity: 1 });
      relay.wake();
      await waitFor('the refusal', async () => refusals === 1, 2000, 10);
      await sleep(500);
      // While it waits out the refusal's delay, nothing runs.
      c.statements.length = 0;
      await sleep(3000);
      expect(c.statements).toEqual([]);
      await waitFor('the retried row sent', async () => (await unsent(sub)) === 0, 4000, 50);
      expect(refusals).toBe(2);
    } finally {
      await relay.stop();
    }
  }, 20_000);
});
