/**
 * The application's own PostgreSQL role (issue 11): a deploy-time custom resource (infra/lib/appRole.ts) runs this
 * Lambda inside the VPC. It signs in as the cluster's master user (the master secret, read through the VPC's Secrets
 * Manager endpoint) and makes `pier_app` a LOGIN role whose password is the one in the app role's own secret (RDS's
 * secret JSON, so Secrets Manager's single-user rotation can take it over), with the privileges the app needs and no
 * more: CONNECT and TEMPORARY on the database, USAGE and CREATE on schema public. The app's migrations create its
 * tables, so the app role owns them. No SUPERUSER, CREATEROLE, CREATEDB, rds_superuser.
 *
 * The password never travels in clear: the statement carries a SCRAM-SHA-256 verifier computed here (PostgreSQL stores
 * a password given in that form as it is: https://www.postgresql.org/docs/current/sql-createrole.html, "PASSWORD"), so
 * a statement log or an error message shows no secret. Nothing here logs or returns a password.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { z } from 'zod';
import { quoteIdent } from './pg.js';
import { pgTls } from './tls.js';

/** A plain lower-case identifier: what Pier names roles and databases (anything else is refused, not escaped). */
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** A SQL string literal (standard_conforming_strings is on in every supported PostgreSQL: backslashes are plain). */
export const quoteLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * PostgreSQL's SCRAM-SHA-256 verifier for `password` (RFC 5802 / RFC 7677 keys, PostgreSQL's text form
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, as libpq's PQencryptPasswordConn makes it). ASCII
 * passwords only: those need no SASLprep, and the generated secrets are ASCII.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  if (!/^[\x20-\x7e]+$/.test(password)) throw new Error('app role password must be printable ASCII');
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * The statements that make `role` the app's LOGIN role on `dbName`, safe to run again (run them in one transaction):
 * the role is created without LOGIN if missing, then given LOGIN and the password (so there is never a login role
 * without the right password), then the grants. GRANT of a privilege already held is a no-op. `passwordVerifier` is
 * a SCRAM verifier (scramVerifier); without it the statements leave the password as it is (tests).
 */
export function appRoleStatements(role: string, dbName: string, passwordVerifier?: string): string[] {
  for (const [what, v] of [['role', role], ['database', dbName]] as const) {
    if (!IDENT.test(v)) throw new Error(`${what} name must match ${IDENT.source}: ${JSON.stringify(v)}`);
  }
  if (passwordVerifier !== undefined && !/^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/.test(passwordVerifier)) {
    throw new Error('passwordVerifier must be a SCRAM-SHA-256 verifier');
  }
  const r = quoteIdent(role);
  return [
    // CREATE ROLE has no IF NOT EXISTS. Only the attributes that are off by default are named: a non-superuser (RDS's
    // master) may not name SUPERUSER/REPLICATION/BYPASSRLS in ALTER ROLE at all, even to switch them off.
    `DO $pier$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(role)}) THEN
    CREATE ROLE ${r} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
  END IF;
END $pier$`,
    `ALTER ROLE ${r} WITH LOGIN NOCREATEDB NOCREATEROLE${passwordVerifier ? ` PASSWORD ${quoteLiteral(passwordVerifier)}` : ''}`,
    `GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(dbName)} TO ${r}`,
    // PostgreSQL 15+ no longer lets every role create in public; the app's migrations create its tables there.
    `GRANT USAGE, CREATE ON SCHEMA public TO ${r}`,
  ];
}

/** RDS's database secret JSON (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_secret_json_structure.html). */
const rdsSecretSchema = z.object({ username: z.string().min(1), password: z.string().min(1) }).passthrough();

export const appRolePropsSchema = z.object({
  MasterSecretArn: z.string().min(1),
  AppSecretArn: z.string().min(1),
  Host: z.string().min(1),
  Port: z.coerce.number().int().positive(),
  Database: z.string().min(1),
  Role: z.string().min(1),
});
export type AppRoleProps = z.infer<typeof appRolePropsSchema>;

/** The custom-resource event as aws-cdk-lib's Provider framework passes it to its onEvent handler. */
export interface AppRoleEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResourceProperties: Record<string, unknown>;
  PhysicalResourceId?: string;
}

export interface AppRoleDeps {
  readSecret(arn: string): Promise<string>;
  /** Runs `statements` in one transaction on `connectionString`. */
  run(connectionString: string, statements: readonly string[]): Promise<void>;
}

async function readJsonSecret(deps: AppRoleDeps, arn: string, what: string) {
  const parsed = rdsSecretSchema.safeParse(JSON.parse(await deps.readSecret(arn)));
  // The issues name fields, never values.
  if (!parsed.success) throw new Error(`${what} secret is not RDS's {username, password, ...} JSON`);
  return parsed.data;
}

/**
 * Create and Update: make the role as the app secret says (idempotent, so an Update or a retry just re-applies it).
 * Delete: leaves the role. It owns the app's tables, so PostgreSQL would refuse DROP ROLE without dropping the data
 * with it; when the stack goes the cluster goes too (or its final snapshot keeps the role, which the restored tables
 * need); and a replacement of this resource must not drop the role the running app signs in with.
 */
export async function onEvent(event: AppRoleEvent, deps: AppRoleDeps): Promise<{ PhysicalResourceId: string }> {
  const p = appRolePropsSchema.parse(event.ResourceProperties);
  const physicalId = `${p.Role}@${p.Database}`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? physicalId };
  const master = await readJsonSecret(deps, p.MasterSecretArn, 'master');
  const app = await readJsonSecret(deps, p.AppSecretArn, 'app role');
  if (app.username !== p.Role) throw new Error(`the app role secret names user ${JSON.stringify(app.username)}, not ${JSON.stringify(p.Role)}`);
  const url = new URL(`postgresql://${p.Host}:${p.Port}/${p.Database}`);
  url.username = master.username;
  url.password = master.password;
  url.searchParams.set('sslmode', 'verify-full');
  await deps.run(url.toString(), appRoleStatements(p.Role, p.Database, scramVerifier(app.password)));
  return { PhysicalResourceId: physicalId };
}

/** One connection (TLS verified against the RDS CAs: src/db/tls.ts), one transaction. */
export async function runStatements(connectionString: string, statements: readonly string[]): Promise<void> {
  // A paused Aurora Serverless v2 cluster resumes on the first connection, which waits for it (about 15 s).
  const client = new pg.Client({ ...pgTls(connectionString), connectionTimeoutMillis: 60_000 });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const sql of statements) await client.query(sql);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    // pg's errors carry the statement position, not its text (and the text holds a verifier, not the password).
    const e = err as { message?: string; code?: string };
    throw new Error(`app role statements failed: ${e.code ?? ''} ${e.message ?? String(err)}`.trim(), { cause: err });
  } finally {
    await client.end().catch(() => {});
  }
}

let sm: SecretsManagerClient | undefined;

/** The Lambda entry (bundled by infra/lib/appRole.ts): Secrets Manager through the VPC endpoint, PostgreSQL directly. */
export async function handler(event: AppRoleEvent): Promise<{ PhysicalResourceId: string }> {
  return onEvent(event, {
    async readSecret(arn) {
      const res = await (sm ??= new SecretsManagerClient({})).send(new GetSecretValueCommand({ SecretId: arn }));
      if (!res.SecretString) throw new Error('secret has no SecretString');
      return res.SecretString;
    },
    run: runStatements,
  });
}
