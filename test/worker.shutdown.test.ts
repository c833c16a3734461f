/**
 * Graceful shutdown. In process: the worker stops polling and finishes the batch it holds (handled and deleted).
 * As processes: SIGTERM makes the service finish an in-flight request and the worker cut its idle long poll;
 * both exit 0 well inside 30 s.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSqs, type TestSqs } from '../local/sqs/testing.js';
import { createLogger } from '../src/log.js';
import type { EventHandler } from '../src/notifications/handler.js';
import { createWorker } from '../src/worker.js';
import { createQueues, newSigningKey, queueDepth, waitFor } from './support/pipeline.js';
import { spawnRole, waitForOutput } from './support/processes.js';
import { createTestIssuer } from './support/tokens.js';
import { orderPlacedEvent } from './support/orders.js';

let sqs: TestSqs;
let dir: string;
beforeAll(async () => {
  sqs = await startTestSqs();
  dir = await mkdtemp(join(tmpdir(), 'pier-shutdown-'));
});
afterAll(async () => {
  await sqs?.close();
  await rm(dir, { recursive: true, force: true });
});

const event = () => JSON.stringify(orderPlacedEvent({ userSub: 'u', item: 'x' }));

describe('worker.stop()', () => {
  it('stops polling, finishes the batch in flight and deletes it', async () => {
    const { queueUrl } = await createQueues(sqs.client, 5, '-stop');
    for (let i = 0; i < 5; i++) await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: event() }));
    let started!: () => void;
    const inHandler = new Promise<void>((r) => (started = r));
    let finished = 0;
    const handler: EventHandler = {
      async handle(events) {
        started();
        await new Promise((r) => setTimeout(r, 1500));
        finished += events.length;
        return new Set(events.map((e) => e.event.id));
      },
      markDeadLettered: async () => {},
    };
    const worker = createWorker({ queueUrl, sqs: sqs.client, handler, logger: createLogger({ level: 'silent' }), concurrency: 10, waitTimeSeconds: 1, visibilityTimeout: 10 });
    worker.start();
    await inHandler;
    const t0 = Date.now();
    await worker.stop();
    expect(Date.now() - t0).toBeGreaterThan(500);
    expect(finished).toBeGreaterThan(0);
    const d = await queueDepth(sqs.client, queueUrl);
    // What it handled was deleted; nothing is left hidden in flight.
    expect(d.inFlight).toBe(0);
    expect(d.visible).toBe(5 - finished);
  });

  it('returns at once when idle in a long poll', async () => {
    const { queueUrl } = await createQueues(sqs.client, 5, '-idle');
    const handler: EventHandler = { handle: async () => new Set(), markDeadLettered: async () => {} };
    const worker = createWorker({ queueUrl, sqs: sqs.client, handler, logger: createLogger({ level: 'silent' }), concurrency: 10, waitTimeSeconds: 20 });
    worker.start();
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await worker.stop();
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe('SIGTERM', () => {
  it('the service finishes an in-flight request, then exits 0', async () => {
    const issuer = await createTestIssuer();
    const jwks = await issuer.jwksServer();
    const { queueUrl } = await createQueues(sqs.client, 5, '-svc');
    const svc = spawnRole('service', {
      DATA_DIR: join(dir, 'service'),
      SERVICE_PORT: '0',
      SQS_ENDPOINT: sqs.sqs.url,
      ORDER_EVENTS_QUEUE_URL: queueUrl,
      COGNITO_USER_POOL_ID: issuer.userPoolId,
      COGNITO_CLIENT_ID: issuer.clientId,
      COGNITO_JWKS_URL: jwks.url,
    });
    try {
      await waitForOutput(svc, 'service started');
      const url = new URL(/"url":"([^"]+)"/.exec(svc.output())?.[1] as string);
      const body = JSON.stringify({ item: 'drained', quantity: 1 });
      // Headers and half the body now; SIGTERM; the rest of the body after it.
      const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          { host: url.hostname, port: url.port, path: '/orders', method: 'POST', headers: { authorization: `Bearer ${issuer.accessToken({ sub: 'drain' })}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => {
          svc.child.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(10)), 500);
        }, 200);
      });
      const t0 = Date.now();
      const res = await response;
      expect(res.status).toBe(201);
      expect(JSON.parse(res.text)).toMatchObject({ item: 'drained' });
      expect(await svc.exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(30_000);
      // The relay sent what that request committed before it stopped.
      await waitFor('the event in the queue', async () => (await queueDepth(sqs.client, queueUrl)).visible === 1, 5000);
    } finally {
      if (svc.child.exitCode === null) svc.child.kill('SIGKILL');
      await jwks.close();
    }
  });

  it('the worker stops its long poll and exits 0', async () => {
    const { queueUrl } = await createQueues(sqs.client, 5, '-wrk');
    const wrk = spawnRole('worker', {
      DATA_DIR: join(dir, 'worker'),
      SQS_ENDPOINT: sqs.sqs.url,
      ORDER_EVENTS_QUEUE_URL: queueUrl,
      WEBHOOK_SIGNING_KEY: newSigningKey(),
    });
    try {
      await waitForOutput(wrk, 'worker started');
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      wrk.child.kill('SIGTERM');
      expect(await wrk.exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(wrk.output()).not.toContain('whsec_');
    } finally {
      if (wrk.child.exitCode === null) wrk.child.kill('SIGKILL');
    }
  });
});
