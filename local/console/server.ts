/**
 * The local console (`npm start`, CONSOLE_PORT, loopback only): one page showing every part and its health, the
 * order-events queues, the dead-letter queue's messages with a redrive button, the pool's users and the secret
 * names, backed by a JSON API under `/api/`. See docs/console.md.
 *
 * Safety: it answers only requests addressed to its own host:port (a DNS-rebinding page cannot read it), sends no
 * CORS headers (another origin cannot read it), the one POST needs a custom header and a same-origin Origin (a
 * cross-site form or fetch cannot start a redrive), every answer carries a strict CSP without inline script, and
 * the API's answers are built from allow-lists (sources.ts): no secret value, password, hash, verifier or token.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from '../../src/log.js';
import { fastifyTimeoutOptions } from '../../src/serverTimeouts.js';
import { securityHeaders, webSecurityPolicy } from '../../src/webSecurityHeaders.js';
import { httpUrl } from '../httpUrl.js';
import type { UserPool } from '../identity/pool.js';
import type { RunningPart } from '../part.js';
import type { SqsCore } from '../sqs/core.js';
import { listDlq, partViews, queueViews, redriveDlq, secretNames, secretsClient, userViews, type DlqTarget, type RedriveJob } from './sources.js';
import type { TraceSource } from './traces.js';

/** The header the page sends with its POST; a cross-site form cannot send it, and a cross-site fetch with it is preflighted (and refused). */
export const CSRF_HEADER = 'x-pier-console';

export interface ConsoleOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** The runtime's parts, read on each request (the console itself is among them once started). */
  parts: () => readonly RunningPart[];
  sqs: { core: SqsCore; url: string; queues: ReadonlyArray<{ name: string; url: string }> };
  /** The DLQ the view lists and redrives, and its source queue. */
  dlq: { url: string; sourceUrl: string };
  region: string;
  /** Folder the dlq CLI code runs from. */
  dataDir: string;
  pool: UserPool;
  secretsmanagerUrl: string;
  /** Recent traces and one trace as OTLP/JSON (traces.ts); absent when tracing is off. */
  traces?: TraceSource;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export async function startConsole(opts: ConsoleOptions): Promise<RunningPart & { url: string }> {
  const files = new Map(Object.entries(STATIC).map(([path, s]) => [path, { body: readFileSync(new URL(`./static/${s.file}`, import.meta.url), 'utf8'), type: s.type }]));
  // The page's own origin only: scripts and styles from files, no inline code, fetches to itself.
  const headers = { ...securityHeaders(webSecurityPolicy({ connectSrc: [], https: false })), 'cross-origin-resource-policy': 'same-origin', 'cache-control': 'no-store' };
  const secrets = secretsClient(opts.secretsmanagerUrl, opts.region);
  const target: DlqTarget = { sqsUrl: opts.sqs.url, region: opts.region, dlqUrl: opts.dlq.url, queueUrl: opts.dlq.sourceUrl, cwd: opts.dataDir };

  // Listing hides the DLQ's messages for a moment, and a move task skips hidden messages: one at a time, and no
  // listing while a redrive runs.
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn, fn);
    lock = run.catch(() => undefined);
    return run;
  };
  let job: RedriveJob | undefined;
  let jobs = 0;

  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: 1024,
    logController: new LogController({ disableRequestLogging: true }),
    ...fastifyTimeoutOptions(),
  });
  let allowedHosts = new Set<string>();
  app.addHook('onRequest', async (req, reply) => {
    reply.headers(headers);
    if (!allowedHosts.has(req.headers.host ?? '')) return reply.code(421).send({ error: 'misdirected', message: 'this console answers only at its own address' });
    if (req.method === 'POST' && (req.headers[CSRF_HEADER] !== '1' || req.headers.origin !== `http://${req.headers.host}`)) {
      return reply.code(403).send({ error: 'forbidden', message: `a POST needs the ${CSRF_HEADER} header and this console's Origin` });
    }
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    req.log.warn({ err: { name: err.name, message: err.message }, path: req.url.split('?')[0] }, 'console request failed');
    void reply.code(status).send({ error: 'failed', message: status < 500 ? err.message : 'the console could not read this; see the log' });
  });

  for (const [path, f] of files) app.get(path, async (_req, reply) => reply.type(f.type).send(f.body));
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get('/api/health', async () => ({ status: 'ok' }));
  app.get('/api/parts', async () => ({ parts: await partViews(opts.parts()) }));
  app.get('/api/queues', async () => ({ queues: await queueViews(opts.sqs.core, opts.sqs.queues) }));
  app.get('/api/dlq', async () => {
    if (job?.state === 'running') return { dlqUrl: opts.dlq.url, redriveRunning: true, messages: [], error: null };
    return { dlqUrl: opts.dlq.url, redriveRunning: false, ...(await exclusive(() => listDlq(target))) };
  });
  app.get('/api/dlq/redrive', async () => ({ job: job ?? null }));
  app.post('/api/dlq/redrive', async (_req, reply) => {
    if (job?.state === 'running') return reply.code(409).send({ error: 'conflict', message: 'a redrive is already running', job });
    const started: RedriveJob = { id: ++jobs, state: 'running', startedAt: new Date().toISOString(), finishedAt: null, lines: [] };
    job = started;
    void exclusive(() => redriveDlq(target, started));
    return reply.code(202).send({ job: started });
  });
  app.get('/api/users', async () => ({ users: userViews(opts.pool) }));
  app.get('/api/secrets', async () => ({ secrets: (await secretNames(secrets)).map((name) => ({ name })) }));
  // The traces view's API (traces.ts).
  app.get('/api/traces', async () => (opts.traces ? { available: true, traces: await opts.traces.recent(50) } : { available: false, traces: [] }));
  app.get<{ Params: { id: string } }>('/api/traces/:id', async (req, reply) => {
    const trace = /^[0-9a-f]{32}$/.test(req.params.id) ? opts.traces?.get(req.params.id) : undefined;
    return trace ?? reply.code(404).send({ error: 'not_found', message: 'no such trace in the span store (unknown, or evicted by its bound)' });
  });

  // Loopback only, whatever LOCAL_HOST says: the console shows the users and starts redrives without signing in.
  const host = isLoopback(opts.host) ? opts.host : '127.0.0.1';
  if (host !== opts.host) opts.logger.warn({ localHost: opts.host }, 'console: LOCAL_HOST is not a loopback address; the console listens on 127.0.0.1 only');
  await app.listen({ host, port: opts.port });
  const { port } = app.server.address() as AddressInfo;
  const url = httpUrl(host, port);
  allowedHosts = new Set([new URL(url).host, `localhost:${port}`]);
  opts.logger.debug({ url }, 'console listening');
  return {
    name: 'console',
    url,
    notes: ['parts, queues, the DLQ and its redrive, users and secret names (docs/console.md)'],
    close: async () => {
      await app.close();
      await lock;
      secrets.destroy();
    },
  };
}
