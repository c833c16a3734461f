import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { RunningPart } from '../part.js';
import { startSecretsManager } from './index.js';

const logger = createLogger({ level: 'silent' });
let dataDir: string;
let part: RunningPart;
let sm: SecretsManagerClient;

async function start(): Promise<void> {
  part = await startSecretsManager({ host: '127.0.0.1', port: 0, dataDir, region: 'eu-west-1', logger });
  sm = new SecretsManagerClient({
    region: 'eu-west-1',
    endpoint: part.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

async function stop(): Promise<void> {
  sm.destroy();
  await part.close();
}

/** The AWS error name and HTTP status the SDK reports for a failed call. */
async function failure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'pier-sm-'));
  await start();
});

afterEach(async () => {
  await stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('Secrets Manager stand-in through @aws-sdk/client-secrets-manager', () => {
  it('creates a secret with an AWS-shaped ARN and reads it by name, full ARN and partial ARN', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'pier/dev', SecretString: '{"A":"1"}', Description: 'test' }));
    expect(created.Name).toBe('pier/dev');
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:eu-west-1:000000000000:secret:pier\/dev-[A-Za-z0-9]{6}$/);
    expect(created.VersionId).toBeTruthy();

    for (const id of ['pier/dev', created.ARN!, created.ARN!.slice(0, -7)]) {
      const got = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      expect(got.SecretString).toBe('{"A":"1"}');
      expect(got.VersionStages).toEqual(['AWSCURRENT']);
      expect(got.CreatedDate).toBeInstanceOf(Date);
    }
  });

  it('moves AWSCURRENT/AWSPREVIOUS on PutSecretValue and serves versions by stage and id', async () => {
    const v1 = await sm.send(new CreateSecretCommand({ Name: 'rot', SecretString: 'one' }));
    const v2 = await sm.send(new PutSecretValueCommand({ SecretId: 'rot', SecretString: 'two' }));
    expect(v2.VersionStages).toEqual(['AWSCURRENT']);
    const v3 = await sm.send(new PutSecretValueCommand({ SecretId: 'rot', SecretString: 'three' }));

    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'rot' }))).SecretString).toBe('three');
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'rot', VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('two');
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'rot', VersionId: v2.VersionId }))).SecretString).toBe('two');
    // v1 lost its last label when v3 became current, so it is gone.
    expect((await failure(sm.send(new GetSecretValueCommand({ SecretId: 'rot', VersionId: v1.VersionId })))).name).toBe('ResourceNotFoundException');

    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'rot' }));
    expect(described.VersionIdsToStages).toEqual({ [v2.VersionId!]: ['AWSPREVIOUS'], [v3.VersionId!]: ['AWSCURRENT'] });
    expect(described.RotationEnabled).toBe(false);
  });

  it('treats a retried PutSecretValue (same token, same value) as one version and refuses a changed one', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'idem', SecretString: 'a' }));
    const token = 'c0ffee00-0000-4000-8000-000000000001';
    const first = await sm.send(new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'b', ClientRequestToken: token }));
    const again = await sm.send(new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'b', ClientRequestToken: token }));
    expect(again.VersionId).toBe(first.VersionId);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'idem', VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('a');
    const changed = await failure(sm.send(new PutSecretValueCommand({ SecretId: 'idem', SecretString: 'c', ClientRequestToken: token })));
    expect(changed.name).toBe('ResourceExistsException');
  });

  it('keeps binary secrets binary', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    await sm.send(new CreateSecretCommand({ Name: 'bin', SecretBinary: bytes }));
    const got = await sm.send(new GetSecretValueCommand({ SecretId: 'bin' }));
    expect(got.SecretString).toBeUndefined();
    expect([...(got.SecretBinary ?? [])]).toEqual([...bytes]);
  });

  it("answers with AWS's error codes in the JSON error shape", async () => {
    await sm.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'x' }));
    expect(await failure(sm.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'y' })))).toMatchObject({ name: 'ResourceExistsException', status: 400 });
    expect(await failure(sm.send(new GetSecretValueCommand({ SecretId: 'nope' })))).toMatchObject({ name: 'ResourceNotFoundException', status: 400 });
    expect(await failure(sm.send(new GetSecretValueCommand({ SecretId: 'dup', VersionStage: 'AWSPREVIOUS' })))).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(await failure(sm.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: 'x' })))).toMatchObject({ name: 'InvalidParameterException' });
    expect(
      await failure(sm.send(new CreateSecretCommand({ Name: 'both', SecretString: 'x', SecretBinary: new Uint8Array([1]) }))),
    ).toMatchObject({ name: 'InvalidParameterException' });
    expect(
      await failure(sm.send(new DeleteSecretCommand({ SecretId: 'dup', ForceDeleteWithoutRecovery: true, RecoveryWindowInDays: 7 }))),
    ).toMatchObject({ name: 'InvalidParameterException' });
    expect(await failure(sm.send(new DeleteSecretCommand({ SecretId: 'dup', RecoveryWindowInDays: 3 })))).toMatchObject({ name: 'InvalidParameterException' });
    // A secret with no value yet has no AWSCURRENT version.
    await sm.send(new CreateSecretCommand({ Name: 'empty' }));
    expect(await failure(sm.send(new GetSecretValueCommand({ SecretId: 'empty' })))).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('schedules deletion with a recovery window, can restore, and force-deletes at once', async () => {
    await sm.send(new CreateSecretCommand({ Name: 'gone', SecretString: 'x' }));
    const del = await sm.send(new DeleteSecretCommand({ SecretId: 'gone', RecoveryWindowInDays: 7 }));
    const days = (del.DeletionDate!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
    expect(await failure(sm.send(new GetSecretValueCommand({ SecretId: 'gone' })))).toMatchObject({ name: 'InvalidRequestException' });
    expect(await failure(sm.send(new PutSecretValueCommand({ SecretId: 'gone', SecretString: 'y' })))).toMatchObject({ name: 'InvalidRequestException' });
    expect(await failure(sm.send(new CreateSecretCommand({ Name: 'gone', SecretString: 'y' })))).toMatchObject({ name: 'InvalidRequestException' });
    expect((await sm.send(new DescribeSecretCommand({ SecretId: 'gone' }))).DeletedDate).toBeInstanceOf(Date);
    expect((await sm.send(new ListSecretsCommand({}))).SecretList?.map((s) => s.Name)).toEqual([]);
    expect((await sm.send(new ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList?.map((s) => s.Name)).toEqual(['gone']);

    await sm.send(new RestoreSecretCommand({ SecretId: 'gone' }));
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'gone' }))).SecretString).toBe('x');

    await sm.send(new DeleteSecretCommand({ SecretId: 'gone', ForceDeleteWithoutRecovery: true }));
    expect(await failure(sm.send(new DescribeSecretCommand({ SecretId: 'gone' })))).toMatchObject({ name: 'ResourceNotFoundException' });
    // The name is free again at once.
    await sm.send(new CreateSecretCommand({ Name: 'gone', SecretString: 'new' }));
  });

  it('lists with name filters and pages with NextToken', async () => {
    for (const n of ['app/a', 'app/b', 'app/c', 'other']) await sm.send(new CreateSecretCommand({ Name: n, SecretString: 'v', Tags: [{ Key: 'team', Value: n }] }));
    const filtered = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['app/'] }] }));
    expect(filtered.SecretList?.map((s) => s.Name)).toEqual(['app/a', 'app/b', 'app/c']);
    expect(filtered.SecretList?.[0]?.SecretVersionsToStages).toBeDefined();

    const names: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await sm.send(new ListSecretsCommand({ MaxResults: 3, NextToken }));
      names.push(...(page.SecretList ?? []).map((s) => s.Name!));
      NextToken = page.NextToken;
      pages++;
    } while (NextToken);
    expect(pages).toBe(2);
    expect(names.sort()).toEqual(['app/a', 'app/b', 'app/c', 'other']);
    expect(await failure(sm.send(new ListSecretsCommand({ NextToken: 'garbage' })))).toMatchObject({ name: 'InvalidNextTokenException' });
  });

  it('keeps secrets across a restart in a 0600 state file', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'kept', SecretString: 's1' }));
    await sm.send(new PutSecretValueCommand({ SecretId: 'kept', SecretString: 's2' }));
    await stop();

    const file = join(dataDir, 'secretsmanager.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8')).secrets).toHaveLength(1);

    await start();
    const got = await sm.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    expect(got.SecretString).toBe('s2');
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'kept', VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('s1');
  });
});

