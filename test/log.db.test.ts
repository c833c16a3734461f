import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbError } from '../src/db/index.js';
import { createLogger } from '../src/log.js';
import { createTestDb, type TestDb } from './support/db.js';

/*
 * A database error quotes the offending value in its message and detail; that value came from a request. The log
 * keeps the SQLSTATE and where it happened, never the value: checked with the errors the real database raises
 * (PGlite here, PostgreSQL under DATABASE_URL).
 */
let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t?.close());

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

const failure = async (sql: string, params: unknown[]) => {
  try {
    await t.db.query(sql, params);
  } catch (err) {
    return err;
  }
  throw new Error('expected the statement to fail');
};

describe('error logs never quote a value from a request', () => {
  it.each([
    ['a bad uuid', 'SELECT $1::uuid', ['secret-value-1']],
    ['bad JSON', 'SELECT $1::jsonb', ['{"secret-value-2": ']],
    ['a check constraint', "INSERT INTO orders (id, user_sub, item, quantity) VALUES (gen_random_uuid(), 'u', $1, 0)", ['secret-value-3']],
  ])('%s: the SQLSTATE is logged, the value is not', async (_name, sql, params) => {
    const err = await failure(sql, params);
    const secret = String(params[0]).replace(/[{": ]/g, '');
    const { logger, lines } = capture();
    // Directly, and wrapped the way Pier's own errors wrap a cause.
    logger.error({ err }, 'request failed');
    logger.error({ err: new DbError('DB_UNAVAILABLE', `query failed: ${(err as Error).message}`, { cause: err }) }, 'request failed');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toContain(secret);
      const logged = JSON.parse(line) as { err: { sqlState: string; message: string } };
      expect(logged.err.sqlState).toMatch(/^[0-9A-Z]{5}$/);
      expect(logged.err.message).toMatch(/^database error [0-9A-Z]{5}/);
    }
  });

  it('other errors are logged as before, message and stack', () => {
    const { logger, lines } = capture();
    logger.error({ err: new TypeError('boom') }, 'failed');
    const logged = JSON.parse(lines[0]!) as { err: { type: string; message: string; stack: string } };
    expect(logged.err).toMatchObject({ type: 'TypeError', message: 'boom' });
    expect(logged.err.stack).toContain('TypeError: boom');
  });
});
