import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLambdaInvoke } from '../local/lambda/index.js';
import type { RunningPart } from '../local/part.js';
import { startSecretsManager } from '../local/secretsmanager/index.js';
import { createConfigStore, type ConfigStore } from '../src/config/index.js';
import { createLogger } from '../src/log.js';
import { createWebhookFunctionHandler } from '../src/notifications/webhookFunction.js';
import { runWorker, type RunningRole } from '../src/roles.js';
import { call } from './support/orders.js';
import { createPipeline, waitFor, type Pipeline } from './support/pipeline.js';
import { spawnRole } from './support/processes.js';
import { startReceiver, verifies, type Receiver } from './support/webhooks.js';

/*
 * A rotated WEBHOOK_SIGNING_KEY is used for the next webhook without restarting the worker: the worker runs on a
 * ConfigStore (as src/main.ts starts it) over the local Secrets Manager through the real SDK; the secret is rotated
 * with PutSecretValue and the store refreshed. Both paths: the worker signing itself, and the worker invoking the
 * webhook-sender function (local Lambda Invoke stand-in) whose own store holds the key.
 */
const KEY_1 = 'whsec_Zmlyc3Qtc2lnbmluZy1rZXktMTIzNA==';
const KEY_2 = 'whsec_c2Vjb25kLXNpZ25pbmcta2V5LTU2Nzg=';
const silent = createLogger({ level: 'silent' });

let p: Pipeline;
let base: string;
let dir: string;
let sm: RunningPart;
let smClient: SecretsManagerClient;
let receiver: Receiver;

beforeAll(async () => {
  p = await createPipeline();
  base = (await p.startService()).url as string;
  dir = await mkdtemp(join(tmpdir(), 'pier-rotation-'));
  sm = await startSecretsManager({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'sm'), region: 'us-east-1', logger: silent });
  smClient = new SecretsManagerClient({ region: 'us-east-1', endpoint: sm.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  receiver = await startReceiver();
});
afterAll(async () => {
  await p?.close();
  smClient?.destroy();
  await receiver?.close();
  await sm?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A config store like the container's: plain settings from the environment, secrets from the app secret. */
async function storeFor(secretId: string, extra: Record<string, string> = {}): Promise<ConfigStore> {
  await smClient.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify({ WEBHOOK_SIGNING_KEY: KEY_1 }) }));
  return createConfigStore({
    env: {
      PIER_ENV: 'test',
      ENV_FILE: '/nonexistent/.env',
      DOCKER_SECRETS_DIR: '/nonexistent/secrets',
      SECRETS_ID: secretId,
      SECRETSMANAGER_ENDPOINT: sm.url as string,
      SQS_ENDPOINT: p.sqs.sqs.url as string,
      ORDER_EVENTS_QUEUE_URL: p.queueUrl,
      WEBHOOK_ALLOW_LOOPBACK: 'true',
      WEBHOOK_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'silent',
      ...extra,
    },
  });
}

const rotate = (secretId: string, key: string) => smClient.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify({ WEBHOOK_SIGNING_KEY: key }) }));

/** Places an order for a user whose webhook is the receiver, and returns the webhook call it caused. */
async function orderAndWebhook(): Promise<Receiver['calls'][number]> {
  const sub = `user-${randomUUID()}`;
  const token = p.issuer.accessToken({ sub });
  expect((await call(base, 'PUT', '/me/webhook', { token, body: { url: receiver.url, enabled: true } })).status).toBe(200);
  const placed = await call(base, 'POST', '/orders', { token, body: { item: 'genmaicha', quantity: 1 } });
  expect(placed.status).toBe(201);
  return waitFor('the webhook call', async () => receiver.calls.find((c) => JSON.parse(c.body).order?.id === placed.body.id));
}

async function withWorker(store: ConfigStore, fn: (worker: RunningRole) => Promise<void>, deps: Parameters<typeof runWorker>[2] = {}): Promise<void> {
  const worker = await runWorker(store.get(), silent, {
    db: p.t.db,
    sqs: p.sqs.client,
    worker: { waitTimeSeconds: 1, visibilityTimeout: 2, heartbeatInterval: 1 },
    currentConfig: store.get,
    ...deps,
  });
  try {
    await fn(worker);
  } finally {
    await worker.stop();
  }
}

