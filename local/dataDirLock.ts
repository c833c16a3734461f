import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Another live process (or another runtime in this one) owns the data folder. */
export class DataDirInUseError extends Error {
  readonly code = 'DATA_DIR_IN_USE';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`${dataDir} is in use by process ${pid}`);
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  /** Removes the lock file (idempotent). */
  release(): Promise<void>;
}

export const LOCK_FILE = 'pier.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims DATA_DIR for this process with an exclusive lock file holding its pid. Two `npm start`s on one data
 * folder (say with different ports) would each open the same embedded database, queue journal and user store and
 * corrupt them; the second one is refused instead. A lock left by a process that no longer runs (a crash, kill -9)
 * is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o600);
      try {
        await fh.writeFile(`${process.pid}\n`);
      } finally {
        await fh.close();
      }
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await unlink(file).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      // A lock held by this very process is in use too: another runtime here has the folder open.
      if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid)) throw new DataDirInUseError(dataDir, pid);
      await unlink(file).catch(() => undefined); // stale (its process is gone) or unreadable: take it over
    }
  }
}
