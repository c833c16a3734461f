import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { TokenVerifier } from './auth/index.js';
import type { Config } from './config/index.js';
import type { Db } from './db/index.js';
import type { Logger } from './log.js';
import { registerWebhookRoutes } from './notifications/routes.js';
import { ApiError } from './http.js';
import { registerOrderRoutes } from './orders/routes.js';
import { fastifyTimeoutOptions, type ServerTimeouts } from './serverTimeouts.js';
import { traceFastify } from './telemetry/http.js';
import { API_SCOPES, scope, type ScopeName } from './routes.js';

export interface ServiceDeps {
  config: Config;
  logger: Logger;
  /** The API routes need both; without them only the health checks and the OpenAPI document are served. */
  db?: Db;
  verifier?: TokenVerifier;
  /** Wakes the outbox relay after an order commits. */
  onOrderPlaced?: () => void;
  /** Answers /readyz: false while draining, so load balancers stop sending. */
  isReady?: () => boolean;
  /**
   * How long a client may take to send a request, and idle keep-alive time (defaults: `serverTimeoutOptions`). The
   * default keep-alive (65 s) outlasts the ALB's 60 s idle timeout, as AWS asks of targets
   * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout).
   */
  timeouts?: ServerTimeouts;
}

/**
 * The ECS service's HTTP app. `/healthz` answers as long as the process runs (the container HEALTHCHECK and the
 * ALB use it); `/readyz` answers once the app is built, which happens only after config has loaded.
 * Every error is JSON `{ message, code }` with a 4xx for anything the caller got wrong; zod validates inputs in
 * the handlers (the JSON schemas on the routes exist for the OpenAPI document only).
 */
export async function buildService(deps: ServiceDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    ...fastifyTimeoutOptions(deps.timeouts),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : crypto.randomUUID();
    },
    // Closing waits for in-flight requests but tells keep-alive clients to go elsewhere.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  // A SERVER span per request (pier-service), continuing the gateway's `traceparent` (docs/observability.md).
  traceFastify(app, 'service');
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    if (err instanceof ApiError) {
      return reply.code(err.statusCode).send({ message: err.message, code: err.code, ...(err.details ? { details: err.details } : {}) });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status < 500) {
      // Fastify's own refusals (bad JSON, wrong content type, body too large): clear 4xx, stable code.
      return reply.code(status).send({ message: err.message, code: err.code ?? 'BAD_REQUEST' });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ message: 'internal error', code: 'INTERNAL' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ message: `no route for ${req.method} ${req.url.split('?')[0]}`, code: 'NOT_FOUND' }));

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Pier service API', version: '1.0.0', description: 'Orders and webhook settings. Tokens are Cognito access tokens.' },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: `Cognito access token; scopes: ${(Object.keys(API_SCOPES) as ScopeName[]).map(scope).join(', ')}`,
          },
        },
      },
    },
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) =>
    deps.isReady && !deps.isReady() ? reply.code(503).send({ status: 'draining' }) : { status: 'ready' },
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (deps.db && deps.verifier) {
    registerOrderRoutes(app, { db: deps.db, verifier: deps.verifier, ...(deps.onOrderPlaced ? { onOrderPlaced: deps.onOrderPlaced } : {}) });
    registerWebhookRoutes(app, { db: deps.db, verifier: deps.verifier, allowLoopback: deps.config.WEBHOOK_ALLOW_LOOPBACK });
  }
  await app.ready();
  return app;
}
