import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  StartMessageMoveTaskCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSqs, type TestSqs } from '../local/sqs/testing.js';

let t: TestSqs;
let c: SQSClient;

beforeAll(async () => {
  t = await startTestSqs();
  c = t.client;
});
afterAll(async () => {
  await t?.close();
});

const count = async (QueueUrl: string) =>
  Number((await c.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes!.ApproximateNumberOfMessages);

async function pair(name: string, maxReceiveCount: number) {
  const dlq = (await c.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl!;
  const dlqArn = t.sqs.queueArn(`${name}-dlq`);
  const src = (
    await c.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }), VisibilityTimeout: '30' },
      }),
    )
  ).QueueUrl!;
  return { src, dlq, dlqArn, srcArn: t.sqs.queueArn(name) };
}

describe('dead-letter queues', () => {
  it('moves a message to the DLQ on the receive that would exceed maxReceiveCount', async () => {
    const { src, dlq, srcArn } = await pair('poison', 3);
    const { MessageId } = await c.send(new SendMessageCommand({ QueueUrl: src, MessageBody: 'poison 💀', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } }));
    for (let i = 1; i <= 3; i++) {
      const got = await c.send(new ReceiveMessageCommand({ QueueUrl: src, VisibilityTimeout: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
      expect(got.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe(String(i));
    }
    // The fourth receive finds nothing: the message went to the DLQ instead.
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages).toBeUndefined();
    expect(await count(src)).toBe(0);
    expect(await count(dlq)).toBe(1);
    const dead = await c.send(new ReceiveMessageCommand({ QueueUrl: dlq, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'], VisibilityTimeout: 0 }));
    const m = dead.Messages![0]!;
    expect(m.MessageId).toBe(MessageId);
    expect(m.Body).toBe('poison 💀');
    expect(m.MessageAttributes?.k?.StringValue).toBe('v');
    expect(m.Attributes?.DeadLetterQueueSourceArn).toBe(srcArn);
    expect((await c.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }))).queueUrls).toEqual([src]);
  });

  it('validates the redrive policy', async () => {
    const q = (await c.send(new CreateQueueCommand({ QueueName: 'plain' }))).QueueUrl!;
    const attempt = (RedrivePolicy: string) => c.send(new SetQueueAttributesCommand({ QueueUrl: q, Attributes: { RedrivePolicy } }));
    await expect(attempt('{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:missing","maxReceiveCount":2}')).rejects.toMatchObject({ name: 'InvalidAttributeValue' });
    await expect(attempt('not json')).rejects.toMatchObject({ name: 'InvalidAttributeValue' });
    await expect(attempt(JSON.stringify({ deadLetterTargetArn: t.sqs.queueArn('plain'), maxReceiveCount: 2 }))).rejects.toMatchObject({ name: 'InvalidAttributeValue' });
    await expect(attempt(JSON.stringify({ deadLetterTargetArn: t.sqs.queueArn('plain'), maxReceiveCount: 0 }))).rejects.toMatchObject({ name: 'InvalidAttributeValue' });
  });

  it('StartMessageMoveTask brings dead letters back to their source queue and reports progress', async () => {
    const { src, dlq, dlqArn, srcArn } = await pair('redrive', 1);
    for (let i = 0; i < 25; i++) await c.send(new SendMessageCommand({ QueueUrl: src, MessageBody: `m${i}` }));
    for (let i = 0; i < 25; i++) await c.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    await c.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10 }));
    await c.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10 }));
    await c.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10 }));
    expect(await count(dlq)).toBe(25);

    await expect(c.send(new StartMessageMoveTaskCommand({ SourceArn: srcArn }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    const { TaskHandle } = await c.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 100 }));
    expect(TaskHandle).toBeTruthy();
    await expect(c.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }))).rejects.toMatchObject({ name: 'UnsupportedOperation' });
    const first = (await c.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }))).Results![0]!;
    expect(first.Status).toBe('RUNNING');
    expect(first.ApproximateNumberOfMessagesToMove).toBe(25);

    let status = first;
    for (let i = 0; i < 50 && status.Status === 'RUNNING'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await c.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }))).Results![0]!;
    }
    expect(status.Status).toBe('COMPLETED');
    expect(status.ApproximateNumberOfMessagesMoved).toBe(25);
    expect(await count(dlq)).toBe(0);
    expect(await count(src)).toBe(25);
    // Back in the source queue they start afresh: a receive delivers them instead of dead-lettering again.
    const back = await c.send(new ReceiveMessageCommand({ QueueUrl: src, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(back.Messages).toHaveLength(10);
    expect(back.Messages!.every((m) => m.Attributes?.ApproximateReceiveCount === '1')).toBe(true);
  });

  it('StartMessageMoveTask can move to another queue (DestinationArn)', async () => {
    const { src, dlq, dlqArn } = await pair('elsewhere', 1);
    const target = (await c.send(new CreateQueueCommand({ QueueName: 'elsewhere-target' }))).QueueUrl!;
    await c.send(new SendMessageCommand({ QueueUrl: src, MessageBody: 'x' }));
    await c.send(new ReceiveMessageCommand({ QueueUrl: src, VisibilityTimeout: 0 }));
    await c.send(new ReceiveMessageCommand({ QueueUrl: src }));
    expect(await count(dlq)).toBe(1);
    await c.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: t.sqs.queueArn('elsewhere-target') }));
    for (let i = 0; i < 30 && (await count(target)) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await count(target)).toBe(1);
    expect(await count(src)).toBe(0);
  });
});
