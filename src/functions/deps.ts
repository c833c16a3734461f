import { loadConfig, requireSetting } from '../config/index.js';
import { openPg } from '../db/pg.js';
import type { Queryable } from '../db/types.js';
import { createLogger, type Logger } from '../log.js';

/** What a handler needs: built once per Lambda container, or handed in by the local gateway's runner. */
export interface FunctionDeps {
  db: Queryable;
  logger: Logger;
}

export type DepsSource = FunctionDeps | (() => Promise<FunctionDeps>);

export const resolveDeps = (source: DepsSource): Promise<FunctionDeps> =>
  typeof source === 'function' ? source() : Promise.resolve(source);

let container: Promise<FunctionDeps> | undefined;

/**
 * The deps of a Lambda container, built on the first invocation and reused while the container lives: config from
 * the environment and Secrets Manager (SECRETS_ID, where DATABASE_URL is kept), then a small pg pool (a container
 * serves one request at a time). A failed build is retried by the next invocation, not cached.
 */
export function lambdaDeps(): Promise<FunctionDeps> {
  container ??= (async () => {
    const config = await loadConfig();
    const logger = createLogger({ level: config.LOG_LEVEL, name: 'lambda' });
    const url = requireSetting(config, 'DATABASE_URL');
    return { db: openPg({ connectionString: url.reveal(), poolMax: 2 }), logger };
  })().catch((err: unknown) => {
    container = undefined;
    throw err;
  });
  return container;
}
