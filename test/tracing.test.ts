/**
 * Tracing through the whole local runtime (docs/observability.md): one POST /orders through the gateway with a
 * caller's `traceparent` becomes ONE trace holding the gateway's, the service's, the relay's and the worker's spans,
 * each parent link intact; log lines carry its trace_id, and the webhook receiver gets a `traceparent` of it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityPart } from '../local/identity/index.js';
import { startLocalRuntime, type LocalRuntime } from '../local/runtime.js';
import { createLogger } from '../src/log.js';
import { getSpanStore } from '../src/telemetry/tracing.js';
import { waitFor } from './support/waitFor.js';
import { startReceiver, type Receiver } from './support/webhooks.js';

let dir: string;
let runtime: LocalRuntime;
let gateway: string;
let token: string;
let receiver: Receiver;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-tracing-'));
  const overrides: Record<string, string> = { DATA_DIR: join(dir, 'data') };
  for (const p of ['SERVICE_PORT', 'GATEWAY_PORT', 'IDENTITY_PORT', 'SQS_PORT', 'SECRETSMANAGER_PORT', 'CONSOLE_PORT']) overrides[p] = '0';
  // As test/support/runtime.ts starts it, with a logger whose lines the test reads.
  const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  runtime = await startLocalRuntime({ logger, cwd: dir, env: { DOCKER_SECRETS_DIR: join(dir, 'no-secrets') }, overrides });
  gateway = runtime.endpoints.gateway!;
  const identity = runtime.parts.find((p) => p.name === 'identity') as IdentityPart;
  const user = identity.pool.findUser('demo@pier.local')!;
  const client = identity.pool.findClient(runtime.config.COGNITO_CLIENT_ID)!;
  token = (await identity.pool.issueTokens(user, client, { scope: ['openid', 'pier/orders.read', 'pier/orders.write'], authTime: Math.floor(Date.now() / 1000) })).accessToken;
  receiver = await startReceiver();
}, 120_000);

afterAll(async () => {
  await runtime?.close();
  await receiver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const service = (s: ReadableSpan) => String(s.resource.attributes['service.name']);

describe('one trace per request', () => {
  it('follows POST /orders from the gateway through the service, the outbox relay and the worker to the webhook', async () => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const hook = await fetch(`${gateway}/me/webhook`, { method: 'PUT', headers, body: JSON.stringify({ url: receiver.url, enabled: true }) });
    expect(hook.status).toBe(200);

    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const res = await fetch(`${gateway}/orders`, {
      method: 'POST',
      headers: { ...headers, traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: JSON.stringify({ item: 'sencha', quantity: 1 }),
    });
    expect(res.status).toBe(201);
    const orderId = ((await res.json()) as { id: string }).id;

    // The webhook receiver gets a traceparent of the same trace.
    const call = await waitFor('the webhook', async () => receiver.calls.find((c) => c.body.includes(orderId)));
    expect(call.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const store = getSpanStore()!;
    const spans = await waitFor('the worker span', async () => {
      const s = store.spans(traceId);
      return s.some((x) => x.name === 'process order-events') && s.some((x) => x.name === 'POST webhook') ? s : undefined;
    });
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) => byId.get(s.parentSpanContext?.spanId ?? '');
    const one = (name: string, svc: string) => {
      const found = spans.filter((s) => s.name === name && service(s) === svc);
      expect(found, `${svc} ${name} in ${spans.map((s) => `${service(s)} ${s.name}`).join(', ')}`).toHaveLength(1);
      return found[0]!;
    };

    // Every span of the trace, and the parts it crosses.
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
    expect(new Set(spans.map(service))).toEqual(new Set(['pier-gateway', 'pier-service', 'pier-worker']));

    // gateway: its request span continues the caller's; the authorizer and the integration call are its children.
    const gw = one('POST /orders', 'pier-gateway');
    expect(gw.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(parentOf(one('authorizer', 'pier-gateway'))).toBe(gw);
    const integration = one('POST integration', 'pier-gateway');
    expect(parentOf(integration)).toBe(gw);
    // service: continues the traceparent the gateway's proxy sent; the order's statement beneath it.
    const svc = one('POST /orders', 'pier-service');
    expect(parentOf(svc)).toBe(integration);
    const insert = spans.find((s) => service(s) === 'pier-service' && String(s.attributes['db.query.text'] ?? '').includes('INSERT INTO outbox'));
    expect(insert && parentOf(insert)).toBe(svc);
    // relay: the send continues the context stored with the outbox row.
    const send = one('send order-events', 'pier-service');
    expect(parentOf(send)).toBe(svc);
    // worker: continues the message's traceparent; the notification statement and the webhook POST beneath it.
    const processing = one('process order-events', 'pier-worker');
    expect(parentOf(processing)).toBe(send);
    const notification = spans.find((s) => service(s) === 'pier-worker' && String(s.attributes['db.query.text'] ?? '').includes('INSERT INTO notifications'));
    expect(notification && parentOf(notification)).toBe(processing);
    const post = one('POST webhook', 'pier-worker');
    expect(parentOf(post)).toBe(processing);
    expect(call.headers.traceparent).toBe(`00-${traceId}-${post.spanContext().spanId}-01`);
    // Parent links intact: every span's parent is in the trace, but the gateway's (the caller's, outside it).
    for (const s of spans) if (s !== gw) expect(parentOf(s), `${service(s)} ${s.name}`).toBeDefined();

    // The store's views: OTLP/JSON by resource (service.name), and the trace among the recent ones.
    const otlp = store.getTrace(traceId)!;
    const names = (otlp.resourceSpans as { resource: { attributes: { key: string; value: { stringValue?: string } }[] } }[]).map(
      (r) => r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue,
    );
    expect(new Set(names)).toEqual(new Set(['pier-gateway', 'pier-service', 'pier-worker']));
    expect(JSON.stringify(otlp)).toContain(`"traceId":"${traceId}"`);
    expect(store.recentTraces().find((t) => t.traceId === traceId)).toMatchObject({ spanCount: spans.length, error: false });
    // The console serves the same: the trace among the recent ones, and the trace itself as OTLP/JSON.
    const listed = (await (await fetch(`${runtime.endpoints.console}/api/traces`)).json()) as { available: boolean; traces: { traceId: string; spans: number }[] };
    expect(listed.available).toBe(true);
    expect(listed.traces.find((t) => t.traceId === traceId)).toMatchObject({ spans: spans.length });
    expect(await (await fetch(`${runtime.endpoints.console}/api/traces/${traceId}`)).json()).toEqual(JSON.parse(JSON.stringify(otlp)));
    expect((await fetch(`${runtime.endpoints.console}/api/traces/${'0'.repeat(32)}`)).status).toBe(404);

    // Log lines carry the trace id: the gateway's request line and the service's.
    const traced = lines.filter((l) => l.trace_id === traceId);
    expect(traced.some((l) => l.msg === 'gateway request')).toBe(true);
    expect(traced.every((l) => typeof l.span_id === 'string' && byId.has(l.span_id as string))).toBe(true);
  }, 60_000);

  it('starts a new trace when the caller sends none, and keeps background work out of traces', async () => {
    const before = getSpanStore()!.size.traces;
    const res = await fetch(`${gateway}/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const recent = await waitFor('the trace', async () => getSpanStore()!.recentTraces(5).find((t) => t.name === 'GET /orders'));
    expect(recent.services).toEqual(expect.arrayContaining(['pier-gateway', 'pier-service']));
    expect(getSpanStore()!.size.traces).toBeGreaterThan(before);
  });
});
