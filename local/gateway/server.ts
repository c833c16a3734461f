import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import fastifyStatic from '@fastify/static';
import { SpanKind } from '@opentelemetry/api';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TokenVerifier } from '../../src/auth/types.js';
import type { Logger } from '../../src/log.js';
import { fastifyTimeoutOptions, type ServerTimeouts } from '../../src/serverTimeouts.js';
import { traceFastify } from '../../src/telemetry/http.js';
import { inSpan } from '../../src/telemetry/tracing.js';
import { CORS_POLICY, ROUTES, routeKey, type HttpMethod, type RouteAuth } from '../../src/routes.js';
import { httpUrl } from '../httpUrl.js';
import { createJwtAuthorizer, type AuthorizerDecision } from './authorizer.js';
import { createCors, type CorsPolicy } from './cors.js';
import { buildEventV2 } from './event.js';
import { invokeHandler, lambdaContext, LambdaTimeoutError, type GatewayHandler } from './lambda.js';
import { createServiceProxy, IntegrationError } from './proxy.js';
import { mapResultV2 } from './result.js';
import { DEFAULT_WEB_DIR, hasBuiltPage, isPagePath, pageSecurityHeaders, PLACEHOLDER_PAGE } from './web.js';

/** A route as the gateway reads it: `src/routes.ts`'s `Route`, with any function name (tests add their own). */
export interface GatewayRoute {
  method: HttpMethod;
  path: string;
  target: { kind: 'function'; name: string } | { kind: 'service' };
  auth: RouteAuth;
}

export interface GatewayOptions {
  logger: Logger;
  verifier: TokenVerifier;
  /** Handlers by function name (FUNCTIONS' keys), invoked in this process. */
  functions: Readonly<Record<string, GatewayHandler>>;
  /** Base URL of the service for `service` routes. Unset: those routes answer 503. */
  serviceUrl?: string;
  routes?: readonly GatewayRoute[];
  host?: string;
  port?: number;
  bodyLimitBytes: number;
  lambdaTimeoutMs: number;
  integrationTimeoutMs: number;
  /** Origins besides the gateway's own. */
  corsAllowedOrigins?: readonly string[];
  cors?: CorsPolicy;
  /** The built web page; `false`: none (API only). Default web/dist. */
  webDir?: string | false;
  region?: string;
  /** How long a client may take to send a request, and idle keep-alive time (defaults: `serverTimeoutOptions`). */
  timeouts?: ServerTimeouts;
}

export interface RunningGateway {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'];
const message = (m: string) => ({ message: m });
/**
 * API Gateway's request ids look like `Mc7UVioPPHcEKPA=`. Made from randomUUID (which draws from a cached entropy
 * pool) rather than randomBytes, a syscall per request that showed up in the gateway's profile.
 */
const apigwRequestId = () => Buffer.from(randomUUID().replaceAll('-', '').slice(0, 22), 'hex').toString('base64');

/** `/orders/{id}` -> `/orders/:id`, `/files/{proxy+}` -> `/files/*` (the greedy parameter is Fastify's `*`). */
function fastifyPath(path: string): { url: string; greedy?: string } {
  let greedy: string | undefined;
  const url = path.replace(/\{([^}]+?)(\+?)\}/g, (_, name: string, plus: string) => {
    if (plus) {
      greedy = name;
      return '*';
    }
    return `:${name}`;
  });
  return greedy ? { url, greedy } : { url };
}

declare module 'fastify' {
  interface FastifyRequest {
    authz: AuthorizerDecision | null;
    /** A preflight: its CORS headers are already set. */
    preflight: boolean;
  }
  interface FastifyContextConfig {
    routeKey?: string;
  }
}

