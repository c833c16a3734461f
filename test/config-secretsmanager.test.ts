import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningPart } from '../local/part.js';
import { startSecretsManager } from '../local/secretsmanager/index.js';
import { ConfigError, createConfigStore, loadConfig, type Config, type ConfigStore } from '../src/config/index.js';
import { createLogger } from '../src/log.js';
import { configError } from './support/configError.js';

/** The Secrets Manager source through the real SDK against the local stand-in over HTTP. */
let dir: string;
let part: RunningPart;
let sm: SecretsManagerClient;
let store: ConfigStore | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-config-sm-'));
  await mkdir(join(dir, 'secrets'));
  part = await startSecretsManager({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), region: 'us-east-1', logger: createLogger({ level: 'silent' }) });
  sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: part.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});

afterEach(async () => {
  store?.close();
  store = undefined;
  sm.destroy();
  await part.close();
  await rm(dir, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({
  SECRETS_ID: 'pier/test',
  SECRETSMANAGER_ENDPOINT: part.url as string,
  DOCKER_SECRETS_DIR: join(dir, 'secrets'),
  ...extra,
});

const KEY_1 = 'whsec_Zmlyc3Qtc2lnbmluZy1rZXktMTIzNA==';
const KEY_2 = 'whsec_c2Vjb25kLXNpZ25pbmcta2V5LTU2Nzg=';

describe('Secrets Manager as a config source', () => {
  it('sits between Docker secrets and .env: env > Docker secrets > Secrets Manager > .env', async () => {
    await sm.send(
      new CreateSecretCommand({
        Name: 'pier/test',
        SecretString: JSON.stringify({ LOG_LEVEL: 'warn', SERVICE_PORT: 6003, WORKER_CONCURRENCY: 7, BODY_LIMIT_BYTES: '2048', WEBHOOK_SIGNING_KEY: KEY_1 }),
      }),
    );
    await writeFile(join(dir, '.env'), 'LOG_LEVEL=debug\nSERVICE_PORT=6004\nWORKER_CONCURRENCY=8\nBODY_LIMIT_BYTES=4096\nDATABASE_POOL_MAX=4\n');
    await writeFile(join(dir, 'secrets', 'SERVICE_PORT'), '6002');
    await writeFile(join(dir, 'secrets', 'WORKER_CONCURRENCY'), '9');
    const c = await loadConfig({ cwd: dir, env: env({ WORKER_CONCURRENCY: '11' }) });
    expect(c.WORKER_CONCURRENCY).toBe(11); // environment
    expect(c.SERVICE_PORT).toBe(6002); // Docker secret over Secrets Manager and .env
    expect(c.LOG_LEVEL).toBe('warn'); // Secrets Manager over .env
    expect(c.BODY_LIMIT_BYTES).toBe(2048); // Secrets Manager over .env
    expect(c.DATABASE_POOL_MAX).toBe(4); // only in .env
    expect(c.WEBHOOK_SIGNING_KEY?.reveal()).toBe(KEY_1);
    expect(JSON.stringify(c)).not.toContain(KEY_1);
  });

  it('is read in prod too (where .env is not), by ARN as well as by name', async () => {
    const { ARN } = await sm.send(new CreateSecretCommand({ Name: 'pier/prod', SecretString: JSON.stringify({ LOG_LEVEL: 'error' }) }));
    await writeFile(join(dir, '.env'), 'LOG_LEVEL=debug\n');
    const c = await loadConfig({ cwd: dir, env: env({ PIER_ENV: 'prod', SECRETS_ID: ARN as string }) });
    expect(c.LOG_LEVEL).toBe('error');
    expect(c.SECRETS_ID).toBe(ARN);
  });

  it('a missing secret stops start-up naming the secret and SECRETS_ID', async () => {
    const err = await configError(loadConfig({ cwd: dir, env: env() }));
    expect(err.code).toBe('CONFIG_SECRET_NOT_FOUND');
    expect(err.message).toBe('Secrets Manager secret pier/test does not exist (set by SECRETS_ID)');
  });

  it('a secret that is not a JSON object stops start-up without showing it', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'pier/test', SecretString: 'hunter2-plain-text' }));
    let err = await configError(loadConfig({ cwd: dir, env: env() }));
    expect(err.code).toBe('CONFIG_SECRET_NOT_JSON');
    expect(err.message).toBe('Secrets Manager secret pier/test is not a JSON object of setting names to values');

    await sm.send(new PutSecretValueCommand({ SecretId: 'pier/test', SecretString: '["hunter2"]' }));
    err = await configError(loadConfig({ cwd: dir, env: env() }));
    expect(err.code).toBe('CONFIG_SECRET_NOT_JSON');

    await sm.send(new PutSecretValueCommand({ SecretId: 'pier/test', SecretString: '{"DATABASE_URL":{"nested":"hunter2"}}' }));
    err = await configError(loadConfig({ cwd: dir, env: env() }));
    expect(err.issues[0]).toMatchObject({ code: 'CONFIG_SECRET_NOT_JSON', key: 'DATABASE_URL' });
    expect(err.message).not.toContain('hunter2');

    await sm.send(new PutSecretValueCommand({ SecretId: 'pier/test', SecretBinary: new Uint8Array([1, 2, 3]) }));
    err = await configError(loadConfig({ cwd: dir, env: env() }));
    expect(err.code).toBe('CONFIG_SECRET_NOT_JSON');
    expect(err.message).toContain('binary');
  });

  it('an invalid value inside the secret names the key and the secret, never the value', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'pier/test', SecretString: JSON.stringify({ DATABASE_URL: 'mysql://u:hunter2@h/db' }) }));
    const err = await configError(loadConfig({ cwd: dir, env: env() }));
    expect(err.issues[0]).toMatchObject({ code: 'CONFIG_INVALID', key: 'DATABASE_URL', source: 'Secrets Manager secret pier/test' });
    expect(err.message).not.toContain('hunter2');
  });

  it('an endpoint that does not answer gives a clear error', async () => {
    const down = 'http://127.0.0.1:1';
    const err = await configError(loadConfig({ cwd: dir, env: env({ SECRETSMANAGER_ENDPOINT: down }) }));
    expect(err.code).toBe('CONFIG_SECRET_UNAVAILABLE');
    expect(err.message).toMatch(/^cannot read Secrets Manager secret pier\/test: /);
  });
});

