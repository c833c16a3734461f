import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLambdaInvoke } from '../local/lambda/index.js';
import type { RunningPart } from '../local/part.js';
import { startSecretsManager } from '../local/secretsmanager/index.js';
import type { RotationEvent } from '../local/secretsmanager/store.js';
import { createConfigStore, type ConfigStore } from '../src/config/index.js';
import { createLogger } from '../src/log.js';
import { createLambdaWebhookSender, lambdaClientFromConfig } from '../src/notifications/lambdaSender.js';
import { createLiveWebhookSender } from '../src/notifications/liveSender.js';
import { createRotationHandler } from '../src/notifications/rotateSigningKey.js';
import type { WebhookSender } from '../src/notifications/webhook.js';
import { createWebhookFunctionHandler } from '../src/notifications/webhookFunction.js';
import { startReceiver, verifies, type Receiver } from './support/webhooks.js';
import { waitFor } from './support/waitFor.js';
import { failure } from './support/failure.js';

/*
 * Issue 12, item 4: the webhook signing key rotated the way AWS rotates it, end to end on one machine. RotateSecret
 * (real @aws-sdk/client-secrets-manager) on the local Secrets Manager, which invokes the rotation function's four
 * steps through the Lambda Invoke API (real @aws-sdk/client-lambda) on local/lambda, which runs
 * src/notifications/rotateSigningKey.ts in this process against the same Secrets Manager. Running senders (the
 * worker's direct sender and the webhook-sender function, both on a ConfigStore refreshing every second) pick the new
 * key up without a restart and sign with both keys across the rotation.
 */
const KEY_0 = 'whsec_MDAwMC1pbml0aWFsLXNpZ25pbmcta2V5LTAwMDA=';
const ROTATOR = 'pier-rotate-signing-key';
const ROTATOR_ARN = `arn:aws:lambda:us-east-1:000000000000:function:${ROTATOR}`;
const SECRET = 'pier/webhook-signing-key';
const logger = createLogger({ level: 'silent' });

let dir: string;
let sm: RunningPart;
let lambda: RunningPart;
let client: SecretsManagerClient;
let fnClient: SecretsManagerClient;
let lambdaClient: LambdaClient;
let store: ConfigStore;
let direct: WebhookSender;
let viaFunction: WebhookSender;
let receiver: Receiver;
const events: RotationEvent[] = [];
/** Steps the failing rotation function was asked to run. */
const brokenSteps: string[] = [];

const smOptions = (url: string) => ({ region: 'us-east-1', endpoint: url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const secretJson = async (opts: { VersionId?: string; VersionStage?: string } = {}) =>
  JSON.parse((await client.send(new GetSecretValueCommand({ SecretId: SECRET, ...opts }))).SecretString!) as Record<string, string>;
const stagesOf = async (id = SECRET) =>
  Object.fromEntries(((await client.send(new ListSecretVersionIdsCommand({ SecretId: id }))).Versions ?? []).map((v) => [v.VersionId!, v.VersionStages]));
const until = (event: RotationEvent['event'], versionId: string) =>
  waitFor(`${event} for ${versionId}`, async () => events.find((e) => e.event === event && e.versionId === versionId));

async function sendOne(send: WebhookSender) {
  const id = randomUUID();
  const body = JSON.stringify({ type: 'order.placed', version: 1, id });
  expect(await send(receiver.url, id, body)).toEqual({ status: 'delivered', httpStatus: 204 });
  return receiver.calls.find((c) => c.headers['webhook-id'] === id)!;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-secret-rotation-'));
  // The Lambda stand-in first (Secrets Manager must know where to invoke); the rotation function's own SDK client is
  // made on first use, once Secrets Manager's URL is known, as SECRETSMANAGER_ENDPOINT would give it in a local run.
  const rotate = createRotationHandler(() => (fnClient ??= new SecretsManagerClient(smOptions(sm.url as string))));
  const webhookHandler = createWebhookFunctionHandler(async () => ({ current: store.get, logger }));
  lambda = await startLambdaInvoke({
    host: '127.0.0.1',
    port: 0,
    logger,
    functions: {
      [ROTATOR]: rotate,
      'pier-webhook-sender': webhookHandler,
      // A rotation function whose testSecret step fails: what a bad pending value looks like to Secrets Manager.
      'broken-rotator': async (event) => {
        const step = (event as { Step: string }).Step;
        brokenSteps.push(step);
        if (step === 'testSecret') throw new TypeError('the pending key does not sign');
        return rotate(event);
      },
    },
  });
  sm = await startSecretsManager({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'sm'), region: 'us-east-1', logger, lambdaEndpoint: lambda.url, onRotationEvent: (e) => events.push(e) });
  client = new SecretsManagerClient({ ...smOptions(sm.url as string), maxAttempts: 1 });
  // The secret holds other settings too; a rotation keeps them.
  await client.send(new CreateSecretCommand({ Name: SECRET, SecretString: JSON.stringify({ WEBHOOK_SIGNING_KEY: KEY_0, WEBHOOK_TIMEOUT_MS: '2000' }) }));

  store = await createConfigStore({
    env: {
      PIER_ENV: 'test',
      ENV_FILE: '/nonexistent/.env',
      DOCKER_SECRETS_DIR: '/nonexistent/secrets',
      SECRETS_ID: SECRET,
      SECRETS_REFRESH_SECONDS: '1',
      SECRETSMANAGER_ENDPOINT: sm.url as string,
      WEBHOOK_ALLOW_LOOPBACK: 'true',
      LOG_LEVEL: 'silent',
    },
  });
  direct = createLiveWebhookSender(store.get);
  lambdaClient = lambdaClientFromConfig({ AWS_REGION: 'us-east-1', LAMBDA_ENDPOINT: lambda.url, WEBHOOK_TIMEOUT_MS: 2000 });
  viaFunction = createLambdaWebhookSender({ client: lambdaClient, functionName: 'pier-webhook-sender' });
  receiver = await startReceiver();
});

