import { mkdir } from 'node:fs/promises';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { join, resolve } from 'node:path';
import { loadConfig, type Config, type LoadOptions } from '../src/config/index.js';
import { LOCAL_CREDENTIALS } from '../src/config/localCredentials.js';
import { writeFileAtomic } from '../src/fsAtomic.js';
import type { Logger } from '../src/log.js';
import { openDb } from '../src/db/index.js';
import { refuseLoopbackPorts } from '../src/notifications/address.js';
import { createRotationHandler } from '../src/notifications/rotateSigningKey.js';
import { loadOrCreateSigningKey } from '../src/notifications/signingKey.js';
import { runService, runWorker } from '../src/roles.js';
import { getSpanStore, initTracing } from '../src/telemetry/tracing.js';
import { preparePageDir, webConfigFromEndpoints, writeWebConfig } from '../scripts/web-config.js';
import { lockDataDir } from './dataDirLock.js';
import { startConsole } from './console/server.js';
import { startGatewayPart } from './gateway/part.js';
import { DEFAULT_WEB_DIR } from './gateway/web.js';
import { gatewayClient, startIdentity } from './identity/index.js';
import { startLambdaInvoke } from './lambda/index.js';
import type { RunningPart } from './part.js';
import { startSecretsManager } from './secretsmanager/index.js';
import { startSqs } from './sqs/index.js';

/** The webhook signing key's rotation function in the local Lambda Invoke stand-in (pier-<env>-webhook-key-rotation in AWS). */
export const LOCAL_ROTATION_FUNCTION = 'pier-local-webhook-key-rotation';

export interface LocalRuntimeOptions extends LoadOptions {
  logger: Logger;
}

