/**
 * The order flow's throughput, on the same parts `npm start` runs (PGlite in a data folder, the local SQS endpoint
 * with fdatasync, one process):
 *   1. the ceiling: the SQS endpoint's raw send+receive+delete rate (bench/sqs.ts) measured in this run;
 *   2. events/s from outbox to notification: N orders with their outbox rows are written first, then the relay and
 *      the worker start; timed until N notifications exist (target ≥ 1,000 events/s on this 2-core machine);
 *   3. orders/s placed over HTTP (autocannon, real RS256 access tokens verified by src/auth), relay and worker
 *      running, against GET /healthz on the same service as the baseline.
 *
 *   npx tsx bench/orders.ts [--events 5000] [--rounds 3] [--seconds 10] [--connections 10] [--concurrency 20]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { startTestSqs } from '../local/sqs/testing.js';
import { loadConfig } from '../src/config/index.js';
import { openDb, type Db } from '../src/db/index.js';
import { createLogger } from '../src/log.js';
import { generateSigningKey } from '../src/notifications/signingKey.js';
import { placeOrder } from '../src/orders/repository.js';
import { runService, runWorker } from '../src/roles.js';
import { createQueues } from '../test/support/pipeline.js';
import { createTestIssuer } from '../test/support/tokens.js';
import { run as runSqsBench } from './sqs.js';

export interface OrdersBenchOptions {
  events?: number;
  seconds?: number;
  connections?: number;
  /** WORKER_CONCURRENCY for the run. */
  concurrency?: number;
  /** Outbox -> notification rounds; the median is reported. Default 3. */
  rounds?: number;
  print?: boolean;
}

