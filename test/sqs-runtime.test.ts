import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../local/runtime.js';
import { readEndpoints, startTestRuntime } from './support/runtime.js';

let dir: string;
let runtime: LocalRuntime | undefined;

const start = (env: Record<string, string> = {}) => startTestRuntime(dir, env);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-sqs-runtime-'));
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('npm start: the SQS part', { timeout: 120_000 }, () => {
  it('creates order-events with its DLQ, points the roles at them, and re-applies maxReceiveCount on each start', async () => {
    runtime = await start({ ORDER_EVENTS_MAX_RECEIVE_COUNT: '3' });
    const endpoints = await readEndpoints(dir);
    expect(endpoints.sqs).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints.orderEventsQueueUrl).toBe(`${endpoints.sqs}/000000000000/order-events`);
    expect(endpoints.orderEventsDlqUrl).toBe(`${endpoints.sqs}/000000000000/order-events-dlq`);
    expect(runtime.config.SQS_ENDPOINT).toBe(endpoints.sqs);
    expect(runtime.config.ORDER_EVENTS_QUEUE_URL).toBe(endpoints.orderEventsQueueUrl);
    expect(runtime.config.ORDER_EVENTS_DLQ_URL).toBe(endpoints.orderEventsDlqUrl);

    const policyOf = async (sqs: SQSClient, url: string) =>
      JSON.parse((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }))).Attributes!.RedrivePolicy!) as {
        maxReceiveCount: number;
        deadLetterTargetArn: string;
      };
    let sqs = new SQSClient({ region: 'us-east-1', endpoint: endpoints.sqs, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    expect(await policyOf(sqs, endpoints.orderEventsQueueUrl!)).toEqual({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:order-events-dlq', maxReceiveCount: 3 });
    // A message left in the DLQ is still there after a restart.
    await sqs.send(new SendMessageCommand({ QueueUrl: endpoints.orderEventsDlqUrl, MessageBody: 'dead 💀' }));
    sqs.destroy();
    await runtime.close();

    runtime = await start({ ORDER_EVENTS_MAX_RECEIVE_COUNT: '7' });
    const again = await readEndpoints(dir);
    sqs = new SQSClient({ region: 'us-east-1', endpoint: again.sqs, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      expect((await policyOf(sqs, again.orderEventsQueueUrl!)).maxReceiveCount).toBe(7);
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: again.orderEventsDlqUrl }));
      expect(got.Messages?.[0]?.Body).toBe('dead 💀');
    } finally {
      sqs.destroy();
    }
  });
});
