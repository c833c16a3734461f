import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config/index.js';
import { migrate } from './migrate.js';
import { openPg } from './pg.js';
import { openPglite } from './pglite.js';
import { DbError, type Db } from './types.js';

export type DbConfig = Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_MAX' | 'DATA_DIR'>;

/** Where the embedded database lives for a given config. */
export const pgliteDir = (config: Pick<Config, 'DATA_DIR'>, cwd = process.cwd()): string =>
  join(resolve(cwd, config.DATA_DIR), 'pglite');

/**
 * Opens the database an entry point uses and brings its schema up to date: PostgreSQL through a pool when
 * DATABASE_URL is set, otherwise embedded PGlite in DATA_DIR/pglite. Call once per process and share the result.
 */
export async function openDb(config: DbConfig, opts: { cwd?: string; migrate?: boolean } = {}): Promise<Db> {
  let db: Db;
  if (config.DATABASE_URL) {
    db = openPg({ connectionString: config.DATABASE_URL.reveal(), poolMax: config.DATABASE_POOL_MAX });
    try {
      await db.query('SELECT 1');
    } catch (err) {
      await db.close().catch(() => {});
      // The driver's message can carry the host but never the password; still, keep ours generic.
      throw new DbError('DB_UNAVAILABLE', `cannot reach PostgreSQL at DATABASE_URL: ${(err as NodeJS.ErrnoException).code ?? 'connection failed'}`, {
        cause: err,
      });
    }
  } else {
    const dir = pgliteDir(config, opts.cwd);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    db = await openPglite(dir);
  }
  if (opts.migrate !== false) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
  }
  return db;
}
