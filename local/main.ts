/**
 * `npm start`: the whole of Pier on this machine. Prints what runs where, writes `.pier/endpoints.json`, and stops
 * everything cleanly on Ctrl-C (SIGINT) or SIGTERM.
 */
import { sep } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../src/config/index.js';
import { createLogger } from '../src/log.js';
import { DataDirInUseError } from './dataDirLock.js';
import { startLocalRuntime } from './runtime.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const PORT_SETTINGS = ['GATEWAY_PORT', 'SERVICE_PORT', 'IDENTITY_PORT', 'SQS_PORT', 'SECRETSMANAGER_PORT', 'CONSOLE_PORT'] as const;

/** The *_PORT setting that asked for `port`, for the "port in use" message (best effort: undefined if unknown). */
async function portSetting(port: number, overrides: Record<string, string>): Promise<string | undefined> {
  try {
    const config: Config = await loadConfig({ overrides, skipSecretsManager: true });
    return PORT_SETTINGS.find((key) => config[key] === port);
  } catch {
    return undefined;
  }
}

/** Paths under the current folder are shown relative to it (`.pier/pglite`), as README.md shows them. */
function shown(text: string): string {
  return text.split(process.cwd() + sep).join('');
}

const HELP = `Usage: npm start [-- --data-dir DIR] [--log-level LEVEL]

Runs Pier locally: the service, the worker, the Lambda functions behind a local API gateway, and stand-ins for
Cognito, SQS and Secrets Manager. Settings come from the environment and .env (see README.md, "Configuration").

  --data-dir DIR     where local state lives (default .pier, or DATA_DIR)
  --log-level LEVEL  fatal|error|warn|info|debug|trace|silent (default info, or LOG_LEVEL)
  -h, --help         this text

Ports are settings: GATEWAY_PORT (4000, the page and the API), SERVICE_PORT (4001), IDENTITY_PORT (4002),
SQS_PORT (4003), SECRETSMANAGER_PORT (4004), CONSOLE_PORT (4005, the local console); for example
GATEWAY_PORT=5000 npm start. Ctrl-C stops everything.
Exit codes: 0 stopped cleanly, 1 failed (a port or the data folder in use), 2 usage error, 78 configuration error.
`;

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: { 'data-dir': { type: 'string' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(HELP);
    return;
  }
  if (args['log-level'] !== undefined && !LOG_LEVELS.includes(args['log-level'])) {
    process.stderr.write(`--log-level must be one of ${LOG_LEVELS.join(', ')}\n\n${HELP}`);
    process.exit(2);
  }
  if (args['data-dir'] === '') {
    process.stderr.write(`--data-dir needs a folder\n\n${HELP}`);
    process.exit(2);
  }
  const overrides: Record<string, string> = {};
  if (args['data-dir']) overrides.DATA_DIR = args['data-dir'];
  if (args['log-level']) overrides.LOG_LEVEL = args['log-level'];

  const logLevel = args['log-level'] ?? process.env.LOG_LEVEL ?? 'info';
  // An invalid LOG_LEVEL is reported by the config loader (naming the key); log at info until then.
  const logger = createLogger({ level: LOG_LEVELS.includes(logLevel) ? logLevel : 'info' });

  let runtime;
  try {
    runtime = await startLocalRuntime({ logger, overrides });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`pier: configuration error: ${err.message}\n`);
      process.exit(78);
    }
    if (err instanceof DataDirInUseError) {
      process.stderr.write(
        `pier: ${shown(err.dataDir)} is in use by another npm start (process ${err.pid}). Stop that one, or give this one its own folder and ports (--data-dir DIR, *_PORT settings).\n`,
      );
      process.exit(1);
    }
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      const { port, address } = err as NodeJS.ErrnoException & { port?: number; address?: string };
      const key = port === undefined ? undefined : await portSetting(port, overrides);
      const where = port === undefined ? 'a port' : `port ${port}${address ? ` on ${address}` : ''}${key ? ` (${key})` : ''}`;
      process.stderr.write(`pier: ${where} is already in use. Is another npm start running? Stop it, or choose other ports with the *_PORT settings (see npm start -- --help).\n`);
      process.exit(1);
    }
    // A system error (the data folder cannot be created or written, a disk is full) is the machine's, not a bug:
    // one line saying what failed is more use than a stack trace.
    if ((err as NodeJS.ErrnoException).syscall) {
      process.stderr.write(`pier: could not start: ${(err as Error).message}\n`);
      process.exit(1);
    }
    throw err;
  }

  const width = Math.max(...runtime.parts.map((p) => p.name.length));
  const lines = ['', `Pier is running on Node.js ${process.versions.node}:`, ''];
  for (const part of runtime.parts) {
    // A part without a URL (the database) is named on its first note's line.
    const [first, ...rest] = part.url ? [part.url, ...(part.notes ?? [])] : (part.notes ?? []);
    if (first) lines.push(`  ${part.name.padEnd(width)}  ${shown(first)}`);
    for (const note of rest) lines.push(`  ${''.padEnd(width)}  ${shown(note)}`);
  }
  const web = runtime.endpoints.web ?? runtime.endpoints.gateway;
  if (web) lines.push('', `Open ${web} in a browser.`);
  if (runtime.endpoints.console) lines.push(`Console (parts, queues, dead letters, users): ${runtime.endpoints.console}`);
  // From process start (Node and TypeScript loading included) to endpoints.json written.
  lines.push(`Endpoints for scripts: ${shown(`${runtime.dataDir}${sep}endpoints.json`)}`, `Ready in ${process.uptime().toFixed(1)} s.`, 'Press Ctrl-C to stop.', '');
  process.stdout.write(lines.join('\n') + '\n');
  // Resident memory once start-up's transient allocations are gone (right at ready it reads about twice as high).
  const idleMemory = setTimeout(() => process.stdout.write(`Resident memory, idle: ${Math.round(process.memoryUsage().rss / 1e6)} MB.\n`), 3000);
  idleMemory.unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearTimeout(idleMemory);
    process.stdout.write(`\n${signal}: stopping...\n`);
    const force = setTimeout(() => {
      process.stderr.write('pier: did not stop within 30 s; exiting anyway\n');
      process.exit(1);
    }, 30_000);
    force.unref();
    await runtime.close();
    process.stdout.write('stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

await main();
