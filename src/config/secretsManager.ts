import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from './errors.js';
import type { Layer } from './resolve.js';

/** The port the loader reads Secrets Manager through; the adapter below is the real SDK client. */
export interface SecretSource {
  /** The secret's current string value; throws ConfigError (CONFIG_SECRET_NOT_FOUND / _UNAVAILABLE). */
  getSecretString(secretId: string): Promise<string>;
}

export function secretsManagerSource(opts: { region: string; endpoint?: string | undefined }): SecretSource {
  const client = new SecretsManagerClient({ region: opts.region, ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) });
  return {
    async getSecretString(secretId) {
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
        if (out.SecretString === undefined) throw new Error('binary secret');
        return out.SecretString;
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'ResourceNotFoundException') {
          throw new ConfigError([{ code: 'CONFIG_SECRET_NOT_FOUND', source: `Secrets Manager secret ${secretId}`, message: `Secrets Manager secret ${secretId} does not exist (set by SECRETS_ID)` }]);
        }
        throw new ConfigError([{ code: 'CONFIG_SECRET_UNAVAILABLE', source: `Secrets Manager secret ${secretId}`, message: `cannot read Secrets Manager secret ${secretId}: ${name}` }]);
      }
    },
  };
}

/** Turns the secret's JSON object into a layer; strings, numbers and booleans are accepted as values. */
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
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values[key] = String(value);
    else throw new ConfigError([{ code: 'CONFIG_SECRET_NOT_JSON', key, source: name, message: `${key} in ${name} must be a string, number or boolean` }]);
  }
  return { name, values };
}