describe('Secrets Manager stand-in over raw HTTP', () => {
  const post = (target: string | undefined, body: string, headers: Record<string, string> = {}) =>
    fetch(`${part.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', ...(target ? { 'x-amz-target': target } : {}), ...headers },
      body,
    });

  it('works without an Authorization header', async () => {
    const res = await post('secretsmanager.CreateSecret', JSON.stringify({ Name: 'raw', SecretString: 'v' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await res.json()).toMatchObject({ Name: 'raw' });
  });

  it('refuses bad JSON, unknown actions and a missing target with __type and message', async () => {
    const bad = await post('secretsmanager.GetSecretValue', '{not json');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ __type: 'SerializationException', message: expect.any(String) });

    const unknown = await post('secretsmanager.ReplicateSecretToRegions', '{}');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });

    const none = await post(undefined, '{}');
    expect(none.status).toBe(400);
    expect(((await none.json()) as { __type: string }).__type).toBe('UnknownOperationException');

    const missing = await post('secretsmanager.GetSecretValue', '{}');
    expect(missing.status).toBe(400);
    const body = (await missing.json()) as { __type: string; message: string };
    expect(body).toMatchObject({ __type: 'InvalidParameterException' });
    expect(body.message).toContain('SecretId');
  });

  it('answers a body over 256 KiB with 413 and closes that connection', async () => {
    const res = await post('secretsmanager.CreateSecret', JSON.stringify({ Name: 'huge', SecretString: 'y'.repeat(300 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.json()).toMatchObject({ __type: 'InvalidRequestException', message: expect.stringContaining('262144 bytes') });
    expect((await post('secretsmanager.ListSecrets', '{}')).status).toBe(200);
  });

  it('never echoes a secret value in an error', async () => {
    const value = 'x'.repeat(70_000);
    const res = await post('secretsmanager.CreateSecret', JSON.stringify({ Name: 'big', SecretString: value }));
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('InvalidParameterException');
    expect(text).not.toContain('xxxxxxxxxx');
  });
});
