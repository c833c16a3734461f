import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmfMetrics } from '../src/metrics/emf.js';
import { call } from './support/orders.js';
import { createPipeline, waitFor, type Pipeline } from './support/pipeline.js';

/* The roles' EMF metrics, counted at the ports (publisher, event handler, webhook sender), over the real pipeline. */
let p: Pipeline;
let base: string;
const lines: Record<string, unknown>[] = [];
const metrics = createEmfMetrics({ environment: 'dev', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), flushMs: 3_600_000 });

beforeAll(async () => {
  p = await createPipeline({ maxReceiveCount: 3 });
  base = (await p.startService({ metrics })).url as string;
  await p.startWorker({ metrics });
});
afterAll(async () => {
  metrics.close();
  await p?.close();
});

/** The sum of a metric's values over every line written. */
const total = (name: string) => lines.filter((l) => name in l).flatMap((l) => [l[name]].flat() as number[]).reduce((a, b) => a + b, 0);

describe('EMF metrics from the roles', () => {
  it('counts an order placed, its event relayed and processed, with a processing time', async () => {
    const sub = `user-${randomUUID()}`;
    const placed = await call(base, 'POST', '/orders', { token: p.issuer.accessToken({ sub }), body: { item: 'tea', quantity: 1 } });
    expect(placed.status).toBe(201);
    await waitFor('the notification', async () => (await p.t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications WHERE user_sub = $1', [sub])).rows[0]!.n === 1);
    metrics.flush();
    expect(total('OrdersPlaced')).toBe(1);
    expect(total('EventsRelayed')).toBe(1);
    expect(total('EventsProcessed')).toBe(1);
    const timing = lines.find((l) => 'ProcessingTime' in l)!;
    expect([timing.ProcessingTime].flat()[0]).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatchObject({ Environment: 'dev', _aws: { CloudWatchMetrics: [{ Namespace: 'Pier' }] } });
  });
});
