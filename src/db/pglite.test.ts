import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from './pglite.js';
import { sqlState, type Db } from './types.js';

// The PGlite adapter's own query path (named statements, one exchange per call): always PGlite, whatever DATABASE_URL says.
let db: Db;
beforeAll(async () => {
  db = await openPglite();
  await db.exec('CREATE TABLE kinds (id int PRIMARY KEY, t text, j jsonb, a text[], b bytea, ts timestamptz, n bigint, ok boolean)');
});
afterAll(async () => {
  await db?.close();
});

describe('PGlite query path', () => {
  it("runs with PGlite's start parameters and the smaller shared_buffers", async () => {
    const { rows } = await db.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('shared_buffers', 'search_path', 'max_worker_processes', 'io_method') ORDER BY name",
    );
    // shared_buffers counts 8 kB pages: 16 MB.
    expect(rows).toEqual([
      { name: 'io_method', setting: 'sync' },
      { name: 'max_worker_processes', setting: '0' },
      { name: 'search_path', setting: 'public' },
      { name: 'shared_buffers', setting: '2048' },
    ]);
  });

  it('sends parameters as node-postgres does and reads rows with PGlite’s parsers', async () => {
    const when = new Date('2026-01-02T03:04:05.678Z');
    await db.query('INSERT INTO kinds VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
      1,
      "it's",
      { a: [1, 'x'] },
      ['p', 'q,r', null],
      Buffer.from([0, 1, 255]),
      when,
      9007199254740993n,
      true,
    ]);
    const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM kinds WHERE id = $1', [1]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 1, t: "it's", j: { a: [1, 'x'] }, a: ['p', 'q,r', null], ts: when, ok: true });
    expect([...(rows[0]!.b as Uint8Array)]).toEqual([0, 1, 255]);
    expect(String(rows[0]!.n)).toBe('9007199254740993');
    // A string for a jsonb parameter is JSON text, as with node-postgres.
    await db.query('INSERT INTO kinds (id, j) VALUES ($1, $2)', [2, '{"k":true}']);
    expect((await db.query<{ j: unknown }>('SELECT j FROM kinds WHERE id = 2')).rows[0]?.j).toEqual({ k: true });
  });

  it('counts changed rows, and null/undefined parameters are NULL', async () => {
    await db.query('INSERT INTO kinds (id, t) VALUES ($1, $2), ($3, $4)', [10, null, 11, undefined]);
    const upd = await db.query('UPDATE kinds SET ok = false WHERE id >= $1 AND t IS NULL', [10]);
    expect(upd.rowCount).toBe(2);
  });

  it('reports SQL errors with their SQLSTATE and keeps working afterwards', async () => {
    await expect(db.query('INSERT INTO kinds (id) VALUES ($1)', [1])).rejects.toSatisfy((e) => sqlState(e) === '23505');
    await expect(db.query('SELECT * FROM kinds WHERE id = $1', ['not a number'])).rejects.toSatisfy((e) => sqlState(e) === '22P02');
    await expect(db.query('SELEC 1')).rejects.toSatisfy((e) => sqlState(e) === '42601');
    await expect(db.query('SELEC 1')).rejects.toSatisfy((e) => sqlState(e) === '42601');
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM kinds WHERE id = $1', [1])).rows).toEqual([{ n: 1 }]);
  });

  it('re-reads a kept statement whose table changed shape', async () => {
    await db.exec('CREATE TABLE shape (a int)');
    await db.query('INSERT INTO shape VALUES ($1)', [1]);
    expect((await db.query('SELECT * FROM shape')).rows).toEqual([{ a: 1 }]);
    await db.exec('ALTER TABLE shape ADD COLUMN b text');
    expect((await db.query('SELECT * FROM shape')).rows).toEqual([{ a: 1, b: null }]);
  });

  it('keeps statements from outside out of an open transaction, and rolls back on a throw', async () => {
    await db.exec('CREATE TABLE tx_probe (n int)');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    const txDone = db
      .transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES ($1)', [1]);
        inside();
        await gate;
        throw new Error('undo');
      })
      .catch((e: Error) => e.message);
    await entered;
    // Queued behind the transaction: it must see the state after the ROLLBACK, never the uncommitted row.
    const outside = db.query<{ n: number }>('SELECT count(*)::int AS n FROM tx_probe');
    release();
    expect(await txDone).toBe('undo');
    expect((await outside).rows).toEqual([{ n: 0 }]);
  });

  it('refuses a transaction’s queryable once the transaction has ended', async () => {
    let kept: Parameters<Parameters<Db['transaction']>[0]>[0] | undefined;
    await db.transaction(async (tx) => {
      kept = tx;
      await tx.query('SELECT 1');
    });
    expect(() => kept!.query('SELECT 1')).toThrow('Transaction is closed');
  });
});
