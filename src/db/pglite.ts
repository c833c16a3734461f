import type { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './types.js';

type PgliteLike = Pick<PGlite, 'query' | 'exec' | 'transaction' | 'close'>;

/**
 * The embedded database. PGlite is one Postgres backend on one connection: PGlite itself queues statements and
 * runs each `transaction()` exclusively (no other statement enters until it ends), which is the mutex DESIGN.md
 * asks for; everything in a process must therefore share this one instance.
 * `dataDir` undefined: in memory (tests).
 */
export async function openPglite(dataDir?: string): Promise<Db> {
  // Loaded on demand: Lambda bundles and pg-only deployments never initialise the WASM build.
  const { PGlite: Embedded } = await import('@electric-sql/pglite');
  const pg = await Embedded.create(dataDir ? { dataDir } : {});
  return wrapPglite(pg);
}

function adapt(q: Pick<PgliteLike, 'query' | 'exec'>): Queryable {
  return {
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      const res = await q.query<T>(sql, params ? [...params] : undefined);
      return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await q.exec(sql);
    },
  };
}

export function wrapPglite(pg: PgliteLike): Db {
  let closed: Promise<void> | undefined;
  return {
    kind: 'pglite',
    ...adapt(pg),
    transaction: (fn) => pg.transaction((tx) => fn(adapt(tx))),
    close: () => (closed ??= pg.close()),
  };
}
