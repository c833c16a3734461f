import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { context, SpanKind, trace, type Link, type Span } from '@opentelemetry/api';
import { Consumer } from 'sqs-consumer';
import { contextFromTraceparent, tracer, tracingEnabled } from './telemetry/tracing.js';
import { parseOrderEvent } from './events/schemas.js';
import type { Logger } from './log.js';
import type { EventHandler, HandledEvent } from './notifications/handler.js';

export interface WorkerOptions {
  queueUrl: string;
  sqs: SQSClient;
  handler: EventHandler;
  logger: Logger;
  /** Messages handled at once: ceil(concurrency / 10) consumers, each receiving up to 10. */
  concurrency: number;
  /** Long polling. Default 20 s (SQS's maximum). */
  waitTimeSeconds?: number;
  /** Seconds a received message stays hidden. Default 30. */
  visibilityTimeout?: number;
  /** While a batch is still being handled, its visibility is extended every this many seconds (0: never). Default a third of the visibility timeout. */
  heartbeatInterval?: number;
  /** How long stop() waits for a batch in flight. Default 25 s (ECS stops a task 30 s after SIGTERM). */
  drainTimeoutMs?: number;
  /**
   * The queue's RedrivePolicy maxReceiveCount: an event still not handled on that receive goes to the dead-letter
   * queue next, so its order is marked failed. Unset: orders are never marked failed here.
   */
  maxReceiveCount?: number;
}

export interface Worker {
  start(): void;
  /** Stops polling (an idle long poll is cut short), finishes the batch in flight (handled and deleted), resolves. */
  stop(): Promise<void>;
}

/**
 * The order-events worker: sqs-consumer long-polls, hands each batch to `handleBatch`, and deletes exactly the
 * messages it returns. A message that fails validation is logged by id and left alone: SQS delivers it again
 * until maxReceiveCount, then moves it to the dead-letter queue.
 */
export function createWorker(opts: WorkerOptions): Worker {
  const { logger } = opts;
  const batchSize = Math.min(10, Math.max(1, opts.concurrency));
  const consumers = Math.max(1, Math.ceil(opts.concurrency / 10));
  const visibilityTimeout = opts.visibilityTimeout ?? 30;
  const heartbeatInterval = opts.heartbeatInterval ?? Math.max(1, Math.floor(visibilityTimeout / 3));

  const queueName = opts.queueUrl.split('/').pop() ?? opts.queueUrl;

  // The batch's handling, log lines included, runs in its processing span (`traced`, below).
  const handleBatch = (messages: Message[]): Promise<Message[]> => traced(queueName, messages, () => handleMessages(messages));

  async function handleMessages(messages: Message[]): Promise<Message[]> {
    const valid: { message: Message; handled: HandledEvent }[] = [];
    for (const message of messages) {
      const parsed = parseOrderEvent(message.Body);
      if (!parsed.ok) {
        // The id and the reason (field paths and issue codes), never the body: it may hold anything.
        logger.warn(
          { messageId: message.MessageId, receiveCount: message.Attributes?.ApproximateReceiveCount, reason: parsed.reason },
          'invalid event; leaving it for the dead-letter queue',
        );
        continue;
      }
      valid.push({ message, handled: { event: parsed.event, body: JSON.stringify(parsed.event) } });
    }
    const done = await opts.handler.handle(valid.map((v) => v.handled));
    // SQS moves a message to the DLQ once its receive count exceeds maxReceiveCount: this was its last chance.
    const last = valid.filter((v) => !done.has(v.handled.event.id) && opts.maxReceiveCount !== undefined && Number(v.message.Attributes?.ApproximateReceiveCount) >= opts.maxReceiveCount);
    if (last.length) await opts.handler.markDeadLettered(last.map((v) => v.handled.event));
    return valid.filter((v) => done.has(v.handled.event.id)).map((v) => v.message);
  }

  const busy = new Set<Consumer>();
  let stopping = false;
  const all = Array.from({ length: consumers }, () => {
    const c: Consumer = Consumer.create({
      queueUrl: opts.queueUrl,
      sqs: opts.sqs,
      batchSize,
      waitTimeSeconds: opts.waitTimeSeconds ?? 20,
      visibilityTimeout,
      ...(heartbeatInterval > 0 ? { heartbeatInterval } : {}),
      messageSystemAttributeNames: ['ApproximateReceiveCount'],
      // The producer's trace context (src/events/sqs.ts), continued by the processing span.
      messageAttributeNames: ['traceparent'],
      pollingCompleteWaitTimeMs: opts.drainTimeoutMs ?? 25_000,
      // Unreachable queue: retry after a short pause rather than sqs-consumer's 10 s default.
      authenticationErrorTimeout: 1000,
      handleMessageBatch: async (messages) => {
        busy.add(c);
        return handleBatch(messages);
      },
    });
    const idle = () => busy.delete(c);
    c.on('response_processed', idle);
    c.on('processing_error', (err) => {
      idle();
      logger.error({ err }, 'batch failed; its messages return to the queue');
    });
    c.on('timeout_error', idle);
    c.on('error', (err, message) => {
      idle();
      if (stopping && /abort/i.test(`${err.name} ${err.message}`)) return;
      const m = Array.isArray(message) ? undefined : message;
      logger.warn({ err: { name: err.name, message: err.message }, messageId: m?.MessageId }, 'queue error');
    });
    return c;
  });

  return {
    start() {
      for (const c of all) c.start();
    },
    async stop() {
      stopping = true;
      await Promise.all(
        all.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (!c.status.isRunning) return resolve();
              c.once('stopped', () => resolve());
              // An idle consumer is only waiting on a long poll: abort it. A busy one finishes and deletes first.
              c.stop({ abort: !busy.has(c) });
            }),
        ),
      );
    },
  };
}

/**
 * Runs a batch's handling in a CONSUMER span of pier-worker (`process <queue>`), the adapter's instrumentation:
 * a one-message batch continues the producer's trace from the message's `traceparent` attribute (so the
 * notification statement and the webhook POST belong to the order's trace); a larger batch, handled as one
 * statement, gets one span linked to each message's producer span (OpenTelemetry's messaging conventions for
 * batch processing). Tracing off: `fn` as it is.
 */
function traced<T>(queueName: string, messages: readonly Message[], fn: () => Promise<T>): Promise<T> {
  if (!tracingEnabled() || messages.length === 0) return fn();
  const parents = messages.map((m) => contextFromTraceparent(m.MessageAttributes?.traceparent?.StringValue, context.active()));
  const single = messages.length === 1;
  const links: Link[] = single
    ? []
    : parents.flatMap((c) => {
        const sc = trace.getSpanContext(c);
        return sc ? [{ context: sc }] : [];
      });
  const parent = single ? parents[0]! : context.active();
  const span: Span = tracer('worker').startSpan(
    `process ${queueName}`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.system': 'aws_sqs',
        'messaging.operation.type': 'process',
        'messaging.destination.name': queueName,
        'messaging.batch.message_count': messages.length,
        ...(single && messages[0]?.MessageId ? { 'messaging.message.id': messages[0].MessageId } : {}),
      },
    },
    parent,
  );
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: 2, message: (err as Error)?.name });
      throw err;
    } finally {
      span.end();
    }
  });
}