/**
 * The local API gateway: an HTTP API built from the route table, with the JWT authorizer, Lambda proxy
 * integrations (payload format 2.0, handlers in this process), HTTP integrations to the service, CORS, and the
 * web page at `/`. See docs/gateway.md.
 */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const routes = opts.routes ?? ROUTES;
  const region = opts.region ?? 'us-east-1';
  const log = opts.logger;
  const authorize = createJwtAuthorizer(opts.verifier);
  const proxy = opts.serviceUrl ? createServiceProxy({ baseUrl: opts.serviceUrl, timeoutMs: opts.integrationTimeoutMs }) : undefined;
  const origins = new Set(opts.corsAllowedOrigins ?? []);
  const cors = createCors(opts.cors ?? CORS_POLICY, () => origins);
  const apiPrefixes = new Set(routes.map((r) => r.path.split('/')[1] ?? ''));
  const webDir = opts.webDir === false ? undefined : (opts.webDir ?? DEFAULT_WEB_DIR);
  const page = webDir !== undefined && hasBuiltPage(webDir) ? webDir : undefined;
  // The page's CSP and other security headers, on the page and its files (the API's responses are left as they are).
  const pageHeaders = pageSecurityHeaders(page);

  for (const r of routes) {
    if (r.target.kind === 'function' && !opts.functions[r.target.name]) {
      throw new Error(`gateway: no handler for function "${r.target.name}" (route ${routeKey(r)})`);
    }
  }

  // Fastify's own default has no request timeout at all: a client declaring more body than it sends held the
  // request open until it gave up. The timeout counts while the request arrives, not while an integration answers.
  const app = Fastify({
    ...fastifyTimeoutOptions(opts.timeouts),
    loggerInstance: log as FastifyBaseLogger,
    // One line per request from onResponse instead (no headers, so no token, in it).
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (pino's redaction makes each one costly): every line names its requestId itself.
    childLoggerFactory: (logger) => logger,
    bodyLimit: opts.bodyLimitBytes,
    exposeHeadRoutes: false,
    genReqId: apigwRequestId,
    routerOptions: { maxParamLength: 2048 },
  });
  // A SERVER span per request (pier-gateway), continuing an incoming `traceparent` (docs/observability.md).
  traceFastify(app, 'gateway');
  app.decorateRequest('authz', null);
  app.decorateRequest('preflight', false);
  // Bodies reach integrations as the exact bytes sent, whatever their type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Callback-style hooks: they run on every request, and an async hook costs a promise and a microtask each.
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('apigw-requestid', req.id);
    const origin = req.headers.origin;
    if (origin !== undefined && !req.preflight) {
      // With CORS configured, API Gateway answers for CORS: the integration's own headers are dropped.
      for (const name of Object.keys(reply.getHeaders())) if (name.startsWith('access-control-')) reply.removeHeader(name);
      reply.headers(cors.response(origin));
    }
    done(null, payload);
  });
  const logRequests = log.isLevelEnabled('info');
  app.addHook('onResponse', (req, reply, done) => {
    if (logRequests) {
      log.info(
        { requestId: req.id, method: req.method, route: req.routeOptions.config?.routeKey, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        'gateway request',
      );
    }
    done();
  });

  app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err.statusCode === 413) return reply.code(413).send(message('Request Entity Too Large'));
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return reply.code(400).send(message('Bad Request'));
    req.log.error({ err, requestId: req.id }, 'gateway failure');
    return reply.code(500).send(message('Internal Server Error'));
  });

  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    if ((req.method === 'GET' || req.method === 'HEAD') && isPagePath(path, apiPrefixes)) {
      if (page) return reply.type('text/html; charset=utf-8').sendFile('index.html');
      return reply.type('text/html; charset=utf-8').headers(pageHeaders()).send(PLACEHOLDER_PAGE);
    }
    return reply.code(404).send(message('Not Found'));
  });

  if (page) await app.register(fastifyStatic, { root: page, wildcard: true, index: 'index.html', setHeaders: (reply) => reply.headers(pageHeaders()) });
  else app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').headers(pageHeaders()).send(PLACEHOLDER_PAGE));

  // Preflight: answered here, before any route's authorizer, as an HTTP API with CORS configured does.
  app.options('*', async (req, reply) => {
    if (req.headers.origin === undefined || req.headers['access-control-request-method'] === undefined) {
      return reply.code(404).send(message('Not Found'));
    }
    req.preflight = true;
    return reply.code(204).headers(cors.preflight(req.headers.origin)).send();
  });

  const deny = (reply: FastifyReply, d: Extract<AuthorizerDecision, { allow: false }>) =>
    reply.code(d.statusCode).header('www-authenticate', d.wwwAuthenticate).send(message(d.message));

  for (const route of routes) {
    const key = routeKey(route);
    const { url, greedy } = fastifyPath(route.path);
    const params = (req: FastifyRequest): Record<string, string> | undefined => {
      const p = { ...(req.params as Record<string, string>) };
      if (greedy !== undefined && '*' in p) {
        p[greedy] = p['*']!;
        delete p['*'];
      }
      return Object.keys(p).length ? p : undefined;
    };
    const target = route.target;
    const handler =
      target.kind === 'function'
        ? async (req: FastifyRequest, reply: FastifyReply) => {
            const fn = opts.functions[target.name]!;
            const event = buildEventV2({
              method: req.method,
              url: req.url,
              rawHeaders: req.raw.rawHeaders,
              body: req.body as Buffer | undefined,
              routeKey: key,
              pathParameters: params(req),
              sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
              httpVersion: req.raw.httpVersion,
              requestId: req.id,
              ...(req.authz?.allow && route.auth.type === 'jwt' ? { jwt: { claims: req.authz.claims, scopes: req.authz.scopes } } : {}),
            });
            const context = lambdaContext(`pier-${target.name}`, opts.lambdaTimeoutMs, region);
            let mapped;
            try {
              // The function's own span (pier-functions), as the Lambda runtime's would be in AWS.
              const result = await inSpan('functions', context.functionName, { kind: SpanKind.SERVER, attributes: { 'faas.name': context.functionName, 'faas.invocation_id': context.awsRequestId } }, () =>
                invokeHandler(fn, event, context, opts.lambdaTimeoutMs),
              );
              mapped = mapResultV2(result);
            } catch (err) {
              const timedOut = err instanceof LambdaTimeoutError;
              req.log.error({ err, requestId: req.id, function: target.name, timedOut }, timedOut ? 'lambda timed out' : 'lambda failed');
              return reply.code(500).send(message('Internal Server Error'));
            }
            reply.code(mapped.statusCode).headers(mapped.headers);
            return mapped.body.length ? reply.send(mapped.body) : reply.send();
          }
        : async (req: FastifyRequest, reply: FastifyReply) => {
            if (!proxy) return reply.code(503).send(message('Service Unavailable'));
            try {
              const res = await proxy.forward({
                method: req.method,
                url: req.url,
                headers: req.headers,
                body: req.body as Buffer | undefined,
                sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
                requestId: req.id,
                proto: 'http',
                port: String(req.socket.localPort ?? ''),
              });
              reply.code(res.statusCode).headers(res.headers);
              return res.body.length ? reply.send(res.body) : reply.send();
            } catch (err) {
              const timeout = err instanceof IntegrationError && err.code === 'INTEGRATION_TIMEOUT';
              req.log.error({ err, requestId: req.id }, timeout ? 'service timed out' : 'service unreachable');
              return timeout ? reply.code(504).send(message('Gateway Timeout')) : reply.code(503).send(message('Service Unavailable'));
            }
          };
    app.route({
      method: route.method === 'ANY' ? ALL_METHODS.filter((m) => m !== 'OPTIONS') : route.method,
      url,
      config: { routeKey: key },
      // The authorizer runs before the body is read: a refused request costs no upload and reaches no backend.
      ...(route.auth.type === 'jwt'
        ? {
            onRequest: async (req: FastifyRequest, reply: FastifyReply) => {
              const decision = await inSpan('gateway', 'authorizer', { attributes: { 'http.route': route.path } }, async (span) => {
                const d = await authorize(req.headers.authorization, route.auth);
                span.setAttribute('pier.authorizer.allow', d.allow);
                if (!d.allow) span.setAttribute('pier.authorizer.code', d.code);
                return d;
              });
              if (!decision.allow) {
                // The caller's fault is routine (info); keys that cannot be fetched are ours to fix (error).
                const level = decision.code === 'JWKS_UNAVAILABLE' ? 'error' : 'info';
                req.log[level]({ requestId: req.id, route: key, code: decision.code }, 'authorizer refused');
                return deny(reply, decision);
              }
              req.authz = decision;
            },
          }
        : {}),
      handler,
    });
  }

  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  const url = httpUrl(host, port);
  origins.add(url);
  if (host === '127.0.0.1' || host === '0.0.0.0') origins.add(`http://localhost:${port}`);
  return {
    url,
    app,
    async close() {
      await app.close();
      proxy?.close();
    },
  };
}
