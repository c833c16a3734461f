import type { AddressInfo } from 'node:net';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { tokenVerifierFromConfig, type TokenVerifier } from './auth/index.js';
import { requireSetting, type Config } from './config/index.js';
import { openDb, type Db } from './db/index.js';
import type { Publisher } from './events/publisher.js';
import { createOutboxRelay, type OutboxRelayOptions } from './events/relay.js';
import { sqsClientFromConfig, sqsPublisher } from './events/sqs.js';
import type { Logger } from './log.js';
import { createEventHandler } from './notifications/handler.js';
import { createLambdaWebhookSender, lambdaClientFromConfig } from './notifications/lambdaSender.js';
import { createLiveWebhookSender } from './notifications/liveSender.js';
import { signingKeyBytes, type WebhookSender } from './notifications/webhook.js';
import { buildService } from './service.js';
import { traceDb } from './telemetry/db.js';
import { createEmfMetrics, noMetrics, type Metrics } from './metrics/emf.js';
import { countingHandler, countingPublisher, countingWebhookSender } from './metrics/instrument.js';
import { createWorker, type WorkerOptions } from './worker.js';

/** A started role: what it listens on (if anything) and how to stop it gracefully. */
export interface RunningRole {
  url?: string;
  /** Stops taking work, finishes what is in flight, then resolves. */
  stop(): Promise<void>;
}

/**
 * What a role needs from outside. Each is built from config when not given; the local runner passes ONE shared
 * Db (PGlite has a single owner) and tests pass their own. A role closes only what it built itself.
 */
export interface RoleDeps {
  db?: Db;
  verifier?: TokenVerifier;
  publisher?: Publisher;
  sqs?: SQSClient;
  /** The worker's client for the webhook-sender function (WEBHOOK_SENDER_FUNCTION). */
  lambda?: LambdaClient;
  /**
   * The current config, e.g. a ConfigStore's `get`: secrets used per request (the webhook signing key) are read
   * through it, so a rotated value is used without a restart. Default: the `config` the role was started with.
   */
  currentConfig?: () => Config;
  /** Where the EMF metrics go (tests); default: stdout in AWS (PIER_ENV dev, prod), nowhere locally. */
  metrics?: Metrics;
  /** Relay tuning (tests, benchmarks). */
  relay?: Partial<Pick<OutboxRelayOptions, 'batchSize' | 'concurrency' | 'sweepMs' | 'backoff' | 'leaseSeconds'>>;
  /** Worker tuning (tests use short visibility timeouts). */
  worker?: Partial<Pick<WorkerOptions, 'waitTimeSeconds' | 'visibilityTimeout' | 'heartbeatInterval' | 'drainTimeoutMs'>>;
}

/**
 * The service role: HTTP API plus the outbox relay. The same function runs inside the Docker image
 * (`node dist/main.js service`) and inside `npm start`, so what is tested locally is what ships.
 */
/** EMF lines on stdout in AWS, where the awslogs driver and Lambda send them to CloudWatch Logs; none locally. */
function metricsFor(config: Config, deps: RoleDeps): Metrics {
  if (deps.metrics) return deps.metrics;
  if (config.PIER_ENV !== 'dev' && config.PIER_ENV !== 'prod') return noMetrics;
  return createEmfMetrics({ environment: config.PIER_ENV, write: (line) => process.stdout.write(line + '\n') });
}

