import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { createLogger } from '../../src/log.js';

const PORTS = ['SERVICE_PORT', 'GATEWAY_PORT', 'IDENTITY_PORT', 'SQS_PORT', 'SECRETSMANAGER_PORT', 'CONSOLE_PORT'];

/**
 * `npm start`'s runtime for a test: every port 0, data in `<dir>/data`, run from `dir` so the repo's .env is not
 * read, and `env` in place of the developer's environment (no Docker secrets either).
 */
export function startTestRuntime(dir: string, env: Record<string, string> = {}): Promise<LocalRuntime> {
  const overrides: Record<string, string> = { DATA_DIR: join(dir, 'data') };
  for (const p of PORTS) overrides[p] = '0';
  return startLocalRuntime({ logger: createLogger({ level: 'silent' }), cwd: dir, env: { DOCKER_SECRETS_DIR: join(dir, 'no-secrets'), ...env }, overrides });
}

/** `endpoints.json` as the runtime started by `startTestRuntime(dir)` wrote it. */
export async function readEndpoints(dir: string): Promise<Record<string, string>> {
  return JSON.parse(await readFile(join(dir, 'data', 'endpoints.json'), 'utf8')) as Record<string, string>;
}
