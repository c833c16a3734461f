/**
 * The local gateway's own cost: an authenticated GET /me through the gateway (JWT authorizer with the verified-token
 * cache, payload v2 event, result mapping) against the same handler called from a bare Fastify route (no
 * authorizer, no event mapping: one prebuilt event), measured in the same run with autocannon (50 connections).
 * Both get the same requests, token included (the bare route ignores it), so the difference is the gateway's work.
 * Both answer from the same embedded database with the same rows. Targets: gateway ≥ 50% of the bare throughput,
 * gateway p99 < 20 ms.
 *
 *   npx tsx bench/gateway.ts [--seconds 10] [--rounds 5] [--connections 50]   (DATABASE_URL=... for PostgreSQL)
 */
import type { AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { startGateway } from '../local/gateway/server.js';
import { buildEventV2 } from '../local/gateway/event.js';
import { createHandlers } from '../src/functions/index.js';
import { createLogger } from '../src/log.js';
import { placeOrder } from '../src/orders/repository.js';
import { createTestDb } from '../test/support/db.js';
import { createTestIssuer } from '../test/support/tokens.js';
import { claimsForEvent, decodeVerifiedPayload } from '../local/gateway/claims.js';

export interface PathResult {
  requestsPerSec: number;
  /** This process's CPU time per request (servers, handler, in-process PGlite and the load generator's thread). */
  cpuUsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

export interface GatewayBenchResult {
  database: string;
  connections: number;
  seconds: number;
  bare: PathResult;
  gateway: PathResult;
  /** gateway / bare requests per second: the median of the per-round ratios. Target ≥ 0.50. */
  ratio: number;
  /** The gateway's own cost: its CPU time per request minus the bare path's (both include the same load generator). */
  overheadCpuUsPerRequest: number;
  /** bare / gateway CPU per request: the throughput ratio when CPU bound, much less moved by other work on the machine. */
  cpuRatio: number;
  /** 1-minute load average before and after (2 cores: above 2, other work shared the machine). */
  loadAverage: [number, number];
  meetsTargets: boolean;
}

export interface GatewayBenchOptions {
  /** Total load time per path (split into rounds). */
  seconds?: number;
  rounds?: number;
  connections?: number;
  print?: boolean;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Rounds together: mean throughput, median of the per-round latency percentiles, all failures. */
function combine(rounds: PathResult[]): PathResult {
  return {
    requestsPerSec: Math.round(rounds.reduce((a, r) => a + r.requestsPerSec, 0) / rounds.length),
    cpuUsPerRequest: median(rounds.map((r) => r.cpuUsPerRequest)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
  };
}

async function load(url: string, headers: Record<string, string>, seconds: number, connections: number): Promise<PathResult> {
  // A worker thread fires the requests, so the load generator does not share the servers' event loop.
  const cpu0 = process.cpuUsage();
  const r = await autocannon({ url, headers, connections, duration: seconds, pipelining: 1, workers: 1 });
  const cpu = process.cpuUsage(cpu0);
  return {
    requestsPerSec: Math.round(r.requests.average),
    cpuUsPerRequest: Math.round((cpu.user + cpu.system) / Math.max(1, r.requests.total)),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

export async function run(opts: GatewayBenchOptions = {}): Promise<GatewayBenchResult> {
  const seconds = opts.seconds ?? 10;
  const connections = opts.connections ?? 50;
  const rounds = opts.rounds ?? 5;
  const print = opts.print ?? true;
  const logger = createLogger({ level: 'silent' });

  // The machine's PostgreSQL when DATABASE_URL is set (as in AWS: the database is another machine's work), else
  // embedded PGlite, which runs its queries on this process's own thread.
  const testDb = await createTestDb({ poolMax: 20 });
  const db = testDb.db;
  const dbName = testDb.schema ? 'PostgreSQL (DATABASE_URL)' : 'PGlite (in process)';
  const issuer = await createTestIssuer();
  const sub = 'bench-user';
  for (let i = 0; i < 20; i++) await placeOrder(db, sub, { item: `item-${i}`, quantity: 1 });
  for (let i = 0; i < 20; i++) {
    await db.query('INSERT INTO notifications (id, user_sub, event_id, event_type, message) VALUES (gen_random_uuid(), $1, gen_random_uuid(), $2, $3)', [
      sub,
      'order.placed',
      `n${i}`,
    ]);
  }
  // One user's token reused, as a signed-in page does for an hour.
  const token = issuer.accessToken({ sub, username: 'bench', scope: 'openid pier/orders.read' });
  const handlers = createHandlers({ db, logger });

  // Baseline: the handler behind a plain route, with one event built up front.
  const fixedEvent: APIGatewayProxyEventV2WithJWTAuthorizer = buildEventV2({
    method: 'GET',
    url: '/me',
    rawHeaders: [],
    body: undefined,
    routeKey: 'GET /me',
    pathParameters: undefined,
    sourceIp: '127.0.0.1',
    httpVersion: '1.1',
    requestId: 'bench',
    jwt: { claims: claimsForEvent(decodeVerifiedPayload(token)), scopes: ['openid', 'pier/orders.read'] },
  });
  const bare = Fastify({ logger: false });
  bare.get('/me', async (_req, reply) => {
    const res = (await handlers.me(fixedEvent)) as APIGatewayProxyStructuredResultV2;
    return reply
      .code(res.statusCode ?? 200)
      .headers((res.headers ?? {}) as Record<string, string>)
      .send(res.body);
  });
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}/me`;

  const gw = await startGateway({
    logger,
    verifier: issuer.verifier({ cache: { maxEntries: 10_000 } }),
    functions: handlers,
    bodyLimitBytes: 1 << 20,
    lambdaTimeoutMs: 10_000,
    integrationTimeoutMs: 10_000,
    webDir: false,
  });
  const gwUrl = `${gw.url}/me`;
  const auth = { authorization: `Bearer ${token}` };

  try {
    // Both answer the same body (proves the comparison is like for like), then a short warm-up each.
    const [a, b] = await Promise.all([fetch(bareUrl, { headers: auth }).then((r) => r.json()), fetch(gwUrl, { headers: auth }).then((r) => r.json())]);
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`bare and gateway disagree: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    await load(bareUrl, auth, 2, connections);
    await load(gwUrl, auth, 2, connections);

    const load0 = Math.round(loadavg()[0]! * 10) / 10;
    // Short alternating rounds (order swapped each round), so both paths see the same machine load.
    const bareRounds: PathResult[] = [];
    const gwRounds: PathResult[] = [];
    const roundSeconds = seconds / rounds;
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        bareRounds.push(await load(bareUrl, auth, roundSeconds, connections));
        gwRounds.push(await load(gwUrl, auth, roundSeconds, connections));
      } else {
        gwRounds.push(await load(gwUrl, auth, roundSeconds, connections));
        bareRounds.push(await load(bareUrl, auth, roundSeconds, connections));
      }
    }
    const bareResult = combine(bareRounds);
    const gwResult = combine(gwRounds);
    const ratio = Math.round(median(gwRounds.map((g, i) => g.requestsPerSec / bareRounds[i]!.requestsPerSec)) * 100) / 100;
    const result: GatewayBenchResult = {
      database: dbName,
      connections,
      seconds,
      bare: bareResult,
      gateway: gwResult,
      ratio,
      overheadCpuUsPerRequest: gwResult.cpuUsPerRequest - bareResult.cpuUsPerRequest,
      cpuRatio: Math.round((bareResult.cpuUsPerRequest / gwResult.cpuUsPerRequest) * 100) / 100,
      loadAverage: [load0, Math.round(loadavg()[0]! * 10) / 10],
      meetsTargets: ratio >= 0.5 && gwResult.p99Ms < 20 && gwResult.non2xx === 0 && gwResult.errors === 0,
    };
    if (print) {
      const row = (name: string, r: PathResult) =>
        `${name.padEnd(30)} ${String(r.requestsPerSec).padStart(8)} ${String(r.p50Ms).padStart(8)} ${String(r.p99Ms).padStart(8)} ${String(r.cpuUsPerRequest).padStart(10)} ${String(r.non2xx + r.errors).padStart(6)}`;
      process.stdout.write(
        [
          `GET /me, ${connections} connections, ${seconds} s per path in ${rounds} alternating rounds (autocannon), database: ${dbName}`,
          `${'path'.padEnd(30)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'CPU µs/req'.padStart(10)} ${'bad'.padStart(6)}`,
          row('bare Fastify route (baseline)', bareResult),
          row('local gateway (JWT + v2 event)', gwResult),
          `gateway/bare throughput: ${ratio.toFixed(2)} (target >= 0.50); gateway p99 ${gwResult.p99Ms} ms (target < 20)` +
            ` -> ${result.meetsTargets ? 'OK' : 'MISSED'}`,
          `gateway's own cost: ${result.overheadCpuUsPerRequest} µs CPU per request (authorizer with cached token, v2 event, result mapping);` +
            ` CPU-bound capacity ratio ${result.cpuRatio.toFixed(2)}`,
          `load average ${result.loadAverage[0]} -> ${result.loadAverage[1]} on ${availableParallelism()} cores` +
            (result.loadAverage[0] > availableParallelism() ? ' (other work shared the machine: latency figures are inflated)' : ''),
          '',
        ].join('\n'),
      );
    }
    return result;
  } finally {
    await gw.close();
    await bare.close();
    await testDb.close();
  }
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const { values } = parseArgs({ options: { seconds: { type: 'string' }, connections: { type: 'string' }, rounds: { type: 'string' } } });
  await run({
    ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
    ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
    ...(values.connections ? { connections: Number(values.connections) } : {}),
  });
}
