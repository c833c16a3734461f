import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { buildService } from '../src/service.js';
import { createTestDb, type TestDb } from './support/db.js';
import { call, testConfig } from './support/orders.js';
import { createTestIssuer, type TestIssuer } from './support/tokens.js';

let t: TestDb;
let app: FastifyInstance;
let base: string;
let issuer: TestIssuer;
let wakeups = 0;

beforeAll(async () => {
  t = await createTestDb();
  issuer = await createTestIssuer();
  app = await buildService({
    config: await testConfig({ WEBHOOK_ALLOW_LOOPBACK: 'false' }),
    logger: createLogger({ level: 'silent' }),
    db: t.db,
    verifier: issuer.verifier(),
    onOrderPlaced: () => void wakeups++,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

const alice = () => issuer.accessToken({ sub: 'alice-sub', username: 'alice' });
const bob = () => issuer.accessToken({ sub: 'bob-sub', username: 'bob' });

describe('POST /orders', () => {
  it('creates an order and its outbox row, and wakes the relay', async () => {
    const before = wakeups;
    const res = await call(base, 'POST', '/orders', { token: alice(), body: { item: 'green tea', quantity: 3, note: 'no sugar' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ item: 'green tea', quantity: 3, note: 'no sugar', status: 'placed' });
    expect(res.headers.get('location')).toBe(`/orders/${res.body.id}`);
    const outbox = await t.db.query<{ user_sub: string }>("SELECT user_sub FROM outbox WHERE payload->'order'->>'id' = $1", [res.body.id]);
    expect(outbox.rows).toEqual([{ user_sub: 'alice-sub' }]);
    expect(wakeups).toBe(before + 1);
  });

  it('honours Idempotency-Key: same body returns the first order, another body is 422', async () => {
    const key = `key-${Date.now()}`;
    const body = { item: 'coffee', quantity: 1 };
    const first = await call(base, 'POST', '/orders', { token: alice(), body, headers: { 'idempotency-key': key } });
    const retries = await Promise.all(
      [1, 2, 3].map(() => call(base, 'POST', '/orders', { token: alice(), body, headers: { 'idempotency-key': key } })),
    );
    expect(first.status).toBe(201);
    for (const r of retries) {
      expect(r.status).toBe(201);
      expect(r.body).toEqual(first.body);
      expect(r.headers.get('idempotent-replayed')).toBe('true');
    }
    const other = await call(base, 'POST', '/orders', { token: alice(), body: { item: 'coffee', quantity: 2 }, headers: { 'idempotency-key': key } });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const n = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE user_sub = 'alice-sub' AND item = 'coffee'");
    expect(n.rows[0]?.n).toBe(1);
    // Bob's identical key is his own.
    expect((await call(base, 'POST', '/orders', { token: bob(), body, headers: { 'idempotency-key': key } })).headers.get('idempotent-replayed')).toBeNull();
  });

  it('creates one order when retries with the same key race each other', async () => {
    const key = `race-${Date.now()}`;
    const body = { item: 'racing', quantity: 4 };
    const all = await Promise.all(Array.from({ length: 6 }, () => call(base, 'POST', '/orders', { token: alice(), body, headers: { 'idempotency-key': key } })));
    expect(all.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(new Set(all.map((r) => r.body.id)).size).toBe(1);
    expect(all.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    const n = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE payload->'order'->>'id' = $1", [all[0]?.body.id]);
    expect(n.rows[0]?.n).toBe(1);
  });

  it.each([
    ['missing item', { quantity: 1 }],
    ['empty item', { item: '', quantity: 1 }],
    ['long item', { item: 'x'.repeat(201), quantity: 1 }],
    ['zero quantity', { item: 'a', quantity: 0 }],
    ['too many', { item: 'a', quantity: 1001 }],
    ['fractional', { item: 'a', quantity: 1.5 }],
    ['string quantity', { item: 'a', quantity: '2' }],
    ['unknown field', { item: 'a', quantity: 1, price: 3 }],
    ['array body', [1, 2]],
    ['null body', null],
  ])('refuses %s with 400 and details', async (_name, body) => {
    const res = await call(base, 'POST', '/orders', { token: alice(), body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.message).toEqual(expect.any(String));
    expect(res.body.details.length).toBeGreaterThan(0);
  });

  it('refuses malformed JSON, a wrong content type and a bad Idempotency-Key with 4xx JSON', async () => {
    const bad = await call(base, 'POST', '/orders', { token: alice(), body: '{"item":', headers: {} });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    const xml = await fetch(`${base}/orders`, { method: 'POST', headers: { authorization: `Bearer ${alice()}`, 'content-type': 'application/xml' }, body: '<a/>' });
    expect(xml.status).toBe(415);
    expect(((await xml.json()) as { code: string }).code).toEqual(expect.any(String));
    const text = await fetch(`${base}/orders`, { method: 'POST', headers: { authorization: `Bearer ${alice()}`, 'content-type': 'text/plain' }, body: 'hi' });
    expect(text.status).toBe(400);
    expect(((await text.json()) as { code: string }).code).toBe('VALIDATION_FAILED');
    const key = await call(base, 'POST', '/orders', { token: alice(), body: { item: 'a', quantity: 1 }, headers: { 'idempotency-key': 'has space' } });
    expect(key.status).toBe(400);
  });
  it('refuses text that could not be stored or sent (NUL, lone surrogates, controls, U+FFFE/U+FFFF) with 400, storing nothing', async () => {
    const before = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE user_sub = 'alice-sub'");
    for (const body of [
      { item: 'a\ud800b', quantity: 1 },
      { item: '\udc00', quantity: 1 },
      { item: 'a\u0000b', quantity: 1 },
      { item: '\uffff\ufffe', quantity: 1 },
      { item: 'tea', quantity: 1, note: 'x\u001by' },
      { item: 'tea', quantity: 1, note: 'a\u0000b' },
    ]) {
      const res = await call(base, 'POST', '/orders', { token: alice(), body });
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status: 400, code: 'VALIDATION_FAILED' });
      expect(JSON.stringify(res.body.details)).toMatch(/control characters/);
    }
    const after = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE user_sub = 'alice-sub'");
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    // Tabs, line breaks, emoji and C1 controls are text SQS accepts: they stay allowed.
    const ok = await call(base, 'POST', '/orders', { token: alice(), body: { item: 'mug ☕\t🧉', quantity: 1, note: 'line 1\nline 2\u0085' } });
    expect(ok.status).toBe(201);
  });
});

describe('auth', () => {
  it('401 without a token or with a bad one, with WWW-Authenticate; 403 without the scope', async () => {
    const none = await call(base, 'GET', '/orders');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 'TOKEN_MISSING', message: expect.any(String) });
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const forged = await call(base, 'GET', '/orders', { token: `${alice()}x` });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain('invalid_token');
    const expired = await call(base, 'GET', '/orders', { token: issuer.accessToken({ sub: 'alice-sub', expiresIn: -60 }) });
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('TOKEN_EXPIRED');
    const readOnly = issuer.accessToken({ sub: 'alice-sub', scope: 'openid pier/orders.read' });
    expect((await call(base, 'GET', '/orders', { token: readOnly })).status).toBe(200);
    const post = await call(base, 'POST', '/orders', { token: readOnly, body: { item: 'a', quantity: 1 } });
    expect(post.status).toBe(403);
    expect(post.body.code).toBe('TOKEN_SCOPE_MISSING');
  });

  it('checks the token before the body', async () => {
    expect((await call(base, 'POST', '/orders', { body: { nonsense: true } })).status).toBe(401);
  });
});

describe('GET /orders and /orders/{id}', () => {
  it("serves only the caller's orders; another user's order is 404; a malformed id 400", async () => {
    const mine = await call(base, 'POST', '/orders', { token: bob(), body: { item: 'bob thing', quantity: 1 } });
    expect((await call(base, 'GET', `/orders/${mine.body.id}`, { token: bob() })).body).toEqual(mine.body);
    const theirs = await call(base, 'GET', `/orders/${mine.body.id}`, { token: alice() });
    expect(theirs.status).toBe(404);
    expect(theirs.body.code).toBe('ORDER_NOT_FOUND');
    const malformed = await call(base, 'GET', '/orders/not-a-uuid', { token: alice() });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('VALIDATION_FAILED');
    const list = await call(base, 'GET', '/orders?limit=100', { token: alice() });
    expect(list.body.items.some((o: { id: string }) => o.id === mine.body.id)).toBe(false);
  });

  it('pages with a cursor, newest first, no gaps or repeats', async () => {
    const token = issuer.accessToken({ sub: `pager-${Date.now()}` });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await call(base, 'POST', '/orders', { token, body: { item: `n${i}`, quantity: 1 } })).body.id);
    const seen: string[] = [];
    let path = '/orders?limit=2';
    for (;;) {
      const page = await call(base, 'GET', path, { token });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((o: { id: string }) => o.id));
      if (!page.body.nextCursor) break;
      path = `/orders?limit=2&cursor=${encodeURIComponent(page.body.nextCursor)}`;
    }
    expect(seen).toEqual(ids.reverse());
    expect((await call(base, 'GET', '/orders?cursor=bogus', { token })).status).toBe(400);
    expect((await call(base, 'GET', '/orders?limit=0', { token })).status).toBe(400);
    expect((await call(base, 'GET', '/orders?limit=abc', { token })).status).toBe(400);
  });
});

describe('PUT /me/webhook', () => {
  it('stores a public https URL and refuses private, loopback and link-local ones', async () => {
    const ok = await call(base, 'PUT', '/me/webhook', { token: alice(), body: { url: 'https://93.184.215.14/hook', enabled: true } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ url: 'https://93.184.215.14/hook', enabled: true });
    for (const url of ['https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://169.254.169.254/latest', 'https://[::1]/x', 'https://[fe80::1]/x', 'https://[::ffff:192.168.0.1]/x', 'https://localhost/x']) {
      const res = await call(base, 'PUT', '/me/webhook', { token: alice(), body: { url, enabled: true } });
      expect(res.status, url).toBe(400);
      expect(res.body.code, url).toBe('WEBHOOK_ADDRESS_REFUSED');
    }
    expect((await call(base, 'PUT', '/me/webhook', { token: alice(), body: { url: 'http://93.184.215.14/x', enabled: true } })).body.code).toBe('WEBHOOK_URL_INVALID');
    expect((await call(base, 'PUT', '/me/webhook', { token: alice(), body: { url: 'https://x.test/', enabled: 'yes' } })).status).toBe(400);
  });
});

describe('OpenAPI', () => {
  it('documents the service routes with their scopes', async () => {
    const doc = (await call(base, 'GET', '/openapi.json')).body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(['/me/webhook', '/orders', '/orders/{id}']);
    expect(doc.paths['/orders'].post.security).toEqual([{ bearerAuth: ['pier/orders.write'] }]);
    expect(doc.paths['/orders'].post.requestBody.content['application/json'].schema.required).toEqual(['item', 'quantity']);
  });
});
