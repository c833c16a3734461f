import pg from 'pg';
import { pgTls } from './tls.js';
import type { Db, Queryable, QueryResult } from './types.js';

export interface PgOptions {
  connectionString: string;
  poolMax: number;
  /** Sets `search_path` on every connection (tests give each file its own schema). */
  schema?: string;
}

/** PostgreSQL through a `pg` pool: transactions each get their own pooled connection. */
export function openPg(opts: PgOptions): Db {
  const pool = new pg.Pool({
    // An RDS URL with sslmode=verify-full is checked against the RDS CAs (src/db/tls.ts); any other URL is as given.
    ...pgTls(opts.connectionString),
    max: opts.poolMax,
    // Set on purpose, not left to pg's defaults: an idle pooled connection keeps Aurora Serverless v2 from pausing
    // (it pauses only after its auto-pause delay with no user connection: 600 s in dev, 300 s at least). Closing
    // idle connections after 10 s means an idle process holds none long before that delay runs out.
    idleTimeoutMillis: 10_000,
    // The roles close their pool on stop; an idle pool that kept the process alive would show a missing close().
    allowExitOnIdle: false,
    ...(opts.schema ? { options: `-c search_path=${quoteIdent(opts.schema)}` } : {}),
  });
  // An idle client losing its connection emits here; without a listener that would crash the process.
  pool.on('error', () => {});
  const adapt = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      const res = await c.query(sql, params ? [...params] : undefined);
      return { rows: res.rows as T[], rowCount: res.rowCount ?? res.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await c.query(sql);
    },
  });
  let closed: Promise<void> | undefined;
  return {
    kind: 'pg',
    ...adapt(pool),
    async transaction(fn) {
      const client = await pool.connect();
      let broken: unknown;
      try {
        await client.query('BEGIN');
        const out = await fn(adapt(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          // The connection is unusable: destroy it rather than return it to the pool.
          broken = rollbackErr;
        }
        throw err;
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    close: () => (closed ??= pool.end()),
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
