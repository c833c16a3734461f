/**
 * The application role's SQL (src/db/appRole.ts) against a real PostgreSQL: run twice (idempotent) as the admin user
 * in a fresh database, then, signed in as the new role, Pier's migrations, an insert and a select; and the role may
 * not do what only an administrator may. Needs DATABASE_URL (an admin connection, e.g. the machine's PostgreSQL);
 * under PGlite it is skipped: PGlite has a single user, so there is no second role to sign in as.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoleStatements, runStatements, scramVerifier } from '../src/db/appRole.js';
import { migrate, readMigrations } from '../src/db/migrate.js';
import { openPg, quoteIdent } from '../src/db/pg.js';
import type { Db } from '../src/db/types.js';

const adminUrl = process.env.DATABASE_URL;
const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const dbName = `pier_approle_${suffix}`;
const role = `pier_app_${suffix}`;
const password = randomBytes(24).toString('base64url');

const urlFor = (user: { name?: string; password?: string }, database: string): string => {
  const u = new URL(adminUrl!);
  if (user.name) u.username = user.name;
  if (user.password !== undefined) u.password = user.password;
  u.pathname = `/${database}`;
  return u.toString();
};

async function asAdmin<T>(database: string | undefined, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: database ? urlFor({}, database) : adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe.skipIf(!adminUrl)('the app role on PostgreSQL (needs DATABASE_URL; PGlite has one user, so no second role to test)', () => {
  let app: Db;
  let verifier: string;

  beforeAll(async () => {
    await asAdmin(undefined, (c) => c.query(`CREATE DATABASE ${quoteIdent(dbName)}`));
  });
  afterAll(async () => {
    await app?.close();
    await asAdmin(undefined, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(dbName)} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
    });
  });

  it('creates the role, then runs again without error and leaves one role with the new password', async () => {
    await runStatements(urlFor({}, dbName), appRoleStatements(role, dbName, scramVerifier(password)));
    verifier = scramVerifier(password);
    await runStatements(urlFor({}, dbName), appRoleStatements(role, dbName, verifier));
    const rows = await asAdmin(dbName, async (c) => (await c.query('SELECT * FROM pg_authid WHERE rolname = $1', [role])).rows);
    expect(rows).toHaveLength(1);
    // Stored as sent: the server never saw the password itself.
    expect(rows[0]).toMatchObject({ rolcanlogin: true, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false, rolpassword: verifier });
    const privileges = await asAdmin(dbName, async (c) =>
      (
        await c.query(
          `SELECT has_database_privilege($1, $2, 'CONNECT') AS connect, has_database_privilege($1, $2, 'TEMPORARY') AS temp,
                  has_database_privilege($1, $2, 'CREATE') AS create_schema, has_schema_privilege($1, 'public', 'USAGE') AS usage,
                  has_schema_privilege($1, 'public', 'CREATE') AS create_in_public,
                  (SELECT count(*)::int FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1) AS memberships`,
          [role, dbName],
        )
      ).rows[0],
    );
    expect(privileges).toEqual({ connect: true, temp: true, create_schema: false, usage: true, create_in_public: true, memberships: 0 });
  });

  it("signs in as the role, runs Pier's migrations (owning the tables), inserts and selects", async () => {
    app = openPg({ connectionString: urlFor({ name: role, password }, dbName), poolMax: 2 });
    expect((await app.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u).toBe(role);
    const applied = await migrate(app);
    expect(applied).toEqual((await readMigrations()).map((m) => m.name));
    expect(await migrate(app)).toEqual([]);
    const owners = (await app.query<{ owner: string }>("SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = 'public'")).rows;
    expect(owners).toEqual([{ owner: role }]);
    const id = randomUUID();
    await app.query('INSERT INTO orders (id, user_sub, item, quantity) VALUES ($1, $2, $3, $4)', [id, 'user-1', 'widget', 2]);
    expect((await app.query('SELECT user_sub, item, quantity, status FROM orders WHERE id = $1', [id])).rows).toEqual([
      { user_sub: 'user-1', item: 'widget', quantity: 2, status: 'placed' },
    ]);
    await app.exec('CREATE TEMPORARY TABLE scratch (x int)');
  });

  it('may not create roles or databases, read pg_authid, take more privileges or reach other schemas', async () => {
    const refused = async (sql: string) => {
      const err = await app.query(sql).then(
        () => undefined,
        (e: unknown) => e as { code?: string },
      );
      expect(err, sql).toBeDefined();
      return err!.code;
    };
    expect(await refused(`CREATE ROLE ${quoteIdent(`${role}_x`)}`)).toBe('42501');
    expect(await refused('SELECT rolpassword FROM pg_authid')).toBe('42501');
    expect(await refused(`CREATE DATABASE ${quoteIdent(`${dbName}_x`)}`)).toBe('42501');
    expect(await refused(`ALTER ROLE ${quoteIdent(role)} CREATEROLE`)).toBe('42501');
    expect(await refused(`CREATE SCHEMA ${quoteIdent(`s_${suffix}`)}`)).toBe('42501');
    expect(await refused('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')).toBe('42501');
  });
});
