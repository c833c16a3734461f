/**
 * GET /me and GET /me/notifications through the local gateway with the real route table, the real authorizer and
 * a real database (PGlite, or PostgreSQL when DATABASE_URL is set): each user sees only their own rows, whatever
 * the request says. Then the same through the esbuild bundles the CDK ships (dist/functions/<name>/index.mjs).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../local/gateway/server.js';
import type { GatewayHandler } from '../local/gateway/lambda.js';
import { bundleFunctions, REPO_ROOT } from '../scripts/bundle-functions.js';
import type { FunctionDeps } from '../src/functions/deps.js';
import { createMeHandler } from '../src/functions/me.js';
import { createNotificationsHandler } from '../src/functions/notifications.js';
import { createLogger } from '../src/log.js';
import { placeOrder } from '../src/orders/repository.js';
import { createTestDb, type TestDb } from './support/db.js';
import { createTestIssuer, type TestIssuer } from './support/tokens.js';

const logger = createLogger({ level: 'silent' });
const A = `user-a-${randomUUID()}`;
const B = `user-b-${randomUUID()}`;

async function addNotification(testDb: TestDb, sub: string, message: string): Promise<void> {
  await testDb.db.query('INSERT INTO notifications (id, user_sub, event_id, event_type, order_id, message) VALUES ($1, $2, $3, $4, NULL, $5)', [
    randomUUID(),
    sub,
    randomUUID(),
    'order.placed',
    message,
  ]);
}

async function startWith(issuer: TestIssuer, functions: Record<string, GatewayHandler>): Promise<RunningGateway> {
  return startGateway({
    logger,
    verifier: issuer.verifier({ cache: { maxEntries: 100 } }),
    functions,
    bodyLimitBytes: 1 << 20,
    lambdaTimeoutMs: 10_000,
    integrationTimeoutMs: 1000,
    webDir: false,
  });
}

describe('Lambda handlers behind the gateway', () => {
  let testDb: TestDb;
  let issuer: TestIssuer;
  let gw: RunningGateway;
  let tokenA: string;
  let tokenB: string;

  const getJson = async (path: string, token?: string) => {
    const res = await fetch(gw.url + path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { items?: { message: string }[]; nextCursor?: string } };
  };

  beforeAll(async () => {
    testDb = await createTestDb();
    issuer = await createTestIssuer();
    for (let i = 0; i < 3; i++) await placeOrder(testDb.db, A, { item: `a-item-${i}`, quantity: 1 });
    await placeOrder(testDb.db, B, { item: 'b-item', quantity: 2 });
    for (let i = 0; i < 5; i++) await addNotification(testDb, A, `for A #${i}`);
    for (let i = 0; i < 2; i++) await addNotification(testDb, B, `for B #${i}`);
    tokenA = issuer.accessToken({ sub: A, username: 'alice', groups: ['admin'], scope: 'openid pier/orders.read' });
    tokenB = issuer.accessToken({ sub: B, username: 'bob', scope: 'pier/orders.read pier/orders.write' });
    const deps: FunctionDeps = { db: testDb.db, logger };
    gw = await startWith(issuer, { me: createMeHandler(deps), notifications: createNotificationsHandler(deps) });
  });

  afterAll(async () => {
    await gw?.close();
    await testDb?.close();
  });

  it("GET /me answers the caller's profile and counts of their own rows only", async () => {
    const a = await getJson('/me', tokenA);
    expect(a.status).toBe(200);
    expect(a.body).toEqual({
      sub: A,
      username: 'alice',
      groups: ['admin'],
      scopes: ['pier/orders.read'],
      tokenUse: 'access',
      counts: { orders: 3, notifications: 5 },
    });
    const b = await getJson('/me', tokenB);
    expect(b.body).toMatchObject({ sub: B, username: 'bob', groups: [], counts: { orders: 1, notifications: 2 } });
  });

  it('ignores any user id in the path, query or body: only the verified sub counts', async () => {
    const res = await fetch(`${gw.url}/me?sub=${B}&userSub=${B}`, { headers: { authorization: `Bearer ${tokenA}`, 'x-user-sub': B } });
    expect(((await res.json()) as { sub: string }).sub).toBe(A);
    const list = await getJson(`/me/notifications?sub=${B}&user_sub=${B}`, tokenA);
    expect(list.body.items!.every((n) => n.message.startsWith('for A'))).toBe(true);
  });

  it('GET /me/notifications lists only their notifications, newest first, a page at a time', async () => {
    const first = await getJson('/me/notifications?limit=2', tokenA);
    expect(first.status).toBe(200);
    expect(first.body.items!.map((n) => n.message)).toEqual(['for A #4', 'for A #3']);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await getJson(`/me/notifications?limit=2&cursor=${first.body.nextCursor}`, tokenA);
    expect(second.body.items!.map((n) => n.message)).toEqual(['for A #2', 'for A #1']);
    const last = await getJson(`/me/notifications?limit=2&cursor=${second.body.nextCursor}`, tokenA);
    expect(last.body.items!.map((n) => n.message)).toEqual(['for A #0']);
    expect(last.body.nextCursor).toBeUndefined();

    const b = await getJson('/me/notifications', tokenB);
    expect(b.body.items!.map((n) => n.message)).toEqual(['for B #1', 'for B #0']);
  });

  it("B cannot page into A's notifications with A's cursor", async () => {
    const first = await getJson('/me/notifications?limit=1', tokenA);
    const b = await getJson(`/me/notifications?cursor=${first.body.nextCursor}`, tokenB);
    expect(b.status).toBe(200);
    expect(b.body.items!.every((n) => n.message.startsWith('for B'))).toBe(true);
  });

  it('answers 400 for a bad limit or cursor', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=1.5', 'limit=1&limit=2']) {
      const res = await getJson(`/me/notifications?${q}`, tokenA);
      expect(res.status, q).toBe(400);
      expect(res.body.code).toBe('LIMIT_INVALID');
    }
    for (const q of ['cursor=nope!', 'cursor=' + Buffer.from('s:abc').toString('base64url'), 'cursor=a&cursor=b']) {
      const res = await getJson(`/me/notifications?${q}`, tokenA);
      expect(res.status, q).toBe(400);
      expect(res.body.code).toBe('CURSOR_INVALID');
    }
  });

  it('keeps the authorizer rules of the route table: no token 401, no read scope 403', async () => {
    expect((await getJson('/me')).status).toBe(401);
    expect((await getJson('/me', issuer.accessToken({ sub: A, scope: 'pier/orders.write' }))).status).toBe(403);
    expect((await getJson('/me/notifications', issuer.idToken({ sub: A }))).status).toBe(403);
  });

  describe('the shipped bundles (esbuild output, not the TS source)', () => {
    // Inside the repository so the bundles' external imports (@aws-sdk/*) resolve from node_modules, as in Lambda.
    const outDir = join(REPO_ROOT, 'dist', `test-functions-${randomBytes(4).toString('hex')}`);
    let bundled: RunningGateway;
    let mods: Record<'me' | 'notifications', Record<string, unknown>>;

    beforeAll(async () => {
      const files = await bundleFunctions({ outDir });
      mods = {} as typeof mods;
      for (const f of files) mods[f.name] = (await import(/* @vite-ignore */ pathToFileURL(f.file).href)) as Record<string, unknown>;
      const deps: FunctionDeps = { db: testDb.db, logger };
      const meFactory = mods.me.createMeHandler as typeof createMeHandler;
      const notificationsFactory = mods.notifications.createNotificationsHandler as typeof createNotificationsHandler;
      bundled = await startWith(issuer, { me: meFactory(deps), notifications: notificationsFactory(deps) });
    }, 60_000);

    afterAll(async () => {
      await bundled?.close();
      await rm(outDir, { recursive: true, force: true });
    });

    it('each bundle is one minified ESM file with a source map, exporting handler', async () => {
      for (const mod of Object.values(mods)) expect(typeof mod.handler).toBe('function');
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(join(outDir, 'me', 'index.mjs'), 'utf8');
      expect(text).toContain('sourceMappingURL=index.mjs.map');
      // Minified: none of the source's comments or long local names survive; ESM: it ends in an export list.
      expect(text).not.toContain('never a path, query or body value');
      expect(text).not.toContain('resolveDeps');
      expect(text).toMatch(/export\s*\{[^}]*handler[^}]*\}\s*;?\s*(\/\/# sourceMappingURL=index\.mjs\.map)?\s*$/);
    });

    it('serves each user their own data through the gateway', async () => {
      const a = await fetch(`${bundled.url}/me`, { headers: { authorization: tokenA } });
      expect(await a.json()).toMatchObject({ sub: A, counts: { orders: 3, notifications: 5 } });
      const b = await fetch(`${bundled.url}/me/notifications?limit=5`, { headers: { authorization: tokenB } });
      const page = (await b.json()) as { items: { message: string }[] };
      expect(page.items.map((n) => n.message)).toEqual(['for B #1', 'for B #0']);
    });

    it("the exported handler builds its own deps from config, as in a Lambda container (DATABASE_URL required)", async () => {
      const saved = { ...process.env };
      Object.assign(process.env, { PIER_ENV: 'test', ENV_FILE: '/nonexistent/.env', DOCKER_SECRETS_DIR: '/nonexistent/secrets', LOG_LEVEL: 'silent' });
      delete process.env.SECRETS_ID;
      if (testDb.url) process.env.DATABASE_URL = testDb.url;
      else delete process.env.DATABASE_URL;
      const lambda = await startWith(issuer, { me: mods.me.handler as GatewayHandler, notifications: mods.notifications.handler as GatewayHandler });
      try {
        const res = await fetch(`${lambda.url}/me`, { headers: { authorization: tokenA } });
        if (testDb.url) {
          // PostgreSQL run: the container's own pool reaches the same rows.
          expect(res.status).toBe(200);
          expect(await res.json()).toMatchObject({ sub: A, counts: { orders: 3, notifications: 5 } });
        } else {
          // Without DATABASE_URL a Lambda cannot reach a database: a ConfigError, which the gateway turns into 500.
          expect(res.status).toBe(500);
          expect(await res.json()).toEqual({ message: 'Internal Server Error' });
        }
      } finally {
        await lambda.close();
        process.env = saved;
      }
    });
  });
});
