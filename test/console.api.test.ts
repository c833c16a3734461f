/**
 * The local console's JSON API (local/console) against the whole runtime on free ports: parts and health, queue
 * counts, the DLQ listed without consuming it and redriven with the dlq CLI's code, users and secret names, the
 * POST's CSRF defence, the Host check and the security headers. No answer ever holds a password, hash, verifier,
 * token or secret value: a user with a known password and a secret with a known value are made first, and every
 * body is searched for them.
 */
import { request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../local/runtime.js';
import type { IdentityPart } from '../local/identity/index.js';
import { LOCAL_CREDENTIALS } from '../src/config/localCredentials.js';
import { startTestRuntime } from './support/runtime.js';

const PASSWORD = 'Known-Passw0rd-for-console!';
const SECRET_VALUE = 'known-secret-value-7f3a9c';
const EMAIL = 'console.user@example.com';

let dir: string;
let runtime: LocalRuntime;
let consoleUrl: string;
const bodies: string[] = [];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

/** node:http rather than fetch: the Host and Origin headers are set as a hostile page or client would. */
function call(method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(consoleUrl + path, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        bodies.push(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const get = (path: string) => call('GET', path);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-console-api-'));
  runtime = await startTestRuntime(dir);
  consoleUrl = runtime.endpoints.console as string;
  const identity = runtime.parts.find((p) => p.name === 'identity') as IdentityPart;
  await identity.pool.createUser({ email: EMAIL, password: PASSWORD, status: 'CONFIRMED', emailVerified: true });
  const sm = new SecretsManagerClient({ region: runtime.config.AWS_REGION, endpoint: runtime.endpoints.secretsmanager, credentials: LOCAL_CREDENTIALS });
  await sm.send(new CreateSecretCommand({ Name: 'pier/console-test', SecretString: JSON.stringify({ API_KEY: SECRET_VALUE }) }));
  sm.destroy();
}, 60_000);

afterAll(async () => {
  await runtime?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the local console API', () => {
  it('is in endpoints.json, on loopback, with strict security headers and no inline script', async () => {
    expect(consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['access-control-allow-origin']).toBeUndefined();
    // No inline script or handler in the page itself: its code is /console.js.
    expect(page.text).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page.text).not.toMatch(/\son[a-z]+=/i);
    expect((await get('/api/parts')).headers['content-security-policy']).toBe(csp);
  });

  it('lists every part with its health and URL', async () => {
    const { parts } = (await get('/api/parts')).json() as { parts: Array<{ name: string; url: string | null; health: string }> };
    const byName = Object.fromEntries(parts.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['console', 'database', 'gateway', 'identity', 'lambda', 'secretsmanager', 'service', 'sqs', 'worker']);
    for (const name of ['service', 'gateway', 'identity', 'sqs', 'console']) expect(byName[name]?.health, name).toBe('ok');
    for (const name of ['database', 'worker', 'lambda', 'secretsmanager']) expect(byName[name]?.health, name).toBe('running');
    expect(byName.gateway?.url).toBe(runtime.endpoints.gateway);
  });

  it('shows a DLQ message without consuming it, and redrives it with the dlq code behind the CSRF checks', async () => {
    const sqs = new SQSClient({ region: runtime.config.AWS_REGION, endpoint: runtime.endpoints.sqs, credentials: LOCAL_CREDENTIALS });
    const body = '<b>poison</b> {"not":"an order event"}';
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: runtime.endpoints.orderEventsDlqUrl, MessageBody: body }));
    sqs.destroy();

    const counts = async () => {
      const { queues } = (await get('/api/queues')).json() as { queues: Array<{ name: string; visible: number; inFlight: number; delayed: number }> };
      return Object.fromEntries(queues.map((q) => [q.name, q]));
    };
    expect((await counts())['order-events-dlq']).toMatchObject({ visible: 1, inFlight: 0, delayed: 0 });

    for (let i = 0; i < 2; i++) {
      const dlq = (await get('/api/dlq')).json() as { messages: Array<{ id: string; body: string; receives: number }>; error: string | null };
      expect(dlq.error).toBeNull();
      expect(dlq.messages).toEqual([expect.objectContaining({ id: sent.MessageId, body })]);
    }
    // Listed twice, still there and visible.
    expect((await counts())['order-events-dlq']).toMatchObject({ visible: 1, inFlight: 0 });

    const origin = consoleUrl;
    expect((await call('POST', '/api/dlq/redrive', { origin })).status).toBe(403);
    expect((await call('POST', '/api/dlq/redrive', { 'x-pier-console': '1' })).status).toBe(403);
    expect((await call('POST', '/api/dlq/redrive', { 'x-pier-console': '1', origin: 'http://evil.example' })).status).toBe(403);
    expect((await counts())['order-events-dlq']?.visible).toBe(1);

    const started = await call('POST', '/api/dlq/redrive', { 'x-pier-console': '1', origin });
    expect(started.status).toBe(202);
    let job: { state: string; lines: string[] } | undefined;
    await expect
      .poll(async () => {
        job = ((await get('/api/dlq/redrive')).json() as { job: { state: string; lines: string[] } }).job;
        return job.state;
      }, { timeout: 10_000, interval: 100 })
      .toBe('completed');
    expect(job?.lines.join('\n')).toMatch(/COMPLETED: moved 1 of 1/);
    const after = await counts();
    expect(after['order-events-dlq']?.visible).toBe(0);
    // Back on order-events: waiting, or already taken by the worker (which leaves it: it is no order event).
    expect((after['order-events']?.visible ?? 0) + (after['order-events']?.inFlight ?? 0)).toBe(1);
    expect(((await get('/api/dlq')).json() as { messages: unknown[] }).messages).toEqual([]);
  });

  it('lists users without any password material, and secret names without values', async () => {
    const { users } = (await get('/api/users')).json() as { users: Array<Record<string, unknown>> };
    const user = users.find((u) => u.email === EMAIL);
    expect(user).toBeDefined();
    expect(Object.keys(user!).sort()).toEqual(['createdAt', 'email', 'enabled', 'groups', 'status', 'sub']);
    expect(user).toMatchObject({ status: 'CONFIRMED', groups: [], enabled: true });

    const { secrets } = (await get('/api/secrets')).json() as { secrets: Array<Record<string, unknown>> };
    expect(secrets).toContainEqual({ name: 'pier/console-test' });
    for (const s of secrets) expect(Object.keys(s)).toEqual(['name']);
  });

  it('lists recent traces from the span store, and refuses a malformed or unknown trace id with 404', async () => {
    const listed = (await get('/api/traces')).json() as { available: boolean; traces: { traceId: string }[] };
    expect(listed.available).toBe(true);
    for (const t of listed.traces) expect(t.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect((await get('/api/traces/not-a-trace')).status).toBe(404);
    expect((await get(`/api/traces/${'f'.repeat(32)}`)).status).toBe(404);
  });

  it('answers only at its own address (no DNS rebinding)', async () => {
    const res = await call('GET', '/api/users', { host: `evil.example:${new URL(consoleUrl).port}` });
    expect(res.status).toBe(421);
    expect(res.text).not.toContain(EMAIL);
    expect((await call('GET', '/api/health', { host: `localhost:${new URL(consoleUrl).port}` })).status).toBe(200);
  });

  it('never answered with a password, hash, verifier, token or secret value', async () => {
    // Every answer above, plus each API once more.
    for (const path of ['/api/parts', '/api/queues', '/api/dlq', '/api/dlq/redrive', '/api/users', '/api/secrets', '/api/traces', '/']) await get(path);
    const all = bodies.join('\n');
    // The demo account's generated password is in the identity part's start-up notes: shown there, not here.
    const demoPassword = (await readFile(join(dir, 'data', 'identity', 'demo-password.txt'), 'utf8')).trim();
    expect(demoPassword.length).toBeGreaterThan(8);
    expect(all).toContain('demo account: demo@pier.local');
    expect(all, 'the demo password').not.toContain(demoPassword);
    expect(all).toContain(EMAIL);
    for (const forbidden of [PASSWORD, SECRET_VALUE, 'passwordHash', 'srp', 'verifier', 'salt', 'SecretString', 'refreshToken', 'accessToken', 'idToken']) {
      expect(all, forbidden).not.toContain(forbidden);
    }
  });
});