describe('a rotated WEBHOOK_SIGNING_KEY without restarting the worker', () => {
  it('the worker signing itself uses the new key for the next webhook after refresh()', async () => {
    const store = await storeFor('pier/worker-app');
    try {
      await withWorker(store, async () => {
        const first = await orderAndWebhook();
        expect(verifies(first, KEY_1)).toBe(true);

        await rotate('pier/worker-app', KEY_2);
        // Before the refresh the worker still signs with the old key (nothing re-read behind the store's back)...
        const stale = await orderAndWebhook();
        expect(verifies(stale, KEY_1)).toBe(true);
        // ...after it, the next webhook carries the new one; same worker, no restart.
        expect((await store.refresh()).WEBHOOK_SIGNING_KEY?.reveal()).toBe(KEY_2);
        const next = await orderAndWebhook();
        expect(verifies(next, KEY_2)).toBe(true);
        expect(verifies(next, KEY_1)).toBe(false);
      });
    } finally {
      store.close();
    }
  });

  it('through the webhook-sender function (WEBHOOK_SENDER_FUNCTION), whose store holds the key', async () => {
    const fnStore = await storeFor('pier/function-app');
    const lambda = await startLambdaInvoke({
      host: '127.0.0.1',
      port: 0,
      functions: { 'pier-test-webhook-sender': createWebhookFunctionHandler(async () => ({ current: fnStore.get, logger: silent })) },
      logger: silent,
    });
    // The worker itself has no signing key at all: with a sender function it never needs one.
    const workerStore = await createConfigStore({
      env: {
        PIER_ENV: 'test',
        ENV_FILE: '/nonexistent/.env',
        DOCKER_SECRETS_DIR: '/nonexistent/secrets',
        SQS_ENDPOINT: p.sqs.sqs.url as string,
        ORDER_EVENTS_QUEUE_URL: p.queueUrl,
        WEBHOOK_SENDER_FUNCTION: 'pier-test-webhook-sender',
        LAMBDA_ENDPOINT: lambda.url as string,
        LOG_LEVEL: 'silent',
      },
    });
    expect(workerStore.get().WEBHOOK_SIGNING_KEY).toBeUndefined();
    try {
      await withWorker(workerStore, async () => {
        const first = await orderAndWebhook();
        expect(verifies(first, KEY_1)).toBe(true);
        await rotate('pier/function-app', KEY_2);
        await fnStore.refresh();
        const next = await orderAndWebhook();
        expect(verifies(next, KEY_2)).toBe(true);
        expect(verifies(next, KEY_1)).toBe(false);
        // The delivery is recorded from the function's outcome.
        const id = next.headers['webhook-id'] as string;
        await waitFor('the delivery record', async () =>
          (await p.t.db.query<{ status: string }>('SELECT status FROM webhook_deliveries WHERE event_id = $1', [id])).rows[0]?.status === 'delivered',
        );
      });
    } finally {
      workerStore.close();
      fnStore.close();
      await lambda.close();
    }
  });

  // Separate processes need a database they can share: PostgreSQL only (DATABASE_URL, as CI's database run).
  it.skipIf(!process.env.DATABASE_URL)('the container entry (src/main.ts worker) refreshes in the background: no refresh() call, no restart', async () => {
    await smClient.send(new CreateSecretCommand({ Name: 'pier/container-app', SecretString: JSON.stringify({ WEBHOOK_SIGNING_KEY: KEY_1 }) }));
    // The key is only in the app secret (an environment value would outrank it).
    const worker = spawnRole('worker', {
      DATABASE_URL: p.t.url as string,
      DATABASE_POOL_MAX: '2',
      SECRETS_ID: 'pier/container-app',
      SECRETSMANAGER_ENDPOINT: sm.url as string,
      SECRETS_REFRESH_SECONDS: '1',
      SQS_ENDPOINT: p.sqs.sqs.url as string,
      ORDER_EVENTS_QUEUE_URL: p.queueUrl,
      WEBHOOK_ALLOW_LOOPBACK: 'true',
      WORKER_WAIT_TIME_SECONDS: '1',
    });
    try {
      const first = await orderAndWebhook();
      expect(verifies(first, KEY_1)).toBe(true);
      await rotate('pier/container-app', KEY_2);
      // Within a few refresh intervals the same process signs with the new key.
      await waitFor('a webhook signed with the rotated key', async () => verifies(await orderAndWebhook(), KEY_2), 20_000, 500);
      expect(worker.child.exitCode).toBeNull();
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  }, 60_000);
});
