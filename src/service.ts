import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config/index.js';
import type { Logger } from './log.js';

export interface ServiceDeps {
  config: Config;
  logger: Logger;
}

/**
 * The ECS service's HTTP app. `/healthz` answers as long as the process runs (the container HEALTHCHECK and the
 * ALB use it); `/readyz` answers once the app is built, which happens only after config has loaded.
 */
export async function buildService(deps: ServiceDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    genReqId: (req) => (req.headers['x-request-id'] as string | undefined) ?? crypto.randomUUID(),
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => ({ status: 'ready' }));
  return app;
}
