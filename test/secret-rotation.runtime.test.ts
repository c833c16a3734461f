/**
 * Rotation rehearsed under `npm start` (the whole local runtime): RotateSecret on its Secrets Manager stand-in, with
 * the AWS SDK as the AWS CLI would send it, runs the webhook signing key's rotation function through the runtime's
 * Lambda Invoke stand-in, and the secret ends with a new key current and the old one carried for the overlap.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_ROTATION_FUNCTION, type LocalRuntime } from '../local/runtime.js';
import { generateSigningKey } from '../src/notifications/signingKey.js';
import { readEndpoints, startTestRuntime } from './support/runtime.js';
import { waitFor } from './support/waitFor.js';

let dir: string;
let runtime: LocalRuntime;
let sm: SecretsManagerClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-rotation-runtime-'));
  runtime = await startTestRuntime(dir);
  sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: runtime.endpoints.secretsmanager, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}, 90_000);
afterAll(async () => {
  sm?.destroy();
  await runtime?.close();
  await rm(dir, { recursive: true, force: true });
});

const current = async () => JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'pier/local' }))).SecretString!) as Record<string, string>;

describe('secret rotation under npm start', () => {
  it('lists the Lambda stand-in in endpoints.json and rotates the signing key through it', async () => {
    expect((await readEndpoints(dir)).lambda).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const oldKey = generateSigningKey();
    await sm.send(new CreateSecretCommand({ Name: 'pier/local', SecretString: JSON.stringify({ WEBHOOK_SIGNING_KEY: oldKey, LOG_LEVEL: 'info' }) }));
    await sm.send(
      new RotateSecretCommand({
        SecretId: 'pier/local',
        RotationLambdaARN: `arn:aws:lambda:us-east-1:000000000000:function:${LOCAL_ROTATION_FUNCTION}`,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    await waitFor('the rotated key', async () => (await current()).WEBHOOK_SIGNING_KEY !== oldKey, 15_000, 100);
    const after = await current();
    expect(after).toMatchObject({ WEBHOOK_SIGNING_KEY_PREVIOUS: oldKey, LOG_LEVEL: 'info' });
    expect(after.WEBHOOK_SIGNING_KEY).toMatch(/^whsec_/);
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'pier/local' }));
    expect(described.RotationEnabled).toBe(true);
    const versions = (await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'pier/local' }))).Versions ?? [];
    expect(versions.map((v) => v.VersionStages).sort()).toEqual([['AWSCURRENT'], ['AWSPREVIOUS']]);
  });
});