afterAll(async () => {
  store?.close();
  client?.destroy();
  fnClient?.destroy();
  lambdaClient?.destroy();
  await receiver?.close();
  await sm?.close();
  await lambda?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('rotating the webhook signing key through Secrets Manager and Lambda (local stand-ins)', () => {
  let key1: string;
  let v0: string;
  let v1: string;

  it('signs with the one key before any rotation', async () => {
    const got = await sendOne(direct);
    expect(verifies(got, KEY_0)).toBe(true);
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(1);
    const d = await client.send(new DescribeSecretCommand({ SecretId: SECRET }));
    expect(d.RotationEnabled).toBe(false);
    v0 = Object.keys(d.VersionIdsToStages!)[0]!;
  });

  it('RotateSecret starts the four steps; AWSCURRENT moves to the new version, the old one becomes AWSPREVIOUS', async () => {
    const out = await client.send(new RotateSecretCommand({ SecretId: SECRET, RotationLambdaARN: ROTATOR_ARN, RotationRules: { AutomaticallyAfterDays: 30 } }));
    v1 = out.VersionId!;
    expect(v1).toMatch(/^[0-9a-f-]{36}$/);
    await until('RotationSucceeded', v1);
    expect(events.filter((e) => e.versionId === v1).map((e) => e.event)).toEqual(['RotationStarted', 'RotationSucceeded']);

    const d = await client.send(new DescribeSecretCommand({ SecretId: SECRET }));
    expect(d).toMatchObject({ RotationEnabled: true, RotationLambdaARN: ROTATOR_ARN, RotationRules: { AutomaticallyAfterDays: 30 } });
    expect(d.VersionIdsToStages).toEqual({ [v0]: ['AWSPREVIOUS'], [v1]: ['AWSCURRENT'] });
    expect(Date.now() - d.LastRotatedDate!.getTime()).toBeLessThan(10_000);
    expect((d.NextRotationDate!.getTime() - d.LastRotatedDate!.getTime()) / 86_400_000).toBeCloseTo(30, 3);
    expect(await stagesOf()).toEqual({ [v0]: ['AWSPREVIOUS'], [v1]: ['AWSCURRENT'] });

    const now = await secretJson();
    key1 = now.WEBHOOK_SIGNING_KEY!;
    expect(key1).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(now).toEqual({ WEBHOOK_SIGNING_KEY: key1, WEBHOOK_SIGNING_KEY_PREVIOUS: KEY_0, WEBHOOK_TIMEOUT_MS: '2000' });
    expect((await secretJson({ VersionStage: 'AWSPREVIOUS' })).WEBHOOK_SIGNING_KEY).toBe(KEY_0);
    expect((await secretJson({ VersionId: v1 })).WEBHOOK_SIGNING_KEY).toBe(key1);
  });

  it('running senders pick up the new key by their own refresh, and sign with both: old and new receivers verify', async () => {
    // No refresh() call: the store's 1 s timer, as SECRETS_REFRESH_SECONDS in a running worker or function.
    await waitFor('the store to see the rotated key', async () => store.get().WEBHOOK_SIGNING_KEY?.reveal() === key1);
    for (const send of [direct, viaFunction]) {
      const got = await sendOne(send);
      expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(verifies(got, KEY_0)).toBe(true); // a receiver that still has the old key
      expect(verifies(got, key1)).toBe(true); // a receiver already given the new one
    }
  });

  it('is idempotent: the same ClientRequestToken again changes nothing, at RotateSecret or at any step', async () => {
    const again = await client.send(new RotateSecretCommand({ SecretId: SECRET, ClientRequestToken: v1 }));
    expect(again.VersionId).toBe(v1);
    const rotate = createRotationHandler(() => client);
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await rotate({ Step, SecretId: SECRET, ClientRequestToken: v1 });
    expect(await stagesOf()).toEqual({ [v0]: ['AWSPREVIOUS'], [v1]: ['AWSCURRENT'] });
    expect((await secretJson()).WEBHOOK_SIGNING_KEY).toBe(key1);
  });

  it('a second rotation drops the oldest key (and its version); the settings stay', async () => {
    const { VersionId: v2 } = await client.send(new RotateSecretCommand({ SecretId: SECRET })); // function and rules as stored
    // Right after the answer, before createSecret has run, the new version exists, labelled AWSPENDING.
    expect((await stagesOf())[v2!]).toEqual(['AWSPENDING']);
    await until('RotationSucceeded', v2!);
    expect(await stagesOf()).toEqual({ [v1]: ['AWSPREVIOUS'], [v2!]: ['AWSCURRENT'] });
    const now = await secretJson();
    expect(now.WEBHOOK_SIGNING_KEY_PREVIOUS).toBe(key1);
    expect(Object.values(now)).not.toContain(KEY_0);
    expect(now.WEBHOOK_TIMEOUT_MS).toBe('2000');

    await waitFor('the store to see the second key', async () => store.get().WEBHOOK_SIGNING_KEY?.reveal() === now.WEBHOOK_SIGNING_KEY);
    const got = await sendOne(direct);
    expect(verifies(got, now.WEBHOOK_SIGNING_KEY!)).toBe(true);
    expect(verifies(got, key1)).toBe(true);
    expect(verifies(got, KEY_0)).toBe(false);
  });

  it('persists rotation settings in the state file', async () => {
    const state = JSON.parse(await readFile(join(dir, 'sm', 'secretsmanager.json'), 'utf8')) as { secrets: { name: string; rotation?: object }[] };
    expect(state.secrets.find((s) => s.name === SECRET)?.rotation).toMatchObject({ enabled: true, lambdaArn: ROTATOR_ARN, rules: { AutomaticallyAfterDays: 30 } });
  });
});

describe('a failing rotation, as AWS reports it', () => {
  const ID = 'pier/broken';
  const BROKEN_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:broken-rotator';

  it('RotateSecret succeeds; the failure is a RotationFailed event; AWSPENDING stays and blocks the next RotateSecret', async () => {
    await client.send(new CreateSecretCommand({ Name: ID, SecretString: JSON.stringify({ WEBHOOK_SIGNING_KEY: KEY_0 }) }));
    const { VersionId } = await client.send(new RotateSecretCommand({ SecretId: ID, RotationLambdaARN: BROKEN_ARN, RotationRules: { ScheduleExpression: 'rate(4 hours)' } }));
    const failed = await until('RotationFailed', VersionId!);
    expect(failed).toMatchObject({ step: 'testSecret', error: 'TypeError: the pending key does not sign' });
    // The whole rotation was tried twice (AWS retries the entire rotation process) and never reached finishSecret.
    expect(brokenSteps).toEqual(['createSecret', 'setSecret', 'testSecret', 'createSecret', 'setSecret', 'testSecret']);

    const stages = await stagesOf(ID);
    expect(stages[VersionId!]).toEqual(['AWSPENDING']);
    expect(Object.values(stages)).toContainEqual(['AWSCURRENT']);
    const current = JSON.parse((await client.send(new GetSecretValueCommand({ SecretId: ID }))).SecretString!) as Record<string, string>;
    expect(current.WEBHOOK_SIGNING_KEY).toBe(KEY_0);
    const pending = await client.send(new GetSecretValueCommand({ SecretId: ID, VersionStage: 'AWSPENDING' }));
    expect(pending.VersionId).toBe(VersionId);
    expect(JSON.parse(pending.SecretString!)).toMatchObject({ WEBHOOK_SIGNING_KEY_PREVIOUS: KEY_0 });

    expect(await failure(client.send(new RotateSecretCommand({ SecretId: ID, RotationLambdaARN: ROTATOR_ARN })))).toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining("previous rotation isn't complete"),
    });

    // The way out AWS documents: remove AWSPENDING from that version, then rotate again (here with a working function).
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: ID, VersionStage: 'AWSPENDING', RemoveFromVersionId: VersionId }));
    expect(Object.keys(await stagesOf(ID))).not.toContain(VersionId);
    const ok = await client.send(new RotateSecretCommand({ SecretId: ID, RotationLambdaARN: ROTATOR_ARN }));
    await until('RotationSucceeded', ok.VersionId!);
    const d = await client.send(new DescribeSecretCommand({ SecretId: ID }));
    expect(d.RotationRules).toEqual({ ScheduleExpression: 'rate(4 hours)' });
    expect((d.NextRotationDate!.getTime() - d.LastRotatedDate!.getTime()) / 3_600_000).toBeCloseTo(4, 3);
  });

  it('UpdateSecretVersionStage follows AWS rules; CancelRotateSecret turns rotation off', async () => {
    const stages = await stagesOf(ID);
    const current = Object.keys(stages).find((k) => stages[k]!.includes('AWSCURRENT'))!;
    const previous = Object.keys(stages).find((k) => stages[k]!.includes('AWSPREVIOUS'))!;
    // AWSCURRENT is attached elsewhere: moving it needs RemoveFromVersionId naming that version.
    expect(await failure(client.send(new UpdateSecretVersionStageCommand({ SecretId: ID, VersionStage: 'AWSCURRENT', MoveToVersionId: previous })))).toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(await failure(client.send(new UpdateSecretVersionStageCommand({ SecretId: ID, VersionStage: 'AWSCURRENT', RemoveFromVersionId: current })))).toMatchObject({
      name: 'InvalidParameterException',
    });
    // Rolling back: AWSCURRENT to the previous version; the one it left becomes AWSPREVIOUS.
    await client.send(new UpdateSecretVersionStageCommand({ SecretId: ID, VersionStage: 'AWSCURRENT', MoveToVersionId: previous, RemoveFromVersionId: current }));
    expect(await stagesOf(ID)).toEqual({ [previous]: ['AWSCURRENT'], [current]: ['AWSPREVIOUS'] });

    await client.send(new CancelRotateSecretCommand({ SecretId: ID }));
    const d = await client.send(new DescribeSecretCommand({ SecretId: ID }));
    expect(d.RotationEnabled).toBe(false);
    expect(d.NextRotationDate).toBeUndefined();
    expect(d.RotationLambdaARN).toBe(ROTATOR_ARN);
  });

  it('refuses RotateSecret without a function, and an unknown function fails the rotation, not the call', async () => {
    await client.send(new CreateSecretCommand({ Name: 'pier/none', SecretString: '{}' }));
    expect(await failure(client.send(new RotateSecretCommand({ SecretId: 'pier/none' })))).toMatchObject({ name: 'InvalidRequestException' });
    const { VersionId } = await client.send(new RotateSecretCommand({ SecretId: 'pier/none', RotationLambdaARN: 'arn:aws:lambda:us-east-1:000000000000:function:nope' }));
    expect((await until('RotationFailed', VersionId!)).step).toBe('createSecret');
  });
});
