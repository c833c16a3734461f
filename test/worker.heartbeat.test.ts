/**
 * The visibility heartbeat: a batch that takes longer than the visibility timeout stays hidden while it is being
 * handled, so a second worker on the same queue never gets it; without the heartbeat it would.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSqs, type TestSqs } from '../local/sqs/testing.js';
import { createLogger } from '../src/log.js';
import type { EventHandler } from '../src/notifications/handler.js';
import { createWorker } from '../src/worker.js';
import { createQueues, queueDepth, waitFor } from './support/pipeline.js';
import { orderPlacedEvent } from './support/orders.js';

let sqs: TestSqs;
beforeAll(async () => {
  sqs = await startTestSqs();
});
afterAll(async () => {
  await sqs?.close();
});

const body = () => JSON.stringify(orderPlacedEvent({ userSub: 'u', item: 'slow' }));

async function race(heartbeatInterval: number, suffix: string): Promise<string[]> {
  const { queueUrl } = await createQueues(sqs.client, 10, suffix);
  await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body() }));
  const handledBy: string[] = [];
  const slow = (name: string): EventHandler => ({
    async handle(events) {
      handledBy.push(name);
      await new Promise((r) => setTimeout(r, 5000));
      return new Set(events.map((e) => e.event.id));
    },
    markDeadLettered: async () => {},
  });
  const logger = createLogger({ level: 'silent' });
  const common = { queueUrl, sqs: sqs.client, logger, concurrency: 1, waitTimeSeconds: 1, visibilityTimeout: 3 };
  const a = createWorker({ ...common, handler: slow('a'), heartbeatInterval });
  a.start();
  await waitFor('the first worker to take it', async () => handledBy.length === 1, 5000, 20);
  const b = createWorker({ ...common, handler: slow('b'), heartbeatInterval: 1 });
  b.start();
  await waitFor('the message to be deleted', async () => {
    const d = await queueDepth(sqs.client, queueUrl);
    return d.visible + d.inFlight === 0;
  }, 15_000, 100);
  await Promise.all([a.stop(), b.stop()]);
  return handledBy;
}

describe('visibility heartbeat', () => {
  it('keeps a slow batch hidden: handled by one worker only', async () => {
    expect(await race(1, '-hb')).toEqual(['a']);
  }, 30_000);

  it('(control) without it the message reappears and a second worker takes it too', async () => {
    expect(await race(0, '-nohb')).toEqual(['a', 'b']);
  }, 30_000);
});