export interface LocalRuntime {
  config: Config;
  dataDir: string;
  parts: RunningPart[];
  /** What `.pier/endpoints.json` holds: base URLs by part name, plus plain client settings. */
  endpoints: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the whole system on one machine: first the stand-ins for AWS (they decide the URLs), then Pier's own
 * roles configured to use them, then writes `endpoints.json` so scripts and tests can find everything.
 * Everything runs in this one process so the embedded database has a single owner.
 */
export async function startLocalRuntime(opts: LocalRuntimeOptions): Promise<LocalRuntime> {
  const { logger } = opts;
  // Tracing for every part in this process, kept in the span store (getSpanStore); docs/observability.md.
  initTracing({ resource: { 'deployment.environment.name': 'local' } });
  // Plain settings (ports, data folder) first; a SECRETS_ID is read once its local endpoint is up (below).
  const base = await loadConfig({ ...opts, skipSecretsManager: true });
  const dataDir = resolve(opts.cwd ?? process.cwd(), base.DATA_DIR);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // One owner per data folder: a second runtime on it (other ports, same DATA_DIR) is refused, not left to corrupt it.
  const lock = await lockDataDir(dataDir);

  const parts: RunningPart[] = [];
  let releaseOwnPorts: (() => void) | undefined;
  const closeAll = async () => {
    // Reverse order: roles stop before the stand-ins they talk to.
    for (const part of parts.splice(0).reverse()) {
      await part.close().catch((err: Error) => logger.error({ err, part: part.name }, 'failed to stop cleanly'));
    }
    releaseOwnPorts?.();
    await lock.release();
  };

  try {
    // --- stand-ins for AWS: each decides its URL, and `overrides` points the roles at it ----------------------
    const overrides: Record<string, string | undefined> = { ...opts.overrides };

    // Rotation, rehearsed as in AWS: RotateSecret on the Secrets Manager stand-in invokes the webhook signing key's
    // rotation function (the one the CDK deploys) through this Lambda Invoke stand-in, which calls back into Secrets
    // Manager (its client is made once the stand-in below has its URL).
    let rotationClient: SecretsManagerClient | undefined;
    let secretsmanagerUrl = '';
    const lambda = await startLambdaInvoke({
      host: base.LOCAL_HOST,
      port: 0,
      functions: {
        [LOCAL_ROTATION_FUNCTION]: createRotationHandler(() => (rotationClient ??= new SecretsManagerClient({ region: base.AWS_REGION, endpoint: secretsmanagerUrl, credentials: LOCAL_CREDENTIALS }))),
      },
      logger: logger.child({ part: 'lambda' }),
    });
    parts.push({
      ...lambda,
      notes: [`rotation function ${LOCAL_ROTATION_FUNCTION} for RotateSecret (docs/secrets.md)`],
      close: async () => {
        rotationClient?.destroy();
        await lambda.close();
      },
    });
    const secretsmanager = await startSecretsManager({
      host: base.LOCAL_HOST,
      port: base.SECRETSMANAGER_PORT,
      dataDir,
      region: base.AWS_REGION,
      logger: logger.child({ part: 'secretsmanager' }),
      lambdaEndpoint: lambda.url,
    });
    secretsmanagerUrl = secretsmanager.url as string;
    parts.push(secretsmanager);
    // With SECRETS_ID set, the roles read it from the stand-in, unless an endpoint was configured explicitly.
    if (!base.SECRETSMANAGER_ENDPOINT) overrides.SECRETSMANAGER_ENDPOINT = secretsmanager.url;

    const sqs = await startSqs({
      host: base.LOCAL_HOST,
      port: base.SQS_PORT,
      dataDir,
      region: base.AWS_REGION,
      logger: logger.child({ part: 'sqs' }),
    });
    parts.push(sqs);
    // The order-events queue and its dead-letter queue; the redrive policy follows the setting on every start.
    const orderEventsDlqUrl = await sqs.ensureQueue('order-events-dlq');
    const orderEventsQueueUrl = await sqs.ensureQueue('order-events', {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn('order-events-dlq'), maxReceiveCount: base.ORDER_EVENTS_MAX_RECEIVE_COUNT }),
    });
    sqs.settings = { orderEventsQueueUrl, orderEventsDlqUrl };
    sqs.notes = [`queues: order-events (dead letters after ${base.ORDER_EVENTS_MAX_RECEIVE_COUNT} receives) and order-events-dlq; npm run dlq -- list`];
    // Unless an SQS endpoint was configured explicitly, the roles use the stand-in's queues.
    if (!base.SQS_ENDPOINT) {
      overrides.SQS_ENDPOINT = sqs.url;
      overrides.ORDER_EVENTS_QUEUE_URL = orderEventsQueueUrl;
      overrides.ORDER_EVENTS_DLQ_URL = orderEventsDlqUrl;
    }

    // Cognito: hosted login, OAuth endpoints and the pool's JWKS. With GATEWAY_PORT 0 the gateway registers its
    // callback URLs itself (identity.setClient) once it knows its port.
    const identity = await startIdentity({
      dataDir: join(dataDir, 'identity'),
      host: base.LOCAL_HOST,
      port: base.IDENTITY_PORT,
      userPoolId: base.COGNITO_USER_POOL_ID,
      clients: [base.GATEWAY_PORT ? gatewayClient(base.COGNITO_CLIENT_ID, base.LOCAL_HOST, base.GATEWAY_PORT) : { clientId: base.COGNITO_CLIENT_ID, callbackUrls: [], logoutUrls: [] }],
      logger: logger.child({ part: 'identity' }),
    });
    parts.push(identity);
    // The stand-in's tokens name its own URL as issuer (`http://<host>:<port>/<pool>`), not Cognito's.
    if (!base.COGNITO_ISSUER) overrides.COGNITO_ISSUER = identity.settings.issuer;
    if (!base.COGNITO_JWKS_URL) overrides.COGNITO_JWKS_URL = identity.settings.jwksUrl;
    if (!base.COGNITO_DOMAIN) overrides.COGNITO_DOMAIN = identity.url;

