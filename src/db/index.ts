export { migrate, readMigrations, MIGRATIONS_DIR, type Migration } from './migrate.js';
export { openDb, pgliteDir, type DbConfig } from './open.js';
export { openPg, quoteIdent, type PgOptions } from './pg.js';
export { openPglite, wrapPglite } from './pglite.js';
export { DbError, sqlState, type Db, type DbErrorCode, type Queryable, type QueryResult } from './types.js';
export {
  clampLimit,
  decodeCursor,
  encodeCursor,
  InvalidCursorError,
  MAX_PAGE_LIMIT,
  pageBounds,
  toPage,
  type Page,
  type PageRequest,
} from './cursor.js';
