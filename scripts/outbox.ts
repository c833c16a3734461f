/**
 * `npm run outbox -- list|retry`: the outbox events the queue kept refusing, which the relay set aside as failed
 * (src/events/relay.ts, maxRefusals), and putting them back in line after a fix. Works on the database the service
 * uses: DATABASE_URL, or the embedded PGlite in DATA_DIR (which takes one connection, so not while `npm start` runs
 * on that folder).
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DataDirInUseError, lockDataDir, type DataDirLock } from '../local/dataDirLock.js';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { DbError, openDb } from '../src/db/index.js';
import { listFailedOutbox, retryFailedOutbox, type FailedOutboxRow } from '../src/events/outboxFailures.js';

export const HELP = `Usage: npm run outbox -- <command> [options]

Outbox events the queue refused as malformed several times are set aside as failed (their orders show
status "failed") instead of being retried forever. This lists them and puts them back in line after a fix.

Commands:
  list                 the failed outbox events, oldest first: id, event, order, refusals, when, the queue's reason
  retry <id>...        put these outbox rows back in line: the relay sends them on its next sweep
  retry --all          put every failed row back in line

Options:
  --data-dir DIR   data folder of the embedded database (default DATA_DIR, else .pier); with DATABASE_URL set,
                   PostgreSQL is used instead. The embedded database takes one connection: stop npm start first.
  --max N          list: at most N rows (default 100)
  --json           list: one JSON object per line
  --all            retry: every failed row
  -h, --help       this text

Exit codes: 0 done, 1 failed, 2 usage error.
`;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/** The list as a table, or as JSON lines. */
export function formatFailed(rows: readonly FailedOutboxRow[], total: number, json: boolean): string {
  if (json) return rows.map((r) => JSON.stringify(r) + '\n').join('');
  if (total === 0) return 'no failed outbox events\n';
  const table = [
    ['ID', 'EVENT', 'ORDER', 'REFUSALS', 'FAILED AT', 'REASON'],
    ...rows.map((r) => [r.id, r.eventType, r.orderId ?? '-', String(r.refusals), r.failedAt, r.reason ?? '-']),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i]!) : c)).join('  '));
  const more = total > rows.length ? ` (showing ${rows.length}; --max for more)` : '';
  return `${lines.join('\n')}\n${total} failed outbox event${total === 1 ? '' : 's'}${more}; npm run outbox -- retry <id> after a fix\n`;
}

export async function run(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'data-dir': { type: 'string' }, max: { type: 'string' }, json: { type: 'boolean' }, all: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message} (see --help)`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(HELP);
    return;
  }
  const [command, ...ids] = positionals;
  if (command !== 'list' && command !== 'retry') throw new CliError(command ? `unknown command "${command}": expected list or retry (see --help)` : 'missing command: list or retry (see --help)', 2);
  if (command === 'list' && (ids.length || values.all)) throw new CliError('list takes no ids (see --help)', 2);
  if (command === 'retry' && !values.all === !ids.length) throw new CliError('retry needs outbox ids or --all, not both (see --help)', 2);
  if (command === 'retry' && (values.max || values.json)) throw new CliError('--max and --json go with list (see --help)', 2);
  if (ids.some((id) => !/^\d{1,18}$/.test(id))) throw new CliError('outbox ids are whole numbers (the ID column of list)', 2);
  const max = values.max === undefined ? 100 : Number(values.max);
  if (!Number.isInteger(max) || max < 1 || max > 10_000) throw new CliError('--max must be a whole number from 1 to 10000', 2);

  const config = await loadConfig({ skipSecretsManager: true, overrides: values['data-dir'] ? { DATA_DIR: values['data-dir'] } : {} });
  let lock: DataDirLock | undefined;
  if (!config.DATABASE_URL) {
    const dataDir = resolve(config.DATA_DIR);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    try {
      lock = await lockDataDir(dataDir);
    } catch (err) {
      if (err instanceof DataDirInUseError) {
        throw new CliError(`${config.DATA_DIR} is in use by process ${err.pid} (npm start?): its embedded database takes one connection. Stop it and run this again, or set DATABASE_URL.`);
      }
      throw err;
    }
  }
  try {
    const db = await openDb(config);
    try {
      if (command === 'list') {
        const { rows, total } = await listFailedOutbox(db, max);
        out(formatFailed(rows, total, values.json ?? false));
      } else {
        const done = await retryFailedOutbox(db, values.all ? 'all' : ids);
        const missed = values.all ? [] : ids.filter((id) => !done.includes(id));
        out(`put back in line: ${done.length ? done.join(', ') : 'none'}${missed.length ? `; not failed rows (left alone): ${missed.join(', ')}` : ''}\n`);
        if (missed.length) throw new CliError(`${missed.length} of the ids given is not a failed outbox row`);
      }
    } finally {
      await db.close();
    }
  } finally {
    await lock?.release();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await run(process.argv.slice(2));
  } catch (err) {
    const [message, code] =
      err instanceof CliError
        ? [err.message, err.exitCode]
        : err instanceof ConfigError
          ? [`configuration error: ${err.message}`, 2]
          : err instanceof DbError
            ? [err.message, 1]
            : (err as NodeJS.ErrnoException).syscall
              ? [(err as Error).message, 1]
              : [undefined, 1];
    if (message === undefined) throw err;
    process.stderr.write(`outbox: ${message}\n`);
    process.exit(code);
  }
}
