import type { PGlite } from '@electric-sql/pglite';
import { sqlState, type Db, type Queryable, type QueryResult } from './types.js';

/** Turns a JS parameter into the text (or bytes) PostgreSQL receives: node-postgres's own rules (`pg.utils`). */
type PrepareValue = (value: unknown) => unknown;

/** Prepared statements kept per SQL text; the app's SQL is a few dozen fixed strings, so this is never reached. */
const MAX_STATEMENTS = 256;

/**
 * The embedded database. PGlite is one Postgres backend on one connection: PGlite itself queues statements and
 * runs each `transaction()` exclusively (no other statement enters until it ends), which is the mutex DESIGN.md
 * asks for; everything in a process must therefore share this one instance.
 * `dataDir` undefined: in memory (tests).
 */
/**
 * PGlite's own start parameters (@electric-sql/pglite 0.5.17, its default `startParams`), which a `startParams`
 * option replaces rather than extends, plus a smaller shared_buffers: PostgreSQL's 128 MB default is most of the
 * embedded database's resident memory (measured: 403 MB resident opening a data folder, 289 MB with 16 MB) and far
 * more than Pier's local data needs. src/db/pglite.test.ts checks the settings took effect.
 */
export const PGLITE_START_PARAMS = [
  '--single', '-F', '-O', '-j',
  '-c', 'search_path=public',
  '-c', 'exit_on_error=false',
  '-c', 'log_checkpoints=false',
  '-c', 'max_worker_processes=0',
  '-c', 'max_parallel_workers=0',
  '-c', 'max_parallel_workers_per_gather=0',
  '-c', 'io_method=sync',
  '-c', 'max_parallel_maintenance_workers=0',
  '-c', 'shared_buffers=16MB',
];

export async function openPglite(dataDir?: string): Promise<Db> {
  // Loaded on demand: Lambda bundles and pg-only deployments never initialise the WASM build.
  const [{ PGlite: Embedded, protocol, parse }, { default: pgDriver }] = await Promise.all([import('@electric-sql/pglite'), import('pg')]);
  const pg = await Embedded.create({ ...(dataDir ? { dataDir } : {}), startParams: [...PGLITE_START_PARAMS] });
  const { prepareValue } = (pgDriver as unknown as { utils: { prepareValue: PrepareValue } }).utils;
  return wrapPglite(pg, { serialize: protocol.serialize, parseResults: parse.parseResults, prepareValue });
}

export interface PgliteProtocol {
  serialize: typeof import('@electric-sql/pglite').protocol.serialize;
  parseResults: typeof import('@electric-sql/pglite').parse.parseResults;
  prepareValue: PrepareValue;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * `query()` through named prepared statements, one protocol exchange per call.
 *
 * PGlite's own `query()` sends every statement as six separate exchanges with the WASM backend (parse, describe
 * statement, bind, describe portal, execute, sync), each parsed and planned afresh, all on the thread that also
 * serves HTTP: measured at ~280 µs of CPU for GET /me's count statement, against ~70 µs for this path. Here a SQL
 * text is parsed once into a named statement (one extra exchange, the first time only); each call then sends
 * bind + describe portal + execute + sync as one message. Parameters are prepared as node-postgres prepares them
 * (the driver production uses), and PostgreSQL infers their types exactly as it does for PGlite's unnamed
 * statements; rows are decoded by PGlite's own parsers.
 */
function preparedQueries(pg: PGlite, proto: PgliteProtocol) {
  const { serialize } = proto;
  const statements = new Map<string, string>();
  let next = 0;

  const send = async (parts: Uint8Array[]) => (await pg.execProtocol(concat(parts), { syncToFs: false })).messages;

  const forget = async (sql: string, name: string) => {
    statements.delete(sql);
    // A Close the backend refuses (in an aborted transaction) only leaves an unused statement behind: names are never reused.
    await send([serialize.close({ type: 'S', name }), serialize.sync()]).catch(() => undefined);
  };

  const prepare = async (sql: string): Promise<string> => {
    const known = statements.get(sql);
    if (known !== undefined) return known;
    if (statements.size >= MAX_STATEMENTS) {
      const [oldSql, oldName] = statements.entries().next().value as [string, string];
      await forget(oldSql, oldName);
    }
    const name = `pier_${++next}`;
    await send([serialize.parse({ name, text: sql, types: [] }), serialize.sync()]);
    statements.set(sql, name);
    return name;
  };

  /** Runs one statement; the caller holds PGlite's query lock (and its transaction lock, or is inside a transaction). */
  return async function runStatement<T>(sql: string, params: readonly unknown[] | undefined, retry = true): Promise<QueryResult<T>> {
    const name = await prepare(sql);
    const values = (params ?? []).map((v) => proto.prepareValue(v) as string | null);
    let messages;
    try {
      messages = await send([serialize.bind({ statement: name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]);
    } catch (err) {
      // 0A000 "cached plan must not change result type": a table changed shape under a kept statement. Parse it
      // again (outside a transaction: inside one, the error has already aborted it, as any failed statement does).
      if (sqlState(err) === '0A000') {
        await forget(sql, name);
        if (retry && !pg.isInTransaction()) return runStatement<T>(sql, params, false);
      }
      throw err;
    }
    const [res] = proto.parseResults(messages, pg.parsers);
    const rows = (res?.rows ?? []) as T[];
    return { rows, rowCount: res?.affectedRows ?? rows.length };
  };
}

export function wrapPglite(pg: PGlite, proto: PgliteProtocol): Db {
  let closed: Promise<void> | undefined;
  const runStatement = preparedQueries(pg, proto);
  // PGlite's own locks: the transaction lock keeps a statement out of another caller's open transaction, the query
  // lock orders it with everything else on the one connection.
  const syncAfter = async <T>(p: Promise<T>) => {
    const out = await p;
    await pg.syncToFs();
    return out;
  };
  return {
    kind: 'pglite',
    query: <T>(sql: string, params?: readonly unknown[]) =>
      pg._runExclusiveTransaction(() => pg.runExclusive(() => syncAfter(runStatement<T>(sql, params)))),
    exec: async (sql) => {
      await pg.exec(sql);
    },
    transaction: (fn) =>
      pg.transaction(async (tx) => {
        let done = false;
        const open = () => {
          if (done) throw new Error('Transaction is closed');
        };
        const adapted: Queryable = {
          // Inside pg.transaction() the transaction lock is already held by this transaction.
          query: <T>(sql: string, params?: readonly unknown[]) => {
            open();
            return pg.runExclusive(() => runStatement<T>(sql, params));
          },
          exec: async (sql) => {
            open();
            await tx.exec(sql);
          },
        };
        try {
          return await fn(adapted);
        } finally {
          done = true;
        }
      }),
    close: () => (closed ??= pg.close()),
  };
}
