import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { Logger } from '../../src/log.js';
import { fastifyTimeoutOptions, type ServerTimeouts } from '../../src/serverTimeouts.js';
import { httpUrl } from '../httpUrl.js';
import type { RunningPart } from '../part.js';
import { AMZ_JSON, registerUserPoolApi } from './api.js';
import { loadOrCreateSigningKey } from './keys.js';
import { registerOAuth } from './oauth.js';
import { registerPages } from './pages.js';
import { html, page, sendHtml } from './html.js';
import { generatePassword } from './password.js';
import { UserPool, type AppClient, type CodeDelivery } from './pool.js';
import { RateLimiter } from './rateLimit.js';
import { StateFile } from './store.js';

export interface IdentityOptions {
  /** Folder for the signing key and the pool's state (e.g. `.pier/identity`); created with mode 0700. */
  dataDir: string;
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  /** Region-style id, e.g. `us-east-1_PierLocal1`; the issuer's region is taken from it, as in Cognito. */
  userPoolId: string;
  clients: AppClient[];
  logger: Logger;
  /** Receives every code Cognito would e-mail (tests read codes here; they are also logged). */
  onCode?: (delivery: CodeDelivery) => void;
  tokenTtlSeconds?: number;
  refreshTtlSeconds?: number;
  maxFailedAttempts?: number;
  lockoutSeconds?: number;
  /** Codes sent to one user per hour (sign-up, resend, forgotten password). Default 5. */
  maxCodesPerHour?: number;
  /** Requests per second one address may make to the API, the token endpoint and the login forms. Default 200. */
  requestsPerSecond?: number;
  /** Account created on a fresh data folder; `false` for none. Default `demo@pier.local`. */
  demoUser?: { email: string } | false;
  /** How long a client may take to send a request, and idle keep-alive time (defaults: `serverTimeoutOptions`). */
  timeouts?: ServerTimeouts;
}

export interface IdentityPart extends RunningPart {
  url: string;
  /** `issuer` is `<url>/<userPoolId>`, the `iss` of every token; `jwksUrl` is `<issuer>/.well-known/jwks.json`. */
  settings: { issuer: string; userPoolId: string; clientId: string; jwksUrl: string };
  pool: UserPool;
  /** Registers or replaces an app client (e.g. once the gateway knows its port). */
  setClient(client: AppClient): void;
}

const DEMO_PASSWORD_FILE = 'demo-password.txt';
// Browsers (the web page's PKCE exchange, Amplify) call these cross-origin, as they may call Cognito's.
const CORS_PATHS = /^\/(oauth2\/(token|revoke|userInfo)|([^/]+\/)?\.well-known\/.*)?$/;

/**
 * The local Cognito stand-in: user-pool API, hosted login pages, OAuth 2.0 endpoints and JWKS on one Fastify
 * server, with keys and users persisted in `dataDir`.
 */