    // Webhooks: a signing key generated once into DATA_DIR (0600) unless one is configured; local receivers run
    // on this machine, so loopback targets are allowed unless the user set WEBHOOK_ALLOW_LOOPBACK (private and
    // link-local stay refused), but never on the ports of this runtime's own parts (configured, then as they listen).
    if (!base.WEBHOOK_SIGNING_KEY) overrides.WEBHOOK_SIGNING_KEY = await loadOrCreateSigningKey(join(dataDir, 'webhook-signing-key'));
    const configuredPorts = [base.GATEWAY_PORT, base.SERVICE_PORT, base.IDENTITY_PORT, base.SQS_PORT, base.SECRETSMANAGER_PORT, base.CONSOLE_PORT].filter((p) => p > 0);
    releaseOwnPorts = refuseLoopbackPorts(() => [...configuredPorts, ...parts.flatMap((p) => (p.url ? [Number(new URL(p.url).port || 80)] : []))]);

    // --- Pier's roles, configured against the stand-ins --------------------------------------------------------
    const config = await loadConfig({ ...opts, overrides, defaults: { WEBHOOK_ALLOW_LOOPBACK: 'true' } });
    // ONE database for every role in this process: PGlite in DATA_DIR/pglite (a single connection), or DATABASE_URL.
    const db = await openDb(config, { cwd: opts.cwd ?? process.cwd() });
    parts.push({
      name: 'database',
      notes: [`${config.DATABASE_URL ? 'PostgreSQL at DATABASE_URL' : `embedded PGlite in ${join(dataDir, 'pglite')}`}`],
      close: () => db.close(),
    });
    const service = await runService({ ...config, SERVICE_HOST: config.LOCAL_HOST }, logger.child({ part: 'service' }), { db });
    parts.push({ name: 'service', url: service.url as string, notes: ['orders API and the outbox relay'], close: service.stop });
    const worker = await runWorker(config, logger.child({ part: 'worker' }), { db });
    parts.push({ name: 'worker', notes: ['order-events consumer (notifications, signed webhooks)'], close: worker.stop });

    // The API gateway and the web page, in front of the service and the Lambda handlers (which share the one Db).
    // The page is served from a copy of web/dist under DATA_DIR with this run's config.json beside it.
    const pageDir = join(dataDir, 'web');
    const pageBuilt = await preparePageDir(DEFAULT_WEB_DIR, pageDir);
    const gateway = await startGatewayPart({ config, logger: logger.child({ part: 'gateway' }), db, serviceUrl: service.url as string, webDir: pageDir });
    parts.push(gateway);
    // With GATEWAY_PORT 0 the page's callback URLs are known only now.
    if (!config.GATEWAY_PORT) identity.setClient(gatewayClient(config.COGNITO_CLIENT_ID, config.LOCAL_HOST, Number(new URL(gateway.url).port)));
    if (pageBuilt) await writeWebConfig(pageDir, webConfigFromEndpoints({ identity: identity.url, gateway: gateway.url, clientId: config.COGNITO_CLIENT_ID }));

    // The local console (docs/console.md), on loopback: it reads the parts above in this process.
    parts.push(
      await startConsole({
        host: config.LOCAL_HOST,
        port: base.CONSOLE_PORT,
        logger: logger.child({ part: 'console' }),
        parts: () => parts,
        sqs: { core: sqs.core, url: sqs.url, queues: [{ name: 'order-events', url: orderEventsQueueUrl }, { name: 'order-events-dlq', url: orderEventsDlqUrl }] },
        dlq: { url: orderEventsDlqUrl, sourceUrl: orderEventsQueueUrl },
        region: config.AWS_REGION,
        dataDir,
        pool: identity.pool,
        secretsmanagerUrl,
        traces: {
          recent: (limit) =>
            (getSpanStore()?.recentTraces(limit) ?? []).map((t) => ({ traceId: t.traceId, name: t.name, startedAt: t.startTime, durationMs: t.durationMs, spans: t.spanCount, error: t.error })),
          get: (traceId) => getSpanStore()?.getTrace(traceId),
        },
      }),
    );

    const endpoints: Record<string, string> = { region: config.AWS_REGION };
    for (const part of parts) {
      if (part.url) endpoints[part.name] = part.url;
      Object.assign(endpoints, part.settings);
    }
    await writeFileAtomic(join(dataDir, 'endpoints.json'), JSON.stringify(endpoints, null, 2) + '\n');
    return { config, dataDir, parts, endpoints, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

