/**
 * The container's entry point: `node dist/main.js service|worker`. Loads config once (environment, Docker secrets,
 * Secrets Manager), starts one role and drains it on SIGTERM, well inside ECS's 30 s stop timeout.
 */
import { ConfigError, loadConfig } from './config/index.js';
import { createLogger } from './log.js';
import { runService, type RunningRole } from './roles.js';

const ROLES: Record<string, (c: Awaited<ReturnType<typeof loadConfig>>, l: ReturnType<typeof createLogger>) => Promise<RunningRole>> = {
  service: runService,
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
  const running = await start(config, logger);
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
