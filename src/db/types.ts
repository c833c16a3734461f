/** The result of one statement: rows as plain objects, and how many rows it changed (or returned). */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** Something SQL runs on: the pool, or one transaction's connection. */
export interface Queryable {
  /** One statement with `$1`-style parameters. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * The database port domain code receives. Built once at the entry point (`openDb`) and shared by every part of
 * a process: PGlite is a single connection, so it must have one owner.
 */
export interface Db extends Queryable {
  readonly kind: 'pglite' | 'pg';
  /** Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type DbErrorCode = 'DB_UNAVAILABLE' | 'DB_MIGRATION_FAILED';

export class DbError extends Error {
  override readonly name = 'DbError';
  constructor(
    readonly code: DbErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Postgres SQLSTATE of an error from either driver, e.g. `23505` for a unique violation. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
