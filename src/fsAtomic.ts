import { randomUUID } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';

/**
 * Writes `data` to a temporary file beside `path`, then renames it over `path`: a reader (or a crash) sees the old
 * file or the new one, never half of one. The file is 0600 whether it is new or replaced (it may hold keys or
 * secrets). Each call has its own temporary name, so two writes in flight cannot mix; callers that write often
 * chain their writes so an older state is never renamed over a newer one.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
}
