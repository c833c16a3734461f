import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openPg, openPglite, quoteIdent, type Db } from '../../src/db/index.js';

export interface TestDb {
  db: Db;
  /** Set when the database is the machine's PostgreSQL: the schema this file's tables live in. */
  schema?: string;
  /** A DATABASE_URL that reaches this same database and schema (for child processes). */
  url?: string;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: PGlite in memory by default, or, when DATABASE_URL is set
 * (CI's PostgreSQL run), a new schema in that PostgreSQL reached through `search_path`, dropped on close.
 */
export async function createTestDb(opts: { poolMax?: number } = {}): Promise<TestDb> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const db = await openPglite();
    await migrate(db);
    return { db, close: () => db.close() };
  }
  const schema = `test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  await admin.end();
  const db = openPg({ connectionString: url, poolMax: opts.poolMax ?? 10, schema });
  await migrate(db);
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  return {
    db,
    schema,
    url: withSchema.toString(),
    async close() {
      await db.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
