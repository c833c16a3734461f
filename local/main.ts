/**
 * `npm start`: the whole of Pier on this machine. Prints what runs where, writes `.pier/endpoints.json`, and stops
 * everything cleanly on Ctrl-C (SIGINT) or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../src/config/index.js';
import { createLogger } from '../src/log.js';
import { startLocalRuntime } from './runtime.js';

const HELP = `Usage: npm start [-- --data-dir DIR] [--log-level LEVEL]

Runs Pier locally: the service, the worker, the Lambda functions behind a local API gateway, and stand-ins for
Cognito, SQS and Secrets Manager. Settings come from the environment and .env (see README.md, "Configuration").

  --data-dir DIR     where local state lives (default .pier, or DATA_DIR)
  --log-level LEVEL  fatal|error|warn|info|debug|trace|silent (default info, or LOG_LEVEL)
  -h, --help         this text
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
  const overrides: Record<string, string> = {};
  if (args['data-dir']) overrides.DATA_DIR = args['data-dir'];
  if (args['log-level']) overrides.LOG_LEVEL = args['log-level'];

  const logLevel = args['log-level'] ?? process.env.LOG_LEVEL ?? 'info';
  const logger = createLogger({ level: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel) ? logLevel : 'info' });

  let runtime;
  try {
    runtime = await startLocalRuntime({ logger, overrides });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`pier: configuration error: ${err.message}\n`);
      process.exit(78);
    }
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`pier: a port is already in use (${(err as Error).message}). Is another npm start running? Ports are set by *_PORT settings.\n`);
      process.exit(1);
    }
    throw err;
  }

  const width = Math.max(...runtime.parts.map((p) => p.name.length));
  const lines = ['', 'Pier is running:', ''];
  for (const part of runtime.parts) {
    // A part without a URL (the database) is named on its first note's line.
    const [first, ...rest] = part.url ? [part.url, ...(part.notes ?? [])] : (part.notes ?? []);
    if (first) lines.push(`  ${part.name.padEnd(width)}  ${first}`);
    for (const note of rest) lines.push(`  ${''.padEnd(width)}  ${note}`);
  }
  const web = runtime.endpoints.web ?? runtime.endpoints.gateway;
  if (web) lines.push('', `Open ${web} in a browser.`);
  lines.push(`Endpoints for scripts: ${runtime.dataDir}/endpoints.json`, 'Press Ctrl-C to stop.', '');
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
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