export async function runService(config: Config, logger: Logger, deps: RoleDeps = {}): Promise<RunningRole> {
  const metrics = metricsFor(config, deps);
  const ownDb = !deps.db;
  // Statements inside a trace get spans (pier-service); tracing off, this is the Db itself.
  const db = traceDb(deps.db ?? (await openDb(config)), 'service');
  const ownSqs = !deps.publisher && !deps.sqs;
  let sqs: SQSClient | undefined;
  let publisher = deps.publisher;
  if (!publisher) {
    const queueUrl = requireSetting(config, 'ORDER_EVENTS_QUEUE_URL');
    sqs = deps.sqs ?? sqsClientFromConfig(config, { maxAttempts: 2 });
    // In AWS (dev, prod) each message also carries the AWSTraceHeader system attribute X-Ray reads.
    publisher = sqsPublisher(sqs, queueUrl, { awsTraceHeader: config.PIER_ENV === 'dev' || config.PIER_ENV === 'prod' });
  }
  const verifier = deps.verifier ?? tokenVerifierFromConfig(config);
  // The relay sends right after each order commits (onOrderPlaced) and otherwise only sweeps every
  // OUTBOX_SWEEP_SECONDS, so an idle service lets Aurora pause (docs/orders.md, "Outbox relay").
  const relay = createOutboxRelay({
    db,
    publisher: countingPublisher(publisher, metrics),
    logger: logger.child({ component: 'relay' }),
    sweepMs: config.OUTBOX_SWEEP_SECONDS * 1000,
    ...deps.relay,
  });
  let draining = false;
  const onOrderPlaced = () => {
    metrics.add('OrdersPlaced', 1);
    relay.wake();
  };
  const app = await buildService({ config, logger, db, verifier, onOrderPlaced, isReady: () => !draining });
  await app.listen({ host: config.SERVICE_HOST, port: config.SERVICE_PORT });
  relay.start();
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://${config.SERVICE_HOST}:${port}`,
    async stop() {
      draining = true;
      // Fastify's close stops accepting, then waits for in-flight requests; the relay sends what those committed
      // and stops after its current batch.
      await app.close();
      await relay.stop();
      metrics.close();
      if (ownSqs) sqs?.destroy();
      if (ownDb) await db.close();
    },
  };
}

/**
 * The worker role: long-polls order-events, records notifications, calls webhooks: itself (signing with the current
 * WEBHOOK_SIGNING_KEY), or through the webhook-sender function when WEBHOOK_SENDER_FUNCTION is set (in AWS, where
 * the worker's subnets have no route to the internet; the function then holds the key).
 */
export async function runWorker(config: Config, logger: Logger, deps: RoleDeps = {}): Promise<RunningRole> {
  const metrics = metricsFor(config, deps);
  const queueUrl = requireSetting(config, 'ORDER_EVENTS_QUEUE_URL');
  let sendWebhook: WebhookSender;
  let ownLambda: LambdaClient | undefined;
  if (config.WEBHOOK_SENDER_FUNCTION) {
    const client = deps.lambda ?? (ownLambda = lambdaClientFromConfig(config));
    sendWebhook = createLambdaWebhookSender({ client, functionName: config.WEBHOOK_SENDER_FUNCTION });
  } else {
    // Checked at start-up (a missing or malformed key stops it with an error naming the key), then read per webhook.
    signingKeyBytes(requireSetting(config, 'WEBHOOK_SIGNING_KEY').reveal());
    sendWebhook = createLiveWebhookSender(deps.currentConfig ?? (() => config));
  }
  const ownDb = !deps.db;
  const db = traceDb(deps.db ?? (await openDb(config)), 'worker');
  const ownSqs = !deps.sqs;
  const sqs = deps.sqs ?? sqsClientFromConfig(config);
  const handler = countingHandler(
    createEventHandler({ db, logger: logger.child({ component: 'handler' }), sendWebhook: countingWebhookSender(sendWebhook, metrics) }),
    metrics,
  );
  const worker = createWorker({
    queueUrl,
    sqs,
    handler,
    logger,
    concurrency: config.WORKER_CONCURRENCY,
    visibilityTimeout: config.WORKER_VISIBILITY_TIMEOUT_SECONDS,
    waitTimeSeconds: config.WORKER_WAIT_TIME_SECONDS,
    maxReceiveCount: config.ORDER_EVENTS_MAX_RECEIVE_COUNT,
    ...deps.worker,
  });
  worker.start();
  return {
    async stop() {
      await worker.stop();
      metrics.close();
      if (ownSqs) sqs.destroy();
      ownLambda?.destroy();
      if (ownDb) await db.close();
    },
  };
}