export interface OrdersBenchResult {
  sqsCeilingPerSec: number;
  eventsPerSec: number;
  eventsVsCeiling: number;
  ordersPerSec: number;
  ordersP50Ms: number;
  ordersP99Ms: number;
  healthzPerSec: number;
  ordersVsHealthz: number;
  orderErrors: number;
  target: number;
  meetsTarget: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const count = async (db: Db, table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n ?? 0;

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

export async function run(opts: OrdersBenchOptions = {}): Promise<OrdersBenchResult> {
  const events = opts.events ?? 5000;
  const seconds = opts.seconds ?? 10;
  const connections = opts.connections ?? 10;
  const print = opts.print ?? true;
  const roundsWanted = opts.rounds ?? 3;
  const say = (s: string) => print && process.stdout.write(`${s}\n`);

  // 1. The ceiling, measured first so nothing else shares the cores.
  say('measuring the SQS endpoint ceiling (bench/sqs.ts, durable, 1 round)...');
  const sqsResult = await runSqsBench({ messages: events * 2, rounds: 1, print: false });
  const sqsCeilingPerSec = sqsResult.durable.messagesPerSec;

  const dir = await mkdtemp(join(tmpdir(), 'pier-bench-orders-'));
  const logger = createLogger({ level: 'warn' });
  const sqs = await startTestSqs({ dataDir: join(dir, 'sqs-data') });
  const issuer = await createTestIssuer();
  const { queueUrl } = await createQueues(sqs.client, 5);
  const config = await loadConfig({
    env: {
      PIER_ENV: 'test',
      ENV_FILE: '/nonexistent/.env',
      DOCKER_SECRETS_DIR: '/nonexistent',
      DATA_DIR: dir,
      SERVICE_PORT: '0',
      SQS_ENDPOINT: sqs.sqs.url,
      ORDER_EVENTS_QUEUE_URL: queueUrl,
      WEBHOOK_SIGNING_KEY: generateSigningKey(),
      WEBHOOK_ALLOW_LOOPBACK: 'true',
      WORKER_CONCURRENCY: String(opts.concurrency ?? 20),
    },
  });
  const db = await openDb(config);
  try {
    // 2. Outbox -> SQS -> notification, `rounds` times (the median is reported: the machine is shared).
    const rounds: number[] = [];
    const direct: number[] = [];
    let done = 0;
    for (let r = 0; r < roundsWanted; r++) {
      say(`round ${r + 1}/${roundsWanted}: writing ${events} orders with their outbox rows, then timing relay + worker until all are notifications...`);
      const w0 = performance.now();
      for (let i = 0; i < events; i++) await placeOrder(db, `bench-user-${i % 50}`, { item: `bench item ${i}`, quantity: 1 + (i % 9) });
      direct.push(events / ((performance.now() - w0) / 1000));
      const t0 = performance.now();
      const s = await runService(config, logger, { db, verifier: issuer.verifier(), sqs: sqs.client });
      const w = await runWorker(config, logger, { db, sqs: sqs.client });
      while ((done = await count(db, 'notifications')) < events * (r + 1)) await new Promise((res) => setTimeout(res, 100));
      rounds.push(events / ((performance.now() - t0) / 1000));
      await s.stop();
      await w.stop();
    }
    const eventsPerSec = median(rounds);
    const directOrdersPerSec = median(direct);
    const service = await runService(config, logger, { db, verifier: issuer.verifier(), sqs: sqs.client });
    const worker = await runWorker(config, logger, { db, sqs: sqs.client });

    // 3. Orders over HTTP, everything running.
    const token = issuer.accessToken({ sub: 'bench-http' });
    say(`HTTP: GET /healthz then POST /orders, ${seconds} s each, ${connections} connections...`);
    const health = await cannon({ url: `${service.url}/healthz`, connections, duration: Math.max(3, Math.round(seconds / 2)) });
    const before = await count(db, 'orders');
    const orders = await cannon({
      url: `${service.url}/orders`,
      method: 'POST',
      connections,
      duration: seconds,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ item: 'benchmark tea', quantity: 2 }),
    });
    // Requests autocannon had in flight when it stopped still complete; let them land before counting.
    await new Promise((r) => setTimeout(r, 500));
    const placed = (await count(db, 'orders')) - before;
    // Let the pipeline finish what the HTTP run produced before stopping (not timed).
    const until = Date.now() + 60_000;
    while ((await count(db, 'notifications')) < done + placed && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const notified = (await count(db, 'notifications')) - done;
    await service.stop();
    await worker.stop();

    const ordersPerSec = orders.requests.average;
    const result: OrdersBenchResult = {
      sqsCeilingPerSec,
      eventsPerSec,
      eventsVsCeiling: eventsPerSec / sqsCeilingPerSec,
      ordersPerSec,
      ordersP50Ms: orders.latency.p50,
      ordersP99Ms: orders.latency.p99,
      healthzPerSec: health.requests.average,
      ordersVsHealthz: ordersPerSec / health.requests.average,
      orderErrors: orders.non2xx + orders.errors,
      target: 1000,
      meetsTarget: eventsPerSec >= 1000,
    };
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(8);
    say(
      [
        '',
        `orders bench: ${events} events; HTTP ${seconds} s x ${connections} connections; WORKER_CONCURRENCY ${config.WORKER_CONCURRENCY}; PGlite on disk, SQS endpoint durable`,
        `  SQS endpoint raw send+receive+delete  ${fmt(sqsCeilingPerSec)} msg/s   (the ceiling)`,
        `  outbox -> SQS -> notification         ${fmt(eventsPerSec)} events/s  (median of ${rounds.map((x) => Math.round(x)).join(', ')}; ${(result.eventsVsCeiling * 100).toFixed(0)} % of the ceiling; target >= 1,000: ${result.meetsTarget ? 'met' : 'NOT met'})`,
        `  order + outbox row, direct (no HTTP)  ${fmt(directOrdersPerSec)} orders/s`,
        `  GET /healthz (baseline)               ${fmt(health.requests.average)} req/s`,
        `  POST /orders (token verified)         ${fmt(ordersPerSec)} orders/s  (${(result.ordersVsHealthz * 100).toFixed(0)} % of /healthz; p50 ${orders.latency.p50} ms, p99 ${orders.latency.p99} ms; non-2xx ${orders.non2xx}, errors ${orders.errors})`,
        `  HTTP orders notified afterwards       ${fmt(notified)} of ${placed}`,
        '',
      ].join('\n'),
    );
    return result;
  } finally {
    await db.close();
    await sqs.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const arg = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : undefined;
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run({ events: arg('events'), seconds: arg('seconds'), connections: arg('connections'), concurrency: arg('concurrency'), rounds: arg('rounds') });
}
