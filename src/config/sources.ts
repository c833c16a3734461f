import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDotenv } from './dotenv.js';
import { ConfigError } from './errors.js';
import type { Layer } from './resolve.js';
import { settings } from './schema.js';

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException)?.code === 'ENOENT';

export function environmentLayer(env: NodeJS.ProcessEnv): Layer {
  return { name: 'environment', values: env };
}

/** `.env` is optional: a missing file is an empty layer, a malformed one stops start-up. */
export async function dotenvLayer(path: string): Promise<Layer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return { name: path, values: {} };
    throw unreadable('CONFIG_DOTENV_UNREADABLE', path, err);
  }
  return { name: path, values: parseDotenv(text, path) };
}

/**
 * Docker secrets: one file per key, named as the key (Compose's `secrets:` mounts them under /run/secrets).
 * Only files named like a setting are read (own keys: a file called `constructor` is not a setting); one trailing
 * newline (which editors add) is dropped.
 */
export async function dockerSecretsLayer(dir: string): Promise<Layer> {
  const name = `Docker secrets in ${dir}`;
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if (isMissing(err)) return { name, values: {} };
    throw unreadable('CONFIG_SECRETS_DIR_UNREADABLE', dir, err);
  }
  const values: Record<string, string> = {};
  for (const key of entries.filter((e) => Object.hasOwn(settings, e))) {
    const file = join(dir, key);
    try {
      if (!(await stat(file)).isFile()) continue;
      values[key] = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw unreadable('CONFIG_SECRETS_DIR_UNREADABLE', file, err, key);
    }
  }
  return { name, values };
}

function unreadable(code: 'CONFIG_DOTENV_UNREADABLE' | 'CONFIG_SECRETS_DIR_UNREADABLE', path: string, err: unknown, key?: string) {
  const reason = (err as NodeJS.ErrnoException)?.code ?? 'unknown error';
  return new ConfigError([
    { code, source: path, ...(key ? { key } : {}), message: `cannot read ${key ? `${key} from ` : ''}${path} (${reason})` },
  ]);
}
