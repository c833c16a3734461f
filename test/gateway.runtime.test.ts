/**
 * The gateway inside `npm start` (the whole local runtime, free ports, a temp data folder): its base URL is
 * `gateway` and `web` in endpoints.json, and every route of the route table answers there with a token from the
 * identity stand-in, the Lambda routes from the runner's one database, the service routes through the proxy.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WEB_DIR } from '../local/gateway/web.js';
import type { IdentityPart } from '../local/identity/index.js';
import type { LocalRuntime } from '../local/runtime.js';
import { ROUTES, routeKey } from '../src/routes.js';
import { readEndpoints, startTestRuntime } from './support/runtime.js';

let dir: string;
let runtime: LocalRuntime;
let gateway: string;
let token: string;

const call = async (method: string, path: string, body?: unknown, auth = true) => {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(gateway + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: (text.startsWith('{') ? JSON.parse(text) : text) as Record<string, unknown> };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-gateway-runtime-'));
  runtime = await startTestRuntime(dir);
  gateway = runtime.endpoints.gateway!;
  // The tokens the hosted login would give the page (authorization code flow with the API's scopes), issued by
  // the identity stand-in's own pool and key.
  const identity = runtime.parts.find((p) => p.name === 'identity') as IdentityPart;
  const user = identity.pool.findUser('demo@pier.local')!;
  const client = identity.pool.findClient(runtime.config.COGNITO_CLIENT_ID)!;
  const tokens = await identity.pool.issueTokens(user, client, { scope: ['openid', 'email', 'pier/orders.read', 'pier/orders.write'], authTime: Math.floor(Date.now() / 1000) });
  token = tokens.accessToken;
}, 120_000);

afterAll(async () => {
  await runtime?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the gateway in the local runtime', () => {
  it('is `gateway` and `web` in endpoints.json, and its port is a callback of the page client', async () => {
    const endpoints = await readEndpoints(dir);
    expect(endpoints.gateway).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints.web).toBe(endpoints.gateway);
    const identity = runtime.parts.find((p) => p.name === 'identity') as IdentityPart;
    expect(identity.pool.findClient(runtime.config.COGNITO_CLIENT_ID)?.callbackUrls).toContain(`${endpoints.gateway}/callback`);
    const page = await fetch(`${gateway}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    if (existsSync(join(DEFAULT_WEB_DIR, 'index.html'))) {
      // The built page, with this run's settings beside it.
      expect(html).not.toMatch(/isn't built/);
      const config = (await (await fetch(`${gateway}/config.json`)).json()) as Record<string, string>;
      expect(config).toMatchObject({ apiUrl: gateway, identityDomain: endpoints.identity, clientId: runtime.config.COGNITO_CLIENT_ID, redirectUri: `${gateway}/callback` });
      expect(await (await fetch(`${gateway}/callback?code=x&state=y`)).text()).toBe(html);
    } else {
      expect(html).toMatch(/isn't built/);
    }
  });

  it('answers every route of the route table', async () => {
    const order = await call('POST', '/orders', { item: 'tea', quantity: 2 });
    expect(order.status).toBe(201);
    const id = (order.body.order as { id: string } | undefined)?.id ?? (order.body.id as string);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const seen = new Set<string>();
    const expectStatus = async (method: string, path: string, status: number, body?: unknown, auth = true) => {
      const res = await call(method, path, body, auth);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
      return res.body;
    };
    const me = await expectStatus('GET', '/me', 200);
    expect(me).toMatchObject({ username: expect.any(String), counts: { orders: 1 } });
    seen.add('GET /me');
    const list = await expectStatus('GET', '/me/notifications?limit=5', 200);
    expect(list.items).toEqual(expect.any(Array));
    seen.add('GET /me/notifications');
    await expectStatus('PUT', '/me/webhook', 200, { url: 'http://127.0.0.1:9/hook', enabled: false });
    seen.add('PUT /me/webhook');
    seen.add('POST /orders');
    const orders = await expectStatus('GET', '/orders', 200);
    expect((orders.items as { id: string }[]).map((o) => o.id)).toContain(id);
    seen.add('GET /orders');
    expect(await expectStatus('GET', `/orders/${id}`, 200)).toMatchObject({ id });
    seen.add('GET /orders/{id}');
    await expectStatus('GET', '/healthz', 200, undefined, false);
    seen.add('GET /healthz');
    expect(await expectStatus('GET', '/openapi.json', 200, undefined, false)).toHaveProperty('openapi');
    seen.add('GET /openapi.json');

    // Every route was exercised (a route added to the table must be added here).
    expect([...seen].sort()).toEqual(ROUTES.map(routeKey).sort());
    // And every JWT route is behind the authorizer.
    for (const r of ROUTES.filter((x) => x.auth.type === 'jwt')) {
      const res = await call(r.method, r.path.replace('{id}', id), r.method === 'GET' ? undefined : {}, false);
      expect(res.status, routeKey(r)).toBe(401);
    }
  });
});
