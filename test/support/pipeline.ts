/**
 * The order pipeline on real parts for the orders/worker/outbox suites: a fresh database (PGlite, or a schema in
 * DATABASE_URL's PostgreSQL), the local SQS endpoint with order-events and its DLQ, the service with its relay, and
 * the worker, sharing one Db as `npm start` does.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/log.js';
import { runService, runWorker, type RoleDeps, type RunningRole } from '../../src/roles.js';
import { startTestSqs, type TestSqs } from '../../local/sqs/testing.js';
import { createTestDb, type TestDb } from './db.js';
import { testConfig } from './orders.js';
import { createTestIssuer, type TestIssuer } from './tokens.js';

export { waitFor } from './waitFor.js';

export interface Pipeline {
  t: TestDb;
  sqs: TestSqs;
  issuer: TestIssuer;
  config: Config;
  queueUrl: string;
  dlqUrl: string;
  signingKey: string;
  /** Every log line the roles wrote, as text (to check what is and is not logged). */
  logs: string[];
  logger: Logger;
  service?: RunningRole;
  worker?: RunningRole;
  startService(deps?: RoleDeps): Promise<RunningRole>;
  startWorker(deps?: RoleDeps): Promise<RunningRole>;
  close(): Promise<void>;
}

export const newSigningKey = (): string => `whsec_${randomBytes(32).toString('base64')}`;

export async function createQueues(client: SQSClient, maxReceiveCount: number, suffix = ''): Promise<{ queueUrl: string; dlqUrl: string; dlqArn: string; queueArn: string }> {
  const dlq = await client.send(new CreateQueueCommand({ QueueName: `order-events-dlq${suffix}` }));
  const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn as string;
  const q = await client.send(
    new CreateQueueCommand({
      QueueName: `order-events${suffix}`,
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }) },
    }),
  );
  const queueArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn as string;
  return { queueUrl: q.QueueUrl as string, dlqUrl: dlq.QueueUrl as string, dlqArn, queueArn };
}

export async function createPipeline(opts: { maxReceiveCount?: number; config?: Record<string, string> } = {}): Promise<Pipeline> {
  const t = await createTestDb();
  const sqs = await startTestSqs();
  const issuer = await createTestIssuer();
  const maxReceiveCount = opts.maxReceiveCount ?? 3;
  const { queueUrl, dlqUrl } = await createQueues(sqs.client, maxReceiveCount);
  const signingKey = newSigningKey();
  const config = await testConfig({
    SQS_ENDPOINT: sqs.sqs.url,
    ORDER_EVENTS_QUEUE_URL: queueUrl,
    ORDER_EVENTS_DLQ_URL: dlqUrl,
    ORDER_EVENTS_MAX_RECEIVE_COUNT: String(maxReceiveCount),
    WEBHOOK_SIGNING_KEY: signingKey,
    WEBHOOK_ALLOW_LOOPBACK: 'true',
    WEBHOOK_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'info',
    ...opts.config,
  });
  const logs: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    }) as unknown as NonNullable<Parameters<typeof createLogger>[0]>['destination'],
  });
  const p: Pipeline = {
    t,
    sqs,
    issuer,
    config,
    queueUrl,
    dlqUrl,
    signingKey,
    logs,
    logger,
    async startService(deps = {}) {
      p.service = await runService({ ...config, SERVICE_PORT: 0 }, logger.child({ role: 'service' }), {
        db: t.db,
        verifier: issuer.verifier(),
        sqs: sqs.client,
        relay: { backoff: { initialMs: 100, maxMs: 1000 } },
        ...deps,
      });
      return p.service;
    },
    async startWorker(deps = {}) {
      p.worker = await runWorker(config, logger.child({ role: 'worker' }), {
        db: t.db,
        sqs: sqs.client,
        worker: { waitTimeSeconds: 1, visibilityTimeout: 2, heartbeatInterval: 1 },
        ...deps,
      });
      return p.worker;
    },
    async close() {
      await p.service?.stop();
      await p.worker?.stop();
      await sqs.close();
      await t.close();
    },
  };
  return p;
}


export async function queueDepth(client: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const a = (
    await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    )
  ).Attributes;
  return {
    visible: Number(a?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a?.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}
