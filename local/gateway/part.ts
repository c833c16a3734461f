import { tokenVerifierFromConfig } from '../../src/auth/verifier.js';
import type { TokenVerifier } from '../../src/auth/types.js';
import type { Config } from '../../src/config/index.js';
import type { Queryable } from '../../src/db/types.js';
import { createHandlers } from '../../src/functions/index.js';
import type { Logger } from '../../src/log.js';
import { ROUTES } from '../../src/routes.js';
import { traceQueryable } from '../../src/telemetry/db.js';
import type { RunningPart } from '../part.js';
import { startGateway, type RunningGateway } from './server.js';

export interface GatewayPartOptions {
  config: Config;
  logger: Logger;
  /** The runner's one Db, shared with the service and worker (PGlite has a single owner). */
  db: Queryable;
  /** The service's base URL (HTTP integration). */
  serviceUrl: string;
  /** Default: the deployment's verifier from config (COGNITO_JWKS_URL points at the identity stand-in). */
  verifier?: TokenVerifier;
  webDir?: string | false;
}

/**
 * The `gateway` part of `npm start`: the API and the web page on GATEWAY_PORT. Its URL is both `gateway` and `web`
 * in endpoints.json. Lambda handlers run in this process with the runner's Db.
 */
export async function startGatewayPart(opts: GatewayPartOptions): Promise<RunningPart & { url: string; gateway: RunningGateway }> {
  const { config } = opts;
  const logger = opts.logger;
  // The functions' statements get spans under their invocation's (pier-functions).
  const handlers = createHandlers({ db: traceQueryable(opts.db, 'functions'), logger: logger.child({ lambda: true }) });
  const gateway = await startGateway({
    logger,
    verifier: opts.verifier ?? tokenVerifierFromConfig(config),
    functions: handlers,
    serviceUrl: opts.serviceUrl,
    host: config.LOCAL_HOST,
    port: config.GATEWAY_PORT,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    lambdaTimeoutMs: config.LAMBDA_TIMEOUT_MS,
    integrationTimeoutMs: config.GATEWAY_INTEGRATION_TIMEOUT_MS,
    corsAllowedOrigins: config.CORS_ALLOWED_ORIGINS,
    region: config.AWS_REGION,
    ...(opts.webDir !== undefined ? { webDir: opts.webDir } : {}),
  });
  const fns = ROUTES.filter((r) => r.target.kind === 'function').length;
  return {
    name: 'gateway',
    url: gateway.url,
    gateway,
    settings: { web: gateway.url },
    notes: [`API (${ROUTES.length} routes: ${fns} Lambda, ${ROUTES.length - fns} service) and the web page`],
    close: () => gateway.close(),
  };
}
