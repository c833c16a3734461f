import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, type Message } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSqs, type TestSqs } from '../local/sqs/testing.js';
import { waitFor } from './support/waitFor.js';

let t: TestSqs;

beforeAll(async () => {
  t = await startTestSqs();
});
afterAll(async () => {
  await t?.close();
});

const counts = async (QueueUrl: string) => {
  const a = (await t.client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes!;
  return [Number(a.ApproximateNumberOfMessages), Number(a.ApproximateNumberOfMessagesNotVisible)];
};

async function sendMany(QueueUrl: string, bodies: string[]) {
  for (let i = 0; i < bodies.length; i += 10) {
    await t.client.send(new SendMessageBatchCommand({ QueueUrl, Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: `e${j}`, MessageBody: b })) }));
  }
}

async function stop(consumer: Consumer) {
  const stopped = new Promise((r) => consumer.once('stopped', r));
  consumer.stop({ abort: true });
  await stopped;
}

describe('sqs-consumer against the local endpoint', () => {
  it('consumes and deletes a stream of messages in batches', async () => {
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: 'consume' }));
    const bodies = Array.from({ length: 120 }, (_, i) => `event ${i} ✨`);
    const seen: string[] = [];
    const consumer = Consumer.create({
      queueUrl: QueueUrl!,
      sqs: t.client,
      batchSize: 10,
      waitTimeSeconds: 1,
      handleMessageBatch: async (messages: Message[]) => {
        seen.push(...messages.map((m) => m.Body!));
        return messages;
      },
    });
    const errors: Error[] = [];
    consumer.on('error', (e) => errors.push(e));
    consumer.start();
    await sendMany(QueueUrl!, bodies);
    await waitFor('120 messages handled', async () => seen.length >= 120, 15_000);
    await waitFor('an empty queue', async () => (await counts(QueueUrl!)).join() === '0,0', 15_000);
    await stop(consumer);
    expect([...seen].sort()).toEqual([...bodies].sort());
    expect(errors).toEqual([]);
  });

  it('retries a failing message and lets the redrive policy dead-letter it', async () => {
    const dlq = (await t.client.send(new CreateQueueCommand({ QueueName: 'consume-dlq' }))).QueueUrl!;
    const { QueueUrl } = await t.client.send(
      new CreateQueueCommand({
        QueueName: 'consume-poison',
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: t.sqs.queueArn('consume-dlq'), maxReceiveCount: 3 }) },
      }),
    );
    const attempts = new Map<string, number>();
    const consumer = Consumer.create({
      queueUrl: QueueUrl!,
      sqs: t.client,
      batchSize: 10,
      waitTimeSeconds: 1,
      // Failed messages come back at once rather than after the visibility timeout.
      terminateVisibilityTimeout: true,
      messageSystemAttributeNames: ['ApproximateReceiveCount'],
      handleMessage: async (m: Message) => {
        attempts.set(m.Body!, (attempts.get(m.Body!) ?? 0) + 1);
        if (m.Body === 'poison') throw new Error('cannot handle this one');
        return m;
      },
    });
    consumer.on('processing_error', () => {});
    consumer.on('error', () => {});
    consumer.start();
    await sendMany(QueueUrl!, ['ok 1', 'poison', 'ok 2']);
    await waitFor('the message in the DLQ', async () => (await counts(dlq))[0] === 1, 15_000);
    await stop(consumer);
    expect(attempts.get('poison')).toBe(3);
    expect(attempts.get('ok 1')).toBe(1);
    expect(attempts.get('ok 2')).toBe(1);
    expect(await counts(QueueUrl!)).toEqual([0, 0]);
  });

  it('keeps a slow message hidden with heartbeats (ChangeMessageVisibility)', async () => {
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: 'consume-slow' }));
    let handled = 0;
    const consumer = Consumer.create({
      queueUrl: QueueUrl!,
      sqs: t.client,
      visibilityTimeout: 2,
      heartbeatInterval: 1,
      waitTimeSeconds: 1,
      handleMessage: async (m: Message) => {
        handled += 1;
        await new Promise((r) => setTimeout(r, 3500));
        return m;
      },
    });
    const errors: Error[] = [];
    consumer.on('error', (e) => errors.push(e));
    consumer.start();
    await sendMany(QueueUrl!, ['slow']);
    await waitFor('the slow message handled once', async () => handled > 0 && (await counts(QueueUrl!)).join() === '0,0', 10_000);
    await stop(consumer);
    expect(handled).toBe(1);
    expect(errors).toEqual([]);
  });
});
