import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from './errors.js';
import { localCredentials } from './localCredentials.js';
import type { Layer } from './resolve.js';
import { BOOTSTRAP_KEYS } from './schema.js';

/** The port the loader reads Secrets Manager through; the adapter below is the real SDK client. */
export interface SecretSource {
  /** The secret's current string value; throws ConfigError (CONFIG_SECRET_NOT_FOUND / _NOT_JSON / _UNAVAILABLE). */
  getSecretString(secretId: string): Promise<string>;
  /** Releases the client's connections (a ConfigStore keeps one source for its whole life). */
  close?(): void;
}

export function secretsManagerSource(opts: { region: string; endpoint?: string | undefined }): SecretSource {
  const client = new SecretsManagerClient({
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...localCredentials(opts.endpoint),
  });
  return {
    async getSecretString(secretId) {
      const source = `Secrets Manager secret ${secretId}`;
      let out;
      try {
        out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      } catch (err) {
        const e = err as Error;
        if (e.name === 'ResourceNotFoundException') {
          throw new ConfigError([{ code: 'CONFIG_SECRET_NOT_FOUND', source, message: `${source} does not exist (set by SECRETS_ID)` }]);
        }
        // AWS's messages name the secret and the reason (access denied, marked for deletion), never its value.
        throw new ConfigError([{ code: 'CONFIG_SECRET_UNAVAILABLE', source, message: `cannot read ${source}: ${e.name}: ${e.message}` }]);
      }
      if (out.SecretString === undefined) {
        throw new ConfigError([{ code: 'CONFIG_SECRET_NOT_JSON', source, message: `${source} holds binary data, not a JSON object of setting names to values` }]);
      }
      return out.SecretString;
    },
    close: () => client.destroy(),
  };
}

/**
 * Turns the secret's JSON object into a layer; strings, numbers and booleans are accepted as values. Bootstrap keys
 * (SECRETS_ID, AWS_REGION, ...) are dropped: they decided how this secret was reached, so a different value inside
 * it could only make the final config disagree with what was actually read.
 */
export async function secretsManagerLayer(source: SecretSource, secretId: string): Promise<Layer> {
  const name = `Secrets Manager secret ${secretId}`;
  const text = await source.getSecretString(secretId);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([{ code: 'CONFIG_SECRET_NOT_JSON', source: name, message: `${name} is not a JSON object of setting names to values` }]);
  }
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if ((BOOTSTRAP_KEYS as readonly string[]).includes(key)) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values[key] = String(value);
    else throw new ConfigError([{ code: 'CONFIG_SECRET_NOT_JSON', key, source: name, message: `${key} in ${name} must be a string, number or boolean` }]);
  }
  return { name, values };
}