export async function startIdentity(opts: IdentityOptions): Promise<IdentityPart> {
  const logger = opts.logger;
  const key = await loadOrCreateSigningKey(opts.dataDir);
  const file = await StateFile.open(opts.dataDir);
  const pool = new UserPool({
    userPoolId: opts.userPoolId,
    clients: opts.clients,
    key,
    file,
    logger,
    ...(opts.onCode ? { onCode: opts.onCode } : {}),
    tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600,
    refreshTtlSeconds: opts.refreshTtlSeconds ?? 30 * 24 * 3600,
    maxFailedAttempts: opts.maxFailedAttempts ?? 5,
    lockoutSeconds: opts.lockoutSeconds ?? 15 * 60,
    maxCodesPerHour: opts.maxCodesPerHour ?? 5,
  });

  const notes: string[] = [];
  const demo = opts.demoUser === undefined ? { email: 'demo@pier.local' } : opts.demoUser;
  if (demo) notes.push(...(await ensureDemoUser(pool, file.fresh, opts.dataDir, demo.email)));

  // Fastify's own default has no request timeout at all: a client declaring more body than it sends held the
  // request open until it gave up. Fastify sets requestTimeout and keepAliveTimeout on the server itself.
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    ...fastifyTimeoutOptions(opts.timeouts),
  });
  // Log the path only: query strings here carry state, codes and challenges.
  app.addHook('onResponse', async (req, reply) => {
    req.log.debug({ method: req.method, path: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'identity request');
  });
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (!req.headers.origin || !CORS_PATHS.test(path)) return;
    reply.header('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      // No Authorization on the user-pool API: a web page cannot make a signed (admin) call cross-origin.
      const headers = path === '/' ? 'content-type, x-amz-target, x-amz-user-agent, amz-sdk-invocation-id, amz-sdk-request, cache-control' : 'content-type, authorization';
      return reply.code(204).header('access-control-allow-methods', 'GET, POST').header('access-control-allow-headers', headers).header('access-control-max-age', '600').send();
    }
  });
  // Only POSTs are limited: they are what checks passwords, sends codes and issues tokens.
  const limiter = new RateLimiter(opts.requestsPerSecond ?? 200);
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'POST' || limiter.take(req.ip)) return;
    req.log.warn({ path: req.url.split('?')[0] }, 'identity: rate limit reached');
    if (req.url === '/') return reply.code(400).header('x-amzn-errortype', 'TooManyRequestsException:').type(AMZ_JSON).send(JSON.stringify({ __type: 'TooManyRequestsException', message: 'Too many requests' }));
    return reply.code(429).header('retry-after', '1').send({ error: 'too_many_requests', error_description: 'Too many requests; try again in a second.' });
  });
  await app.register(formbody);
  let baseUrl = '';
  registerUserPoolApi(app, pool, () => baseUrl);
  registerOAuth(app, pool, () => baseUrl);
  registerPages(app, pool);
  app.get('/health', async () => ({ status: 'ok', userPoolId: pool.userPoolId }));
  // Someone who opens the bare URL learns where sign-in really starts.
  app.get('/', async (_req, reply) =>
    sendHtml(reply, 200, page('Local identity', html`<p>This is Pier's local stand-in for Amazon Cognito (user pool <code>${pool.userPoolId}</code>).</p><p>Sign in from the app: it sends you here with the right parameters.</p><nav><a href="/${pool.userPoolId}/.well-known/openid-configuration">OpenID configuration</a><a href="/${pool.userPoolId}/.well-known/jwks.json">JWKS</a></nav>`)),
  );
  // Browsers ask every origin for /favicon.ico; a 404 there shows as an error in the hosted login's console.
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());
  app.options('/*', async (_req, reply) => reply.code(404).send());

  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : (opts.host ?? '127.0.0.1');
  baseUrl = httpUrl(host, port);
  // The issuer is where the pool is served (OIDC discovery: the document at `<issuer>/.well-known/openid-configuration`
  // names that issuer, and so does every token), not Cognito's https URL: see "Issuer" in docs/identity.md.
  pool.useIssuer(`${baseUrl}/${pool.userPoolId}`);
  logger.info({ url: baseUrl, userPoolId: pool.userPoolId, users: pool.listUsers().length }, 'identity: listening');

  const mainClient = opts.clients[0]?.clientId ?? '';
  return {
    name: 'identity',
    url: baseUrl,
    pool,
    settings: { issuer: pool.issuer, userPoolId: pool.userPoolId, clientId: mainClient, jwksUrl: `${pool.issuer}/.well-known/jwks.json` },
    notes,
    setClient: (client) => pool.setClient(client),
    close: async () => {
      await app.close();
      await file.save();
    },
  };
}

/**
 * A fresh data folder gets a confirmed demo account with a generated password, kept (0600) beside the state so it
 * can be shown at every start. Deleting the file stops it being shown.
 */
async function ensureDemoUser(pool: UserPool, fresh: boolean, dir: string, email: string): Promise<string[]> {
  const path = join(dir, DEMO_PASSWORD_FILE);
  if (fresh && !pool.findUser(email)) {
    const password = generatePassword();
    await pool.createUser({ email, password, status: 'CONFIRMED', emailVerified: true });
    await writeFile(path, password + '\n', { mode: 0o600 });
  }
  const user = pool.findUser(email);
  if (!user) return [];
  const password = await readFile(path, 'utf8').then((s) => s.trim(), () => undefined);
  return [password ? `demo account: ${email}  password: ${password}` : `demo account: ${email}`, 'users: npm run users -- list | add <email> | remove <email>'];
}
