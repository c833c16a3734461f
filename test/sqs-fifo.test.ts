import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSqs, type TestSqs } from '../local/sqs/testing.js';

let t: TestSqs;
let c: SQSClient;
let n = 0;

beforeAll(async () => {
  t = await startTestSqs();
  c = t.client;
});
afterAll(async () => {
  await t?.close();
});

const fifoQueue = async (attrs: Record<string, string> = {}) =>
  (await c.send(new CreateQueueCommand({ QueueName: `f${++n}.fifo`, Attributes: { FifoQueue: 'true', ...attrs } }))).QueueUrl!;

describe('FIFO queues', () => {
  it('requires MessageGroupId and a deduplication id (or content-based dedup), and refuses per-message delays', async () => {
    const url = await fifoQueue();
    await expect(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' }))).rejects.toMatchObject({ name: 'MissingParameter' });
    await expect(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 2 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    const std = (await c.send(new CreateQueueCommand({ QueueName: `std${++n}` }))).QueueUrl!;
    await expect(c.send(new SendMessageCommand({ QueueUrl: std, MessageBody: 'x', MessageDeduplicationId: 'd' }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(c.send(new CreateQueueCommand({ QueueName: `nofifo${n}`, Attributes: { FifoQueue: 'true' } }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('deduplicates within the window by MessageDeduplicationId and by content', async () => {
    const url = await fifoQueue();
    const a = await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }));
    const b = await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one again', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }));
    expect(b.MessageId).toBe(a.MessageId);
    expect(b.SequenceNumber).toBe(a.SequenceNumber);
    expect(a.SequenceNumber).toMatch(/^\d{20}$/);

    const cbd = await fifoQueue({ ContentBasedDeduplication: 'true' });
    await c.send(new SendMessageBatchCommand({ QueueUrl: cbd, Entries: [{ Id: '1', MessageBody: 'same', MessageGroupId: 'g' }, { Id: '2', MessageBody: 'same', MessageGroupId: 'h' }, { Id: '3', MessageBody: 'other', MessageGroupId: 'g' }] }));
    const attrs = await c.send(new GetQueueAttributesCommand({ QueueUrl: cbd, AttributeNames: ['ApproximateNumberOfMessages', 'ContentBasedDeduplication'] }));
    expect(attrs.Attributes).toEqual({ ApproximateNumberOfMessages: '2', ContentBasedDeduplication: 'true' });
    expect((await c.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes?.ApproximateNumberOfMessages).toBe('1');

    // Deduplication outlives the message: a redelivered send after the delete is still dropped.
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url }));
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got.Messages![0]!.ReceiptHandle }));
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }));
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
  });

  it('delivers each group in order and holds a group while one of its messages is in flight', async () => {
    const url = await fifoQueue({ ContentBasedDeduplication: 'true' });
    for (const [g, i] of [['a', 1], ['b', 1], ['a', 2], ['a', 3], ['b', 2]] as const) {
      await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `${g}${i}`, MessageGroupId: g }));
    }
    const first = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 2, MessageSystemAttributeNames: ['MessageGroupId', 'SequenceNumber'] }));
    expect(first.Messages!.map((m) => m.Body)).toEqual(['a1', 'a2']);
    expect(first.Messages![0]!.Attributes?.MessageGroupId).toBe('a');
    // Group a is in flight: only b is handed out.
    const second = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(second.Messages!.map((m) => m.Body)).toEqual(['b1', 'b2']);
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages).toBeUndefined();

    // Deleting a1 alone still leaves a2 in flight; after both, a3 comes.
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages![0]!.ReceiptHandle }));
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    await c.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'x', ReceiptHandle: first.Messages![1]!.ReceiptHandle }] }));
    const third = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(third.Messages!.map((m) => m.Body)).toEqual(['a3']);
  });

  it('redelivers a group in order after a visibility timeout, and wakes a long poll when a group frees up', async () => {
    const url = await fifoQueue({ ContentBasedDeduplication: 'true' });
    for (let i = 1; i <= 3; i++) await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}`, MessageGroupId: 'g' }));
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, VisibilityTimeout: 1 }));
    expect(got.Messages![0]!.Body).toBe('m1');
    const started = Date.now();
    const again = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 5, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(Date.now() - started).toBeGreaterThan(500);
    expect(again.Messages!.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([
      ['m1', '2'],
      ['m2', '1'],
      ['m3', '1'],
    ]);
  });

  it('keeps order under many groups and many messages', async () => {
    const url = await fifoQueue({ ContentBasedDeduplication: 'true' });
    const groups = ['g0', 'g1', 'g2', 'g3'];
    for (let batch = 0; batch < 10; batch++) {
      await c.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: `${groups[i % 4]}:${batch * 10 + i}`, MessageGroupId: groups[i % 4] })),
        }),
      );
    }
    const seen = new Map<string, number[]>();
    for (let i = 0; i < 40; i++) {
      const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      if (!got.Messages) break;
      for (const m of got.Messages) {
        const [g, num] = m.Body!.split(':') as [string, string];
        seen.set(g, [...(seen.get(g) ?? []), Number(num)]);
      }
      await c.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: got.Messages.map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.ReceiptHandle })) }));
    }
    expect([...seen.values()].flat()).toHaveLength(100);
    for (const nums of seen.values()) expect(nums).toEqual([...nums].sort((x, y) => x - y));
  });

  it('dead-letters FIFO messages to a FIFO DLQ only', async () => {
    const dlq = await fifoQueue();
    const dlqName = dlq.split('/').pop()!;
    await expect(
      c.send(new CreateQueueCommand({ QueueName: `std-src${++n}`, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: t.sqs.queueArn(dlqName), maxReceiveCount: 1 }) } })),
    ).rejects.toMatchObject({ name: 'InvalidAttributeValue' });
    const src = await fifoQueue({ ContentBasedDeduplication: 'true', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: t.sqs.queueArn(dlqName), maxReceiveCount: 1 }) });
    await c.send(new SendMessageCommand({ QueueUrl: src, MessageBody: 'bad', MessageGroupId: 'g' }));
    await c.send(new SendMessageCommand({ QueueUrl: src, MessageBody: 'next', MessageGroupId: 'g' }));
    await c.send(new ReceiveMessageCommand({ QueueUrl: src, VisibilityTimeout: 0 }));
    // 'bad' goes to the DLQ on the second receive, which then gets the next message of its group.
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: src }));
    expect(got.Messages?.[0]?.Body).toBe('next');
    const dead = await c.send(new ReceiveMessageCommand({ QueueUrl: dlq, MessageSystemAttributeNames: ['MessageGroupId'] }));
    expect(dead.Messages?.[0]?.Body).toBe('bad');
    expect(dead.Messages?.[0]?.Attributes?.MessageGroupId).toBe('g');
  });
});
