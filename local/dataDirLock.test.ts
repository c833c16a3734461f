import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from './dataDirLock.js';

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes this pid into an owner-only lock file and removes it on release', async () => {
    const lock = await lockDataDir(dir);
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    expect((await stat(join(dir, LOCK_FILE))).mode & 0o777).toBe(0o600);
    await lock.release();
    await expect(stat(join(dir, LOCK_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
    await lock.release(); // idempotent
  });

  it('refuses a second claim while the first is held, and allows one after release', async () => {
    const first = await lockDataDir(dir);
    const refused = await lockDataDir(dir).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect(refused).toMatchObject({ code: 'DATA_DIR_IN_USE', pid: process.pid, dataDir: dir });
    await first.release();
    const again = await lockDataDir(dir);
    await again.release();
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    // A pid that surely is gone: a child that has already exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(join(dir, LOCK_FILE), `${gone.stdout}\n`);
    const lock = await lockDataDir(dir);
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    await lock.release();
  });

  it('takes over an empty or garbled lock file', async () => {
    await writeFile(join(dir, LOCK_FILE), 'not a pid');
    const lock = await lockDataDir(dir);
    await lock.release();
  });
});
