/**
 * `npm run bench [-- name ...]`: runs the benchmarks one after another (never in parallel: they share two cores).
 * Each module in bench/ exports `run()`, prints its own table and compares against a baseline it measures in the
 * same run; this runner then prints one summary: per benchmark the headline figure, its same-run baseline, the
 * ratio and the target, with the load average around it (a markdown table, ready for the README).
 * Not part of `npm test`. About 2 minutes for all four on the quiet 2-core machine (docs/bench-latest.txt: the last full run).
 *
 *   npm run bench                    # auth, gateway, sqs, orders
 *   npm run bench -- gateway sqs     # some of them
 */
import { availableParallelism, loadavg } from 'node:os';
import type { AuthBenchResult } from './auth.js';
import type { GatewayBenchResult } from './gateway.js';
import type { OrdersBenchResult } from './orders.js';
import type { SqsBenchResult } from './sqs.js';

/** One line of the summary: a figure from this run against a baseline from this run. */
interface Row {
  bench: string;
  command: string;
  measured: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean;
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

/** Per benchmark: how to load it and how to read its result into summary rows. */
const BENCHES = {
  auth: {
    load: async () => (await import('./auth.js')).run(),
    rows: (r: AuthBenchResult): Row[] => [
      {
        bench: 'auth: token verification',
        command: 'npx tsx bench/auth.ts',
        measured: `src/auth verifier ${n0(r.verifierOpsPerSec)} /CPU-s`,
        baseline: `bare crypto.verify ${n0(r.bareOpsPerSec)} /CPU-s`,
        ratio: pct(r.ratio),
        target: '≥ 70 %',
        met: r.ratio >= 0.7,
      },
    ],
  },
  gateway: {
    load: async () => (await import('./gateway.js')).run(),
    rows: (r: GatewayBenchResult): Row[] => [
      {
        bench: `gateway: GET /me, ${r.connections} conns (${r.database})`,
        command: 'npx tsx bench/gateway.ts',
        measured: `${n0(r.gateway.requestsPerSec)} req/s, p99 ${r.gateway.p99Ms} ms`,
        baseline: `bare Fastify route ${n0(r.bare.requestsPerSec)} req/s, p99 ${r.bare.p99Ms} ms`,
        ratio: pct(r.ratio),
        target: '≥ 50 %, p99 < 20 ms',
        met: r.meetsTargets,
      },
    ],
  },
  sqs: {
    load: async () => (await import('./sqs.js')).run(),
    rows: (r: SqsBenchResult): Row[] => [
      {
        bench: 'sqs: send+receive+delete',
        command: 'npx tsx bench/sqs.ts',
        measured: `fdatasync'd journal ${n0(r.durable.messagesPerSec)} msg/s`,
        baseline: `journal without fdatasync ${n0(r.noFsync.messagesPerSec)} msg/s`,
        ratio: pct(r.ratio),
        target: `≥ ${n0(r.target)} msg/s durable`,
        met: r.meetsTarget,
      },
      {
        bench: 'sqs: Pier (durable) vs fauxqs (in memory)',
        command: 'npx tsx bench/sqs.ts',
        measured: `Pier ${n0(r.peer.pier)} msg/s`,
        baseline: `fauxqs ${n0(r.peer.fauxqs)} msg/s`,
        ratio: `${r.peer.ratio.toFixed(2)}x`,
        target: `≥ ${r.peer.goal.toFixed(1)}x`,
        met: r.peer.ratio >= r.peer.goal,
      },
    ],
  },
  orders: {
    load: async () => (await import('./orders.js')).run(),
    rows: (r: OrdersBenchResult): Row[] => [
      {
        bench: 'orders: outbox → SQS → notification',
        command: 'npx tsx bench/orders.ts',
        measured: `${n0(r.eventsPerSec)} events/s`,
        baseline: `SQS endpoint alone ${n0(r.sqsCeilingPerSec)} msg/s`,
        ratio: pct(r.eventsVsCeiling),
        target: `≥ ${n0(r.target)} events/s`,
        met: r.meetsTarget,
      },
      {
        bench: 'orders: POST /orders over HTTP',
        command: 'npx tsx bench/orders.ts',
        measured: `${n0(r.ordersPerSec)} orders/s, p99 ${r.ordersP99Ms} ms`,
        baseline: `GET /healthz ${n0(r.healthzPerSec)} req/s`,
        ratio: pct(r.ordersVsHealthz),
        target: 'no errors',
        met: r.orderErrors === 0,
      },
    ],
  },
} satisfies Record<string, { load: () => Promise<unknown>; rows: (r: never) => Row[] }>;

type Name = keyof typeof BENCHES;
const ALL = Object.keys(BENCHES) as Name[];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !(ALL as string[]).includes(w));
if (unknown.length) {
  process.stderr.write(`unknown benchmark: ${unknown.join(', ')} (have: ${ALL.join(', ')})\n`);
  process.exit(2);
}

const load1 = () => Math.round(loadavg()[0]! * 10) / 10;
const summary: (Row & { load: string; seconds: number })[] = [];
const failed: string[] = [];
const t0 = performance.now();

for (const name of wanted.length ? (wanted as Name[]) : ALL) {
  const bench = BENCHES[name];
  const before = load1();
  const started = performance.now();
  process.stdout.write(`\n== ${name} (${new Date().toISOString()}, load average ${before})\n`);
  try {
    const result = await bench.load();
    const seconds = Math.round((performance.now() - started) / 1000);
    for (const row of (bench.rows as (r: unknown) => Row[])(result)) summary.push({ ...row, load: `${before} → ${load1()}`, seconds });
  } catch (err) {
    // One broken benchmark does not hide the others' figures; the run still fails.
    failed.push(name);
    process.stdout.write(`!! ${name} failed: ${(err as Error).stack ?? String(err)}\n`);
  }
}

const cell = (s: string) => s.replace(/\|/g, '\\|');
process.stdout.write(
  [
    '',
    `== summary (${new Date().toISOString()}, Node ${process.versions.node}, ${availableParallelism()} cores, ${Math.round((performance.now() - t0) / 1000)} s)`,
    'ratio = measured / its baseline, both from this run. Load average: 1 minute, at start → end of the benchmark' +
      ` (above ${availableParallelism()}: other work shared the cores).`,
    '',
    '| benchmark | command | measured | baseline (same run) | ratio | target | met | load avg |',
    '|---|---|---:|---:|---:|---|---|---|',
    ...summary.map(
      (r) =>
        `| ${cell(r.bench)} | \`${r.command}\` | ${cell(r.measured)} | ${cell(r.baseline)} | ${r.ratio} | ${cell(r.target)} | ${r.met ? 'yes' : 'NO'} | ${r.load} |`,
    ),
    ...(failed.length ? ['', `failed: ${failed.join(', ')}`] : []),
    '',
  ].join('\n'),
);
if (failed.length) process.exitCode = 1;

// Every benchmark closes what it opened, so the process ends by itself. If something was left open, say what
// (a timer that does not itself keep the process alive) and end anyway, so `npm run bench` never hangs.
setTimeout(() => {
  process.stderr.write(`bench: still open after the run: ${process.getActiveResourcesInfo().join(', ')}; exiting\n`);
  process.exit(process.exitCode ?? 1);
}, 5000).unref();
