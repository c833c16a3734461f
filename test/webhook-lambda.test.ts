import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLambdaInvoke } from '../local/lambda/index.js';
import type { RunningPart } from '../local/part.js';
import { startSecretsManager } from '../local/secretsmanager/index.js';
import { createConfigStore, type ConfigStore } from '../src/config/index.js';
import { createLogger } from '../src/log.js';
import { createLambdaWebhookSender, lambdaClientFromConfig } from '../src/notifications/lambdaSender.js';
import type { WebhookSender } from '../src/notifications/webhook.js';
import { createWebhookFunctionHandler } from '../src/notifications/webhookFunction.js';
import { startReceiver, verifies, type Receiver } from './support/webhooks.js';

/*
 * The worker's Lambda adapter through the real @aws-sdk/client-lambda against local/lambda (a local stand-in for
 * Lambda's Invoke API: it MOCKS AWS Lambda), which runs the real webhook-sender handler in this process. The handler
 * reads WEBHOOK_SIGNING_KEY from a ConfigStore over the local Secrets Manager, and POSTs to a real HTTP receiver.
 */
const KEY_1 = 'whsec_Zmlyc3Qtc2lnbmluZy1rZXktMTIzNA==';
const KEY_2 = 'whsec_c2Vjb25kLXNpZ25pbmcta2V5LTU2Nzg=';
const FN = 'pier-test-webhook-sender';
const logger = createLogger({ level: 'silent' });

let dir: string;
let sm: RunningPart;
let smClient: SecretsManagerClient;
let store: ConfigStore;
let lambda: RunningPart;
let client: LambdaClient;
let send: WebhookSender;
let receiver: Receiver;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-webhook-lambda-'));
  sm = await startSecretsManager({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'sm'), region: 'us-east-1', logger });
  smClient = new SecretsManagerClient({ region: 'us-east-1', endpoint: sm.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await smClient.send(new CreateSecretCommand({ Name: 'pier/app', SecretString: JSON.stringify({ WEBHOOK_SIGNING_KEY: KEY_1 }) }));
  // The function's own configuration, as in AWS: SECRETS_ID names the app secret; loopback allowed for the local receiver.
  store = await createConfigStore({
    env: {
      PIER_ENV: 'test',
      ENV_FILE: '/nonexistent/.env',
      DOCKER_SECRETS_DIR: '/nonexistent/secrets',
      SECRETS_ID: 'pier/app',
      SECRETSMANAGER_ENDPOINT: sm.url as string,
      WEBHOOK_ALLOW_LOOPBACK: 'true',
      WEBHOOK_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'silent',
    },
  });
  const handler = createWebhookFunctionHandler(async () => ({ current: store.get, logger }));
  lambda = await startLambdaInvoke({
    host: '127.0.0.1',
    port: 0,
    functions: {
      [FN]: handler,
      broken: async () => {
        throw new TypeError('boom');
      },
    },
    logger,
  });
  client = lambdaClientFromConfig({ AWS_REGION: 'us-east-1', LAMBDA_ENDPOINT: lambda.url, WEBHOOK_TIMEOUT_MS: 2000 });
  send = createLambdaWebhookSender({ client, functionName: FN });
  receiver = await startReceiver();
});

afterAll(async () => {
  client?.destroy();
  smClient?.destroy();
  store?.close();
  await receiver?.close();
  await lambda?.close();
  await sm?.close();
  await rm(dir, { recursive: true, force: true });
});

const body = (id: string) => JSON.stringify({ type: 'order.placed', version: 1, id });

describe('the webhook sender behind Lambda Invoke (local stand-in)', () => {
  it('delivers a webhook signed with the key from the app secret, and the signature verifies', async () => {
    const id = randomUUID();
    expect(await send(receiver.url, id, body(id))).toEqual({ status: 'delivered', httpStatus: 204 });
    const got = receiver.calls.find((c) => c.headers['webhook-id'] === id);
    expect(got?.body).toBe(body(id));
    expect(verifies(got!, KEY_1)).toBe(true);
    expect(verifies(got!, KEY_2)).toBe(false);
  });

  it('comes back refused for a private address, without any request', async () => {
    const before = receiver.calls.length;
    expect(await send('http://10.20.30.40/hook', randomUUID(), '{}')).toEqual({ status: 'refused', error: 'WEBHOOK_ADDRESS_REFUSED' });
    expect(receiver.calls.length).toBe(before);
  });

  it("returns the receiver's failure as failed with its HTTP status", async () => {
    const failing = await startReceiver(500);
    try {
      expect(await send(failing.url, randomUUID(), '{}')).toEqual({ status: 'failed', httpStatus: 500, error: 'HTTP 500' });
    } finally {
      await failing.close();
    }
  });

  it('signs the next webhook with a rotated key once the store has refreshed (no restart)', async () => {
    try {
      await smClient.send(new PutSecretValueCommand({ SecretId: 'pier/app', SecretString: JSON.stringify({ WEBHOOK_SIGNING_KEY: KEY_2 }) }));
      await store.refresh();
      const id = randomUUID();
      expect((await send(receiver.url, id, body(id))).status).toBe('delivered');
      const got = receiver.calls.find((c) => c.headers['webhook-id'] === id)!;
      expect(verifies(got, KEY_2)).toBe(true);
      expect(verifies(got, KEY_1)).toBe(false);
    } finally {
      await smClient.send(new PutSecretValueCommand({ SecretId: 'pier/app', SecretString: JSON.stringify({ WEBHOOK_SIGNING_KEY: KEY_1 }) }));
      await store.refresh();
    }
  });

  it('records a function error or an unknown function as failed, naming only the error type', async () => {
    expect(await createLambdaWebhookSender({ client, functionName: 'broken' })(receiver.url, randomUUID(), '{}')).toEqual({
      status: 'failed',
      error: 'WEBHOOK_SENDER_ERROR: TypeError',
    });
    expect(await createLambdaWebhookSender({ client, functionName: 'missing' })(receiver.url, randomUUID(), '{}')).toEqual({
      status: 'failed',
      error: 'WEBHOOK_SENDER_UNAVAILABLE: ResourceNotFoundException',
    });
  });

  it('answers a malformed invocation with the function error WebhookRequestError (as Lambda reports it)', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: FN, Payload: new TextEncoder().encode(JSON.stringify({ url: 42 })) }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(out.Payload))).toMatchObject({ errorType: 'WebhookRequestError' });
  });
});
