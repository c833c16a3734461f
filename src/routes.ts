/**
 * The route table: the single source for the CDK API stack (infra/) and the local gateway (local/gateway).
 * Paths use API Gateway's syntax: `{param}` for one segment, `{proxy+}` for the rest of the path.
 */

/** The resource server whose scopes the API checks (Cognito writes them as `pier/orders.read`). */
export const RESOURCE_SERVER_ID = 'pier';

export const API_SCOPES = {
  'orders.read': 'Read your profile, orders and notifications',
  'orders.write': 'Place orders and change your webhook',
} as const;

export type ScopeName = keyof typeof API_SCOPES;
export const scope = (name: ScopeName): string => `${RESOURCE_SERVER_ID}/${name}`;

/** Lambda functions: the name is the key the CDK and the gateway use; `entry` exports `handler`. */
export const FUNCTIONS = {
  me: { entry: 'src/functions/me.ts', description: "The caller's profile with counts of their orders and notifications" },
  notifications: { entry: 'src/functions/notifications.ts', description: "The caller's notifications, newest first" },
} as const;

export type FunctionName = keyof typeof FUNCTIONS;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'ANY';

export type RouteTarget = { kind: 'function'; name: FunctionName } | { kind: 'service' };

export type RouteAuth = { type: 'none' } | { type: 'jwt'; scopes: readonly string[] };

export interface Route {
  method: HttpMethod;
  path: string;
  target: RouteTarget;
  auth: RouteAuth;
}

const fn = (name: FunctionName): RouteTarget => ({ kind: 'function', name });
const service: RouteTarget = { kind: 'service' };
const none: RouteAuth = { type: 'none' };
/** A valid token whose `scope` holds at least one of these (API Gateway's rule); no scopes: any valid token. */
const jwt = (...scopes: ScopeName[]): RouteAuth => ({ type: 'jwt', scopes: scopes.map(scope) });

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/me', target: fn('me'), auth: jwt('orders.read') },
  { method: 'GET', path: '/me/notifications', target: fn('notifications'), auth: jwt('orders.read') },
  { method: 'PUT', path: '/me/webhook', target: service, auth: jwt('orders.write') },
  { method: 'POST', path: '/orders', target: service, auth: jwt('orders.write') },
  { method: 'GET', path: '/orders', target: service, auth: jwt('orders.read') },
  { method: 'GET', path: '/orders/{id}', target: service, auth: jwt('orders.read') },
  { method: 'GET', path: '/healthz', target: service, auth: none },
  { method: 'GET', path: '/openapi.json', target: service, auth: none },
];

/** API Gateway's route key, e.g. `GET /orders/{id}`. */
export const routeKey = (r: Pick<Route, 'method' | 'path'>): string => `${r.method} ${r.path}`;

/**
 * How the HTTP API answers browsers: the CDK API stack's `corsPreflight` and the local gateway both read this.
 * Allowed origins are configuration (CORS_ALLOWED_ORIGINS; the local gateway adds its own origin).
 */
export const CORS_POLICY = {
  allowMethods: [...new Set(ROUTES.map((r) => r.method))].filter((m) => m !== 'ANY').sort(),
  // idempotency-key: the page retries POST /orders safely; x-request-id: callers may correlate logs.
  allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id'],
  exposeHeaders: ['apigw-requestid'],
  maxAgeSeconds: 600,
  allowCredentials: false,
} as const;

/**
 * How each FUNCTIONS entry is bundled for Lambda: `scripts/bundle-functions.ts` (dist/functions/<name>/index.mjs)
 * and the CDK's NodejsFunction (format ESM, minify, sourceMap, target, banner, externalModules) use the same values,
 * so the bundle tested locally is the one that ships.
 */
export const FUNCTION_BUNDLE = {
  platform: 'node',
  // The Node major of every Pier function (infra/lib/functions.ts LAMBDA_RUNTIME; infra/stack.test.ts checks they agree).
  target: 'node24',
  format: 'esm',
  minify: true,
  sourcemap: true,
  // CommonJS dependencies (pg, pino) call require(); an ESM bundle needs one made for it.
  banner: "import { createRequire as __pierCreateRequire } from 'node:module'; const require = __pierCreateRequire(import.meta.url);",
  // The Lambda Node.js 24 runtime ships AWS SDK v3; pg-native is pg's optional native binding, never used.
  external: ['@aws-sdk/*', 'pg-native'],
  // Prefer a package's ESM build when it has one (the CDK stack passes the same).
  mainFields: ['module', 'main'],
} as const;
