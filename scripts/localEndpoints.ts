import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What `npm start` recorded in `<dataDir>/endpoints.json`: base URLs by part name (service, gateway, identity, sqs,
 * secretsmanager, ...) plus plain client settings. Empty when it has not run here or the file is unreadable: the
 * scripts then fall back to their flags, the environment or AWS.
 */
export async function readLocalEndpoints(dataDir: string): Promise<Readonly<Record<string, unknown>>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** One entry of `readLocalEndpoints`, when it is a string. */
export const endpointString = (endpoints: Readonly<Record<string, unknown>>, key: string): string | undefined =>
  typeof endpoints[key] === 'string' ? endpoints[key] : undefined;
