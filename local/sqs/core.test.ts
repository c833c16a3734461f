import { afterEach, describe, expect, it } from 'vitest';
import { SqsCore } from './core.js';
import type { JournalRecord } from './records.js';

// The core on its own, with a clock the test moves: windows measured in minutes or days, checked in milliseconds.
let now = 1_700_000_000_000;
const records: JournalRecord[] = [];
let core: SqsCore;
const make = () => (core = new SqsCore({ region: 'eu-west-1', baseUrl: () => 'http://sqs.test', now: () => now, persist: (r) => records.push(r) }));

afterEach(() => core?.close());

const url = (name: string) => `http://sqs.test/000000000000/${name}`;
const errCode = async (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);

describe('SqsCore', () => {
  it('forgets a deduplication id after five minutes', async () => {
    make();
    await core.handle('CreateQueue', { QueueName: 'd.fifo', Attributes: { FifoQueue: 'true' } });
    const send = () => core.handle('SendMessage', { QueueUrl: url('d.fifo'), MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'same' });
    const first = await send();
    now += 4 * 60_000 + 59_000;
    expect((await send()).MessageId).toBe(first.MessageId);
    now += 2000;
    expect((await send()).MessageId).not.toBe(first.MessageId);
    const attrs = await core.handle('GetQueueAttributes', { QueueUrl: url('d.fifo'), AttributeNames: ['ApproximateNumberOfMessages'] });
    expect(attrs).toEqual({ Attributes: { ApproximateNumberOfMessages: '2' } });
  });

  it('drops messages older than MessageRetentionPeriod', async () => {
    make();
    await core.handle('CreateQueue', { QueueName: 'r', Attributes: { MessageRetentionPeriod: '60' } });
    await core.handle('SendMessage', { QueueUrl: url('r'), MessageBody: 'old' });
    now += 30_000;
    await core.handle('SendMessage', { QueueUrl: url('r'), MessageBody: 'young' });
    now += 31_000;
    await new Promise((r) => setTimeout(r, 1200)); // the sweep runs once a second
    const got = await core.handle('ReceiveMessage', { QueueUrl: url('r'), MaxNumberOfMessages: 10 });
    expect((got.Messages as { Body: string }[]).map((m) => m.Body)).toEqual(['young']);
    expect(records.at(-2)).toMatchObject({ o: 'd', q: 'r' });
  });

  it('cancels a move task', async () => {
    make();
    await core.handle('CreateQueue', { QueueName: 'dlq' });
    await core.handle('CreateQueue', { QueueName: 'src', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:000000000000:dlq', maxReceiveCount: 1 }) } });
    for (let i = 0; i < 30; i++) await core.handle('SendMessage', { QueueUrl: url('dlq'), MessageBody: `m${i}` });
    const { TaskHandle } = await core.handle('StartMessageMoveTask', {
      SourceArn: 'arn:aws:sqs:eu-west-1:000000000000:dlq',
      DestinationArn: 'arn:aws:sqs:eu-west-1:000000000000:src',
      MaxNumberOfMessagesPerSecond: 10,
    });
    const cancelled = await core.handle('CancelMessageMoveTask', { TaskHandle });
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBe(1);
    const list = await core.handle('ListMessageMoveTasks', { SourceArn: 'arn:aws:sqs:eu-west-1:000000000000:dlq' });
    expect((list.Results as { Status: string }[])[0]).toMatchObject({ Status: 'CANCELLED', ApproximateNumberOfMessagesToMove: 30 });
    expect(await errCode(core.handle('CancelMessageMoveTask', { TaskHandle }))).toBe('ResourceNotFoundException');
  });

  it('fails a move task when a message has no source queue to go back to', async () => {
    make();
    await core.handle('CreateQueue', { QueueName: 'dlq2' });
    await core.handle('CreateQueue', { QueueName: 'src2', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:000000000000:dlq2', maxReceiveCount: 1 }) } });
    await core.handle('SendMessage', { QueueUrl: url('dlq2'), MessageBody: 'sent straight to the DLQ' });
    await core.handle('StartMessageMoveTask', { SourceArn: 'arn:aws:sqs:eu-west-1:000000000000:dlq2' });
    const list = await core.handle('ListMessageMoveTasks', { SourceArn: 'arn:aws:sqs:eu-west-1:000000000000:dlq2' });
    expect((list.Results as { Status: string; FailureReason: string }[])[0]).toMatchObject({ Status: 'FAILED', FailureReason: expect.stringContaining('DestinationArn') });
  });

  it('rejects unknown actions and non-queue URLs', async () => {
    make();
    expect(await errCode(core.handle('MakeCoffee', {}))).toBe('InvalidAction');
    expect(await errCode(core.handle('SendMessage', { MessageBody: 'x' }))).toBe('MissingParameter');
    expect(await errCode(core.handle('SendMessage', { QueueUrl: 'http://sqs.test/only-one-part', MessageBody: 'x' }))).toBe('InvalidAddress');
    expect(await errCode(core.handle('SendMessage', { QueueUrl: 42, MessageBody: 'x' }))).toBe('InvalidAddress');
  });
});
