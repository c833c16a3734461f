/**
 * The worker killed with SIGKILL mid-stream and restarted loses nothing and duplicates nothing. Separate processes
 * need a database they can share, so this suite runs only against PostgreSQL (DATABASE_URL, as CI's database run).
 */
import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSqs, type TestSqs } from '../local/sqs/testing.js';
import { createTestDb, type TestDb } from './support/db.js';
import { createQueues, newSigningKey, queueDepth, waitFor } from './support/pipeline.js';
import { spawnRole, type RoleProcess } from './support/processes.js';
import { orderPlacedEvent } from './support/orders.js';

const withPostgres = process.env.DATABASE_URL ? describe : describe.skip;

withPostgres('worker crash (separate processes, PostgreSQL)', () => {
  let t: TestDb;
  let sqs: TestSqs;
  const children: RoleProcess[] = [];

  beforeAll(async () => {
    t = await createTestDb();
    sqs = await startTestSqs();
  });
  afterAll(async () => {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await sqs?.close();
    await t?.close();
  });

  it('SIGKILL mid-batch, restart: every event becomes exactly one notification', async () => {
    const { queueUrl } = await createQueues(sqs.client, 50);
    const N = 1500;
    const sub = `crash-${randomUUID()}`;
    const ids: string[] = [];
    for (let i = 0; i < N; i += 10) {
      const entries = Array.from({ length: 10 }, (_, j) => {
        const event = orderPlacedEvent({ userSub: sub, item: `crash ${i + j}` });
        ids.push(event.id);
        return { Id: String(j), MessageBody: JSON.stringify(event) };
      });
      await sqs.client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    }
    const env = {
      DATABASE_URL: t.url as string,
      DATABASE_POOL_MAX: '5',
      SQS_ENDPOINT: sqs.sqs.url,
      ORDER_EVENTS_QUEUE_URL: queueUrl,
      WEBHOOK_SIGNING_KEY: newSigningKey(),
      WORKER_CONCURRENCY: '20',
      WORKER_VISIBILITY_TIMEOUT_SECONDS: '3',
      WORKER_WAIT_TIME_SECONDS: '1',
    };
    const count = async () =>
      (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE user_sub = $1', [sub])).rows[0]?.n ?? 0;

    const first = spawnRole('worker', env);
    children.push(first);
    await waitFor('the first notifications', async () => (await count()) >= 200, 60_000, 20);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const atKill = await count();
    expect(atKill).toBeLessThan(N);
    // Messages it held stay invisible until their visibility timeout; the restarted worker then gets them again.
    const depth = await queueDepth(sqs.client, queueUrl);
    expect(depth.inFlight + depth.visible).toBeGreaterThan(0);

    const second = spawnRole('worker', env);
    children.push(second);
    await waitFor('every notification', async () => (await count()) >= N, 90_000, 100);
    await waitFor('an empty queue', async () => {
      const d = await queueDepth(sqs.client, queueUrl);
      return d.visible + d.inFlight === 0;
    }, 30_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    expect(await count()).toBe(N);
    const distinct = await t.db.query<{ n: number }>('SELECT count(DISTINCT event_id)::int AS n FROM notifications WHERE user_sub = $1', [sub]);
    expect(distinct.rows[0]?.n).toBe(N);
    const processed = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM processed_events WHERE event_id = ANY($1::uuid[])', [ids]);
    expect(processed.rows[0]?.n).toBe(N);
  }, 180_000);
});
