/**
 * The container's entry point: `node dist/main.js service|worker`. Config (environment, Docker secrets, Secrets
 * Manager) lives in a ConfigStore that re-reads Secrets Manager every SECRETS_REFRESH_SECONDS, and the roles read
 * per-use secrets (the webhook signing key) through it, so a rotated value is used without a restart. Starts one role
 * and drains it on SIGTERM, well inside ECS's 30 s stop timeout.
 */
import { ConfigError, createConfigStore, type Config, type ConfigStore } from './config/index.js';
import { DbError } from './db/index.js';
import { createLogger, type Logger } from './log.js';
import { runService, runWorker, type RunningRole } from './roles.js';
import { initTracing, shutdownTracing } from './telemetry/tracing.js';

const ROLES: Record<string, (store: ConfigStore, l: Logger) => Promise<RunningRole>> = {
  service: (store, logger) => runService(store.get(), logger, { currentConfig: store.get }),
  worker: (store, logger) => runWorker(store.get(), logger, { currentConfig: store.get }),
};

/** Settings read once at start-up (a new value needs a restart): say so when a refresh changes one. */
const RESTART_KEYS: readonly (keyof Config)[] = ['DATABASE_URL', 'DATABASE_POOL_MAX', 'ORDER_EVENTS_QUEUE_URL', 'OUTBOX_SWEEP_SECONDS', 'WEBHOOK_SENDER_FUNCTION', 'LOG_LEVEL'];

async function main(argv: string[]): Promise<void> {
  const role = argv[0];
  const start = role ? ROLES[role] : undefined;
  if (!start) {
    process.stderr.write(`usage: main <${Object.keys(ROLES).join('|')}>\n`);
    process.exit(2);
  }
  let store: ConfigStore;
  // Refresh errors are logged once the logger exists (its level is a setting).
  const late: { logger?: Logger } = {};
  try {
    store = await createConfigStore({
      // A failed refresh keeps the last good config; the error names the key or secret, never a value.
      onRefreshError: (err) => late.logger?.warn({ code: (err as { code?: string }).code, err: err.message }, 'config refresh failed; keeping the last good config'),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`pier: configuration error: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const config = store.get();
  const logger = (late.logger = createLogger({ level: config.LOG_LEVEL, name: role }));
  store.onChange((_next, keys) => {
    const changed = keys.filter((k) => RESTART_KEYS.includes(k));
    if (changed.length > 0) logger.warn({ keys: changed }, 'settings changed that are read only at start-up: restart the task to use them');
    else logger.info('config refreshed: new values in use');
  });
  // W3C trace context through every port; spans exported when OTEL_EXPORTER_OTLP_ENDPOINT is set, sampled per
  // OTEL_TRACES_SAMPLER(_ARG). No in-memory span store in AWS (docs/observability.md).
  initTracing({ spanStore: false, resource: { 'deployment.environment.name': config.PIER_ENV } });
  let running: RunningRole;
  try {
    running = await start(store, logger);
  } catch (err) {
    // A role's own required settings (requireSetting) and an unreachable database stop start-up with a clear line.
    if (err instanceof ConfigError) {
      process.stderr.write(`pier: configuration error: ${err.message}\n`);
      process.exit(78);
    }
    if (err instanceof DbError) {
      logger.fatal({ code: err.code }, err.message);
      process.exit(1);
    }
    throw err;
  }
  logger.info({ url: running.url }, `${role} started`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${role} stopping`);
    const force = setTimeout(() => process.exit(1), 25_000);
    force.unref();
    try {
      await running.stop();
      await shutdownTracing().catch(() => {});
      store.close();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, `${role} did not stop cleanly`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

await main(process.argv.slice(2));