describe('createConfigStore picks up a rotated secret without a restart', () => {
  async function rotate(value: string): Promise<void> {
    await sm.send(new PutSecretValueCommand({ SecretId: 'pier/test', SecretString: JSON.stringify({ WEBHOOK_SIGNING_KEY: value, LOG_LEVEL: 'warn' }) }));
  }

  beforeEach(async () => {
    await sm.send(new CreateSecretCommand({ Name: 'pier/test', SecretString: JSON.stringify({ WEBHOOK_SIGNING_KEY: KEY_1, LOG_LEVEL: 'warn' }) }));
  });

  it('on demand, telling listeners only when something changed', async () => {
    store = await createConfigStore({ cwd: dir, env: env() });
    const seen: Config[] = [];
    store.onChange((c) => seen.push(c));
    const changedKeys: (readonly string[])[] = [];
    store.onChange((_c, keys) => changedKeys.push(keys));
    expect(store.get().WEBHOOK_SIGNING_KEY?.reveal()).toBe(KEY_1);

    await store.refresh();
    expect(seen).toHaveLength(0);

    await rotate(KEY_2);
    const next = await store.refresh();
    expect(next.WEBHOOK_SIGNING_KEY?.reveal()).toBe(KEY_2);
    expect(store.get()).toBe(next);
    expect(Object.isFrozen(next)).toBe(true);
    expect(seen).toHaveLength(1);
    // Only the rotated key: LOG_LEVEL came back with the same value.
    expect(changedKeys).toEqual([['WEBHOOK_SIGNING_KEY']]);
  });

  it('in the background, every SECRETS_REFRESH_SECONDS', async () => {
    const errors: Error[] = [];
    store = await createConfigStore({ cwd: dir, env: env({ SECRETS_REFRESH_SECONDS: '1' }), onRefreshError: (e) => errors.push(e) });
    const changed = new Promise<Config>((resolve) => store?.onChange(resolve));
    await rotate(KEY_2);
    const started = Date.now();
    const next = await changed;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(next.WEBHOOK_SIGNING_KEY?.reveal()).toBe(KEY_2);
    expect(store.get().WEBHOOK_SIGNING_KEY?.reveal()).toBe(KEY_2);
    expect(errors).toEqual([]);
  });

  it('keeps the last good config when a refresh fails, and reports the failure', async () => {
    const errors: Error[] = [];
    store = await createConfigStore({ cwd: dir, env: env({ SECRETS_REFRESH_SECONDS: '1' }), onRefreshError: (e) => errors.push(e) });
    await sm.send(new PutSecretValueCommand({ SecretId: 'pier/test', SecretString: 'not json' }));
    const err = await configError(store.refresh());
    expect(err.code).toBe('CONFIG_SECRET_NOT_JSON');
    expect(store.get().WEBHOOK_SIGNING_KEY?.reveal()).toBe(KEY_1);
    // The background refresh reports through onRefreshError rather than throwing into nowhere.
    await expect.poll(() => errors.length, { timeout: 5000 }).toBeGreaterThan(0);
    expect((errors[0] as ConfigError).code).toBe('CONFIG_SECRET_NOT_JSON');
  });

  it('works without SECRETS_ID (no Secrets Manager, nothing to poll)', async () => {
    store = await createConfigStore({ cwd: dir, env: { DOCKER_SECRETS_DIR: join(dir, 'secrets'), SECRETS_REFRESH_SECONDS: '1' } });
    expect(store.get().SECRETS_ID).toBeUndefined();
    expect((await store.refresh()).LOG_LEVEL).toBe('info');
  });
});
