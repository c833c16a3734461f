import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DbError, type Db } from './types.js';

/** Where the SQL files live: beside this module (src/db/migrations, or dist/migrations in a bundle). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** An arbitrary constant every Pier process agrees on: the advisory lock that serialises migrations. */
const MIGRATION_LOCK_KEY = 7_405_211_001;

export interface Migration {
  /** File name, e.g. `001_initial.sql`; applied in name order, recorded by name. */
  name: string;
  sql: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => /^\d{3}_[\w-]+\.sql$/.test(n)).sort();
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(join(dir, name), 'utf8') })));
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, all in one transaction holding a
 * transaction-scoped advisory lock: replicas starting together wait for each other and then find nothing to do,
 * and a failed migration leaves the schema as it was. Returns the names applied.
 */
export async function migrate(db: Db, migrations?: readonly Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  try {
    return await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await tx.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = new Set((await tx.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
      const applied: string[] = [];
      for (const m of all) {
        if (done.has(m.name)) continue;
        await tx.exec(m.sql);
        await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [m.name]);
        applied.push(m.name);
      }
      return applied;
    });
  } catch (err) {
    throw new DbError('DB_MIGRATION_FAILED', `database migration failed: ${(err as Error).message}`, { cause: err });
  }
}
