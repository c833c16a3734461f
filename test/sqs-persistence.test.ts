import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  DeleteMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestSqs, type TestSqs } from '../local/sqs/testing.js';

let t: TestSqs | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('persistence', () => {
  it('keeps queues and messages across a restart; in-flight ones become visible again', async () => {
    t = await startTestSqs();
    const dlqArn = t.sqs.queueArn('p-dlq');
    await t.client.send(new CreateQueueCommand({ QueueName: 'p-dlq' }));
    const url = (
      await t.client.send(
        new CreateQueueCommand({ QueueName: 'p', Attributes: { VisibilityTimeout: '300', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) } }),
      )
    ).QueueUrl!;
    await t.client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: ['a', 'b', 'c', 'd'].map((b) => ({ Id: b, MessageBody: `${b} 🎉`, MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } } })) }));
    const got = (await t.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 3 }))).Messages!;
    expect(got).toHaveLength(3);
    await t.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got[0]!.ReceiptHandle }));

    await t.restart();
    const after = await t.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(after.Attributes?.ApproximateNumberOfMessages).toBe('3');
    expect(after.Attributes?.VisibilityTimeout).toBe('300');
    expect(JSON.parse(after.Attributes!.RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 });
    const again = await t.client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['ApproximateReceiveCount'], MessageAttributeNames: ['All'] }),
    );
    const bodies = again.Messages!.map((m) => m.Body).sort();
    expect(bodies).toEqual(['a 🎉', 'b 🎉', 'c 🎉', 'd 🎉'].filter((b) => b !== got[0]!.Body));
    // Receive counts survived: the two received before the restart are on their second receive now.
    const counts = again.Messages!.map((m) => m.Attributes!.ApproximateReceiveCount).sort();
    expect(counts).toEqual(['1', '2', '2']);
    expect(again.Messages![0]!.MessageAttributes?.n?.StringValue).toBe('1');
  });

  it('survives a torn last line and compacts the journal at start', async () => {
    t = await startTestSqs();
    const url = (await t.client.send(new CreateQueueCommand({ QueueName: 'torn' }))).QueueUrl!;
    for (let i = 0; i < 20; i++) await t.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));
    for (let i = 0; i < 2; i++) {
      const got = await t.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      for (const m of got.Messages!.slice(0, 9)) await t.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
    const journal = join(t.dataDir, 'sqs', 'journal.jsonl');
    await t.sqs.close();
    // A crash mid-write leaves half a line where the preallocated zeros began.
    const dataEnd = (await readFile(journal)).indexOf(0);
    const fh = await open(journal, 'r+');
    await fh.write('{"o":"s","q":"torn","m":{"id":"half', dataEnd);
    await fh.close();
    await t.restart();
    const all = await readFile(journal, 'utf8');
    const lines = all.slice(0, all.indexOf('\0')).trim().split('\n');
    // The FIFO sequence counter, one queue and the two messages left: the compacted journal holds nothing else.
    expect(lines.map((l) => (JSON.parse(l) as { o: string }).o)).toEqual(['sq', 'cq', 's', 's']);
    const got = await t.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(got.Messages?.map((m) => m.Body).sort()).toEqual(['m19', 'm9']);
  });

  it('keeps FIFO deduplication and sequence numbers across restarts', async () => {
    t = await startTestSqs();
    const url = (await t.client.send(new CreateQueueCommand({ QueueName: 'keep.fifo', Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
    const first = await t.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }));
    const got = await t.client.send(new ReceiveMessageCommand({ QueueUrl: url }));
    await t.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got.Messages![0]!.ReceiptHandle }));
    await t.restart();
    const dup = await t.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a', MessageGroupId: 'g', MessageDeduplicationId: 'd1' }));
    expect(dup.MessageId).toBe(first.MessageId);
    expect((await t.client.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    const next = await t.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'b', MessageGroupId: 'g', MessageDeduplicationId: 'd2' }));
    expect(BigInt(next.SequenceNumber!)).toBeGreaterThan(BigInt(first.SequenceNumber!));
  });
});
