import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../local/dataDirLock.js';
import { openDb } from '../src/db/index.js';
import { createOutboxRelay } from '../src/events/relay.js';
import { createLogger } from '../src/log.js';
import { placeOrder } from '../src/orders/repository.js';

const run = promisify(execFile);
const script = join(import.meta.dirname, 'outbox.ts');
const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');

let cwd: string;
let failedId: string;
let orderId: string;

/** `npm run outbox -- ...` as the user runs it: a child process with only the environment given. */
async function outboxCli(args: string[]) {
  try {
    const { stdout, stderr } = await run(tsx, [script, ...args], { cwd, env: { PATH: process.env.PATH!, HOME: cwd }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'pier-outbox-cli-'));
  // A data folder whose embedded database holds one order whose event the queue refused until it was set aside.
  const db = await openDb({ DATA_DIR: '.pier', DATABASE_URL: undefined, DATABASE_POOL_MAX: 1 }, { cwd });
  orderId = (await placeOrder(db, 'user-1', { item: 'tea', quantity: 1 })).order.id;
  const relay = createOutboxRelay({
    db,
    logger: createLogger({ level: 'silent' }),
    maxRefusals: 1,
    publisher: { publishBatch: async (m) => ({ sent: [], failed: m.map((x) => ({ id: x.id, reason: 'InvalidMessageContents: Invalid characters', senderFault: true })) }) },
  });
  await relay.runOnce();
  failedId = (await db.query<{ id: string }>('SELECT id::text AS id FROM outbox WHERE failed_at IS NOT NULL')).rows[0]!.id;
  await db.close();
}, 60_000);
afterAll(() => rm(cwd, { recursive: true, force: true }));

describe('npm run outbox', () => {
  it('lists the failed events, puts one back in line, and then lists none', async () => {
    const list = await outboxCli(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+EVENT\s+ORDER\s+REFUSALS\s+FAILED AT\s+REASON\n/);
    expect(list.stdout).toContain(`${failedId}   order.placed  ${orderId}  1`);
    expect(list.stdout).toContain('InvalidMessageContents: Invalid characters');
    expect(list.stdout).toMatch(/1 failed outbox event;/);
    const json = await outboxCli(['list', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: failedId, orderId, refusals: 1 });

    const retry = await outboxCli(['retry', failedId, '12345']);
    expect(retry.code).toBe(1);
    expect(retry.stdout).toBe(`put back in line: ${failedId}; not failed rows (left alone): 12345\n`);
    expect(retry.stderr).toBe('outbox: 1 of the ids given is not a failed outbox row\n');
    expect((await outboxCli(['list'])).stdout).toBe('no failed outbox events\n');

    const db = await openDb({ DATA_DIR: '.pier', DATABASE_URL: undefined, DATABASE_POOL_MAX: 1 }, { cwd });
    try {
      const { rows } = await db.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [orderId]);
      expect(rows).toEqual([{ status: 'placed' }]);
    } finally {
      await db.close();
    }
  });

  it('refuses bad usage with exit 2 and a running npm start with exit 1, in one line each', async () => {
    for (const args of [[], ['frobnicate'], ['retry'], ['retry', '--all', '1'], ['retry', 'abc'], ['list', '--max', '0']]) {
      const r = await outboxCli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/^outbox: [^\n]+\n$/);
    }
    expect((await outboxCli(['--help'])).stdout).toContain('Usage: npm run outbox');
    // The folder held by a live process (this one) as npm start holds it.
    await writeFile(join(cwd, '.pier', LOCK_FILE), `${process.pid}\n`);
    try {
      const held = await outboxCli(['list']);
      expect(held.code).toBe(1);
      expect(held.stderr).toBe(`outbox: .pier is in use by process ${process.pid} (npm start?): its embedded database takes one connection. Stop it and run this again, or set DATABASE_URL.\n`);
    } finally {
      await rm(join(cwd, '.pier', LOCK_FILE));
    }
  });
});
