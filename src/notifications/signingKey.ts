import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';

/** A new Standard Webhooks signing key: `whsec_` + 32 random bytes in base64. */
export const generateSigningKey = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * For local runs only: the key kept in `path` (mode 0600), created on first use so webhook receivers can keep
 * verifying across restarts. In AWS the key comes from Secrets Manager.
 */
export async function loadOrCreateSigningKey(path: string): Promise<string> {
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (/^whsec_[A-Za-z0-9+/=]{16,}$/.test(existing)) {
      await chmod(path, 0o600);
      return existing;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = generateSigningKey();
  await writeFile(path, `${key}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return key;
}
