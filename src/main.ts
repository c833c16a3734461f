/**
 * The container's entry point: `node dist/main.js service|worker`. Loads config once (environment, Docker secrets,
 * Secrets Manager), starts one role and drains it on SIGTERM, well inside ECS's 30 s stop timeout.
 */
import { ConfigError, loadConfig } from './config/index.js';
import { DbError } from './db/index.js';
import { createLogger } from './log.js';
import { runService, runWorker, type RunningRole } from './roles.js';

const ROLES: Record<string, (c: Awaited<ReturnType<typeof loadConfig>>, l: ReturnType<typeof createLogger>) => Promise<RunningRole>> = {
  service: (config, logger) => runService(config, logger),
  worker: (config, logger) => runWorker(config, logger),
};

async function main(argv: string[]): Promise<void> {
  const role = argv[0];
  const start = role ? ROLES[role] : undefined;
  if (!start) {
    process.stderr.write(`usage: main <${Object.keys(ROLES).join('|')}>\n`);
    process.exit(2);
  }
  let config;
  try {
    config = await loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`pier: configuration error: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const logger = createLogger({ level: config.LOG_LEVEL, name: role });
  let running: RunningRole;
  try {
    running = await start(config, logger);
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
    await running.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

await main(process.argv.slice(2));
