import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../local/runtime.js';
import { readEndpoints, startTestRuntime } from './support/runtime.js';

/** `npm start`'s runtime with every port 0 and a temp data folder, isolated from the developer's env and .env. */
let dir: string;
let runtime: LocalRuntime | undefined;

const start = (env: Record<string, string> = {}) => startTestRuntime(dir, env);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-runtime-'));
});

afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await rm(dir, { recursive: true, force: true });
});

// A start brings up every part (embedded Postgres included): several seconds each on two busy cores.
describe('local runtime (npm start)', { timeout: 90_000 }, () => {
  it('serves /healthz and writes endpoints.json with the service and the Secrets Manager stand-in', async () => {
    runtime = await start();
    const endpoints = await readEndpoints(dir);
    expect(endpoints.service).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints.secretsmanager).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints).toEqual(expect.objectContaining(runtime.endpoints));
    expect((await stat(join(dir, 'data', 'endpoints.json'))).mode & 0o777).toBe(0o600);

    const health = await fetch(`${endpoints.service}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    // The stand-in answers the AWS SDK, and the roles were pointed at it.
    expect(runtime.config.SECRETSMANAGER_ENDPOINT).toBe(endpoints.secretsmanager);
    const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: endpoints.secretsmanager, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const created = await sm.send(new CreateSecretCommand({ Name: 'pier/local', SecretString: '{}' }));
      expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:pier\/local-/);
    } finally {
      sm.destroy();
    }
  });

  it('reads SECRETS_ID from its own stand-in, whose secrets survive a restart', async () => {
    runtime = await start();
    const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: runtime.endpoints.secretsmanager, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      await sm.send(new CreateSecretCommand({ Name: 'pier/local', SecretString: JSON.stringify({ WORKER_CONCURRENCY: '3' }) }));
    } finally {
      sm.destroy();
    }
    await runtime.close();
    runtime = undefined;

    runtime = await start({ SECRETS_ID: 'pier/local' });
    expect(runtime.config.WORKER_CONCURRENCY).toBe(3);
  });

  it('stops with a clear error when SECRETS_ID names a secret it does not have', async () => {
    await expect(start({ SECRETS_ID: 'pier/absent' })).rejects.toMatchObject({ code: 'CONFIG_SECRET_NOT_FOUND' });
  });
});
