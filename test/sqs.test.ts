import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { md5OfAttributes } from '../local/sqs/md5.js';
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

const newQueue = async (attrs: Record<string, string> = {}, name = `q${++n}`) =>
  (await c.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }))).QueueUrl!;

const attrsOf = async (QueueUrl: string) => (await c.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes!;

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err as Error & { Code?: string; $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected an error');
};

describe('queues', () => {
  it('creates idempotently, finds, lists, tags and deletes queues', async () => {
    const url = await newQueue({ VisibilityTimeout: '12' }, 'orders-a');
    expect(url).toBe(`${t.sqs.url}/000000000000/orders-a`);
    expect(await newQueue({ VisibilityTimeout: '12' }, 'orders-a')).toBe(url);
    const exists = await errorOf(newQueue({ VisibilityTimeout: '13' }, 'orders-a'));
    expect(exists.name).toBe('QueueNameExists');
    expect(exists.Code).toBe('QueueAlreadyExists');
    await newQueue({}, 'orders-b');

    expect((await c.send(new GetQueueUrlCommand({ QueueName: 'orders-b' }))).QueueUrl).toBe(`${t.sqs.url}/000000000000/orders-b`);
    const listed = await c.send(new ListQueuesCommand({ QueueNamePrefix: 'orders-' }));
    expect(listed.QueueUrls).toEqual([url, `${t.sqs.url}/000000000000/orders-b`]);
    const page = await c.send(new ListQueuesCommand({ QueueNamePrefix: 'orders-', MaxResults: 1 }));
    expect(page.QueueUrls).toHaveLength(1);
    expect(page.NextToken).toBeTruthy();

    await c.send(new TagQueueCommand({ QueueUrl: url, Tags: { team: 'pier' } }));
    expect((await c.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ team: 'pier' });

    const a = await attrsOf(url);
    expect(a.VisibilityTimeout).toBe('12');
    expect(a.QueueArn).toBe('arn:aws:sqs:us-east-1:000000000000:orders-a');
    expect(a.MaximumMessageSize).toBe('1048576');

    await c.send(new DeleteQueueCommand({ QueueUrl: url }));
    const gone = await errorOf(c.send(new GetQueueUrlCommand({ QueueName: 'orders-a' })));
    expect(gone.name).toBe('QueueDoesNotExist');
    expect(gone.Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
  });

  it('matches a queue URL by its name whatever host it names', async () => {
    const url = await newQueue();
    const other = url.replace(/^http:\/\/[^/]+/, 'http://localhost.localstack.cloud:4566');
    // The client's endpoint wins over the URL's host (the SDK sends to the endpoint), the name picks the queue.
    await c.send(new SendMessageCommand({ QueueUrl: other, MessageBody: 'hi' }));
    expect((await attrsOf(url)).ApproximateNumberOfMessages).toBe('1');
    expect((await errorOf(c.send(new SendMessageCommand({ QueueUrl: 'not a url', MessageBody: 'x' })))).name).toBe('InvalidAddress');
    expect((await errorOf(c.send(new SendMessageCommand({ QueueUrl: `${t.sqs.url}/000000000000/nope`, MessageBody: 'x' })))).name).toBe(
      'QueueDoesNotExist',
    );
  });

  it('rejects bad names and attributes', async () => {
    expect((await errorOf(newQueue({}, 'bad name'))).name).toBe('InvalidParameterValue');
    expect((await errorOf(newQueue({ VisibilityTimeout: '50000' }))).name).toBe('InvalidAttributeValue');
    expect((await errorOf(newQueue({ Bogus: '1' }))).name).toBe('InvalidAttributeName');
    expect((await errorOf(newQueue({}, 'nofifo.fifo'))).name).toBe('InvalidParameterValue');
  });

  it('sets attributes and purges', async () => {
    const url = await newQueue();
    await c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { DelaySeconds: '0', MessageRetentionPeriod: '600' } }));
    expect((await attrsOf(url)).MessageRetentionPeriod).toBe('600');
    await c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: '1' }, { Id: 'b', MessageBody: '2' }] }));
    expect((await attrsOf(url)).ApproximateNumberOfMessages).toBe('2');
    await c.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect((await attrsOf(url)).ApproximateNumberOfMessages).toBe('0');
  });
});

describe('messages', () => {
  it('round-trips emoji and any allowed Unicode, with attributes and their MD5s', async () => {
    const url = await newQueue();
    const body = 'order ✅ 🎉👩‍💻 \u{10FFFD} \uE000 tab\tnew\nline ' + '日本語';
    const MessageAttributes = {
      kind: { DataType: 'String', StringValue: 'order.placed 🚀' },
      n: { DataType: 'Number', StringValue: '42' },
      raw: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 255]) },
    };
    const sent = await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes }));
    const expectedMd5 = md5OfAttributes({
      kind: { DataType: 'String', StringValue: 'order.placed 🚀' },
      n: { DataType: 'Number', StringValue: '42' },
      raw: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]).toString('base64') },
    });
    expect(sent.MD5OfMessageAttributes).toBe(expectedMd5);
    const got = await c.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    const m = got.Messages![0]!;
    expect(m.Body).toBe(body);
    expect(m.MessageId).toBe(sent.MessageId);
    expect(m.MD5OfMessageAttributes).toBe(expectedMd5);
    expect(m.MessageAttributes?.kind?.StringValue).toBe('order.placed 🚀');
    expect([...(m.MessageAttributes?.raw?.BinaryValue ?? [])]).toEqual([0, 1, 2, 255]);
    expect(m.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(Number(m.Attributes?.SentTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(m.Attributes?.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(m.Attributes?.SentTimestamp));

    // Only the attributes asked for come back, and the MD5 covers those.
    await c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    const some = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['kind'] }));
    expect(Object.keys(some.Messages![0]!.MessageAttributes!)).toEqual(['kind']);
    expect(some.Messages![0]!.MD5OfMessageAttributes).toBe(md5OfAttributes({ kind: MessageAttributes.kind as { DataType: string; StringValue: string } }));
  });

  it('rejects characters outside the SQS set', async () => {
    const url = await newQueue();
    for (const bad of ['a\u0000b', 'bell\u0007', 'lone \uD800 surrogate', '\uFFFF']) {
      const err = await errorOf(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: bad })));
      expect(err.name).toBe('InvalidMessageContents');
    }
    const attrErr = await errorOf(
      c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'ok', MessageAttributes: { a: { DataType: 'String', StringValue: 'x\u0001' } } })),
    );
    expect(attrErr.name).toBe('InvalidMessageContents');
    expect((await attrsOf(url)).ApproximateNumberOfMessages).toBe('0');
  });

  it('accepts exactly 1 MiB (body + attributes) and rejects one byte more', async () => {
    const url = await newQueue();
    const attr = { a: { DataType: 'String', StringValue: 'xyz' } }; // 1 + 6 + 3 = 10 bytes
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1_048_576) }));
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'y'.repeat(1_048_566), MessageAttributes: attr }));
    const tooLong = await errorOf(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1_048_577) })));
    expect(tooLong.name).toBe('InvalidParameterValue');
    expect(tooLong.message).toMatch(/1048576 bytes/);
    expect((await errorOf(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'y'.repeat(1_048_567), MessageAttributes: attr })))).name).toBe(
      'InvalidParameterValue',
    );
    // A 4-byte emoji counts as 4 bytes.
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '🎉'.repeat(262_144) }));
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(got.Messages!.map((m) => Buffer.byteLength(m.Body!))).toEqual([1_048_576, 1_048_566, 1_048_576]);
  });

  it('enforces the batch rules', async () => {
    const url = await newQueue();
    const entries = (k: number, size = 1) => Array.from({ length: k }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x'.repeat(size) }));
    expect((await errorOf(c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] })))).name).toBe('EmptyBatchRequest');
    expect((await errorOf(c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries(11) })))).name).toBe('TooManyEntriesInBatchRequest');
    expect(
      (await errorOf(c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: '1' }, { Id: 'a', MessageBody: '2' }] })))).name,
    ).toBe('BatchEntryIdsNotDistinct');
    expect((await errorOf(c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'bad id!', MessageBody: '1' }] })))).name).toBe(
      'InvalidBatchEntryId',
    );
    // 10 x 104,858 bytes = 1,048,580 > 1 MiB in total, though each one is small.
    expect((await errorOf(c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries(10, 104_858) })))).name).toBe('BatchRequestTooLong');
    const ok = await c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries(8, 131_072) }));
    expect(ok.Successful).toHaveLength(8);

    // Bad entries fail alone.
    const mixed = await c.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'good', MessageBody: 'fine' }, { Id: 'bad', MessageBody: 'nul\u0000' }] }),
    );
    expect(mixed.Successful?.map((s) => s.Id)).toEqual(['good']);
    expect(mixed.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'InvalidMessageContents', SenderFault: true })]);
    expect((await attrsOf(url)).ApproximateNumberOfMessages).toBe('9');
  });

  it('receives up to MaxNumberOfMessages and checks its range', async () => {
    const url = await newQueue();
    await c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `b${i}` })) }));
    await c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 5 }, (_, i) => ({ Id: `m${i}`, MessageBody: `c${i}` })) }));
    const first = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(first.Messages).toHaveLength(10);
    const second = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(second.Messages).toHaveLength(5);
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    const a = await attrsOf(url);
    expect([a.ApproximateNumberOfMessages, a.ApproximateNumberOfMessagesNotVisible]).toEqual(['0', '15']);
    expect((await errorOf(c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })))).name).toBe('InvalidParameterValue');
    expect((await errorOf(c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 0 })))).name).toBe('InvalidParameterValue');
    expect((await errorOf(c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 21 })))).name).toBe('InvalidParameterValue');
  });

  it('long polls: answers as soon as a message arrives, or empty after WaitTimeSeconds', async () => {
    const url = await newQueue();
    const started = Date.now();
    const polling = c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
    await new Promise((r) => setTimeout(r, 300));
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
    const got = await polling;
    const took = Date.now() - started;
    expect(got.Messages?.[0]?.Body).toBe('wake up');
    expect(took).toBeGreaterThanOrEqual(250);
    // Well before the 10 s wait ends (generous: two busy cores).
    expect(took).toBeLessThan(5000);

    const emptyStart = Date.now();
    const empty = await c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));
    expect(empty.Messages).toBeUndefined();
    expect(Date.now() - emptyStart).toBeGreaterThanOrEqual(900);
  });

  it('long polls wake when a visibility timeout ends', async () => {
    const url = await newQueue();
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    await c.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1 }));
    const started = Date.now();
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(got.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(Date.now() - started).toBeLessThan(4500);
  });

  it('redelivers after the visibility timeout with ApproximateReceiveCount going up', async () => {
    const url = await newQueue({ VisibilityTimeout: '1' });
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'retry me' }));
    const counts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 3, AttributeNames: ['All'] }));
      counts.push(got.Messages![0]!.Attributes!.ApproximateReceiveCount!);
      // Hidden until the timeout ends.
      expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    }
    expect(counts).toEqual(['1', '2', '3']);
  });

  it('delays messages (DelaySeconds) and counts them as delayed', async () => {
    const url = await newQueue();
    await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 1 }));
    expect((await attrsOf(url)).ApproximateNumberOfMessagesDelayed).toBe('1');
    expect((await c.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    const started = Date.now();
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
    expect(got.Messages?.[0]?.Body).toBe('later');
    expect(Date.now() - started).toBeGreaterThan(500);
    expect((await errorOf(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', DelaySeconds: 901 })))).name).toBe('InvalidParameterValue');
  });

  it('deletes by receipt handle, rejects bogus handles, changes visibility', async () => {
    const url = await newQueue();
    await c.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [1, 2, 3, 4].map((i) => ({ Id: `m${i}`, MessageBody: `b${i}` })) }));
    const got = (await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages!;
    expect(got).toHaveLength(4);

    for (const bogus of ['bogus', 'pier1.AAAA', got[0]!.ReceiptHandle!.slice(0, -3)]) {
      const err = await errorOf(c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: bogus })));
      expect(err.name).toBe('ReceiptHandleIsInvalid');
    }
    // A real handle from another queue is not valid here either.
    const other = await newQueue();
    expect((await errorOf(c.send(new DeleteMessageCommand({ QueueUrl: other, ReceiptHandle: got[0]!.ReceiptHandle })))).name).toBe('ReceiptHandleIsInvalid');

    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got[0]!.ReceiptHandle }));
    // Deleting again succeeds, as in AWS.
    await c.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got[0]!.ReceiptHandle }));

    const batch = await c.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', ReceiptHandle: got[1]!.ReceiptHandle },
          { Id: 'b', ReceiptHandle: 'not-a-handle' },
        ],
      }),
    );
    expect(batch.Successful?.map((s) => s.Id)).toEqual(['a']);
    expect(batch.Failed).toEqual([expect.objectContaining({ Id: 'b', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);

    const vis = await c.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'c', ReceiptHandle: got[2]!.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'd', ReceiptHandle: got[0]!.ReceiptHandle, VisibilityTimeout: 0 },
        ],
      }),
    );
    expect(vis.Successful?.map((s) => s.Id)).toEqual(['c']);
    expect(vis.Failed?.[0]).toEqual(expect.objectContaining({ Id: 'd', Code: 'MessageNotInflight' }));
    const again = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(again.Messages?.map((m) => m.Body)).toEqual(['b3']);
    // The old handle of a message received again no longer changes its visibility.
    const stale = await errorOf(c.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: got[2]!.ReceiptHandle, VisibilityTimeout: 5 })));
    expect(stale.name).toBe('MessageNotInflight');
    const a = await attrsOf(url);
    expect([a.ApproximateNumberOfMessages, a.ApproximateNumberOfMessagesNotVisible]).toEqual(['0', '2']);
  });
});

describe('protocol edges', () => {
  it('answers plain HTTP clearly: health, a missing target, a body that is not JSON, an oversized body', async () => {
    expect(await (await fetch(`${t.sqs.url}/health`)).json()).toEqual({ status: 'ok' });
    const noTarget = await fetch(t.sqs.url, { method: 'POST', body: '{}' });
    expect(noTarget.status).toBe(400);
    expect(((await noTarget.json()) as { __type: string }).__type).toBe('com.amazonaws.sqs#InvalidAction');
    const headers = { 'x-amz-target': 'AmazonSQS.ListQueues', 'content-type': 'application/x-amz-json-1.0' };
    const notJson = await fetch(t.sqs.url, { method: 'POST', headers, body: 'nope' });
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('x-amzn-query-error')).toBe('SerializationException;Sender');
    const huge = await fetch(t.sqs.url, { method: 'POST', headers, body: JSON.stringify({ pad: 'x'.repeat(9 * 1024 * 1024) }) }).catch((e: Error) => e);
    // Either a clean 400 or, if the client was still sending, a closed connection: never a hang.
    if (!(huge instanceof Error)) expect(huge.status).toBe(400);
    const unknown = await fetch(t.sqs.url, { method: 'POST', headers: { ...headers, 'x-amz-target': 'AmazonSQS.MakeCoffee' }, body: '{}' });
    expect(((await unknown.json()) as { __type: string }).__type).toBe('com.amazonaws.sqs#InvalidAction');
  });
  it("answers Object.prototype's names as the unknown actions they are", async () => {
    const url = await newQueue();
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'valueOf', 'toString', '__defineGetter__', 'isPrototypeOf', 'toLocaleString']) {
      const res = await fetch(t.sqs.url, {
        method: 'POST',
        headers: { 'x-amz-target': `AmazonSQS.${name}`, 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify({ QueueUrl: url, MessageBody: 'echo?' }),
      });
      expect(res.status, name).toBe(400);
      expect(res.headers.get('x-amzn-query-error')).toBe('InvalidAction;Sender');
      expect(((await res.json()) as { __type: string }).__type).toBe('com.amazonaws.sqs#InvalidAction');
    }
    expect((await attrsOf(url)).ApproximateNumberOfMessages).toBe('0');
  });

  it('refuses a binary attribute that is not base64, and queue URLs of another account or scheme', async () => {
    const url = await newQueue();
    const raw = (body: object) =>
      fetch(t.sqs.url, { method: 'POST', headers: { 'x-amz-target': 'AmazonSQS.SendMessage', 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify(body) });
    for (const BinaryValue of ['not base64!', 'QQ', 'QR==', 'AAA=AAA=', '@@@@']) {
      const res = await raw({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { b: { DataType: 'Binary', BinaryValue } } });
      expect(res.status, BinaryValue).toBe(400);
      expect(((await res.json()) as { __type: string }).__type).toBe('com.amazonaws.sqs#InvalidParameterValue');
    }
    expect((await raw({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { b: { DataType: 'Binary', BinaryValue: 'AAEC/w==' } } })).status).toBe(200);
    const name = new URL(url).pathname.split('/')[2]!;
    // Another account's queue: SQS's "does not exist or you do not have access to it".
    const other = await errorOf(c.send(new SendMessageCommand({ QueueUrl: `${t.sqs.url}/123456789012/${name}`, MessageBody: 'x' })));
    expect([other.name, other.Code]).toEqual(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue']);
    // Not an account id, not an http(s) URL: InvalidAddress.
    for (const QueueUrl of [`${t.sqs.url}/0/${name}`, `${t.sqs.url}/abcdefghijkl/${name}`, `file:///000000000000/${name}`, `ftp://127.0.0.1/000000000000/${name}`, `javascript://x/000000000000/${name}`]) {
      expect((await errorOf(c.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })))).name, QueueUrl).toBe('InvalidAddress');
    }
    expect((await attrsOf(url)).ApproximateNumberOfMessages).toBe('1');
  });
});

describe('odd names', () => {
  it('keeps an attribute or tag named __proto__ as plain data', async () => {
    const url = await newQueue();
    // JSON.parse makes __proto__ an own key, as it arrives on the wire.
    const MessageAttributes = JSON.parse(
      '{"__proto__":{"DataType":"String","StringValue":"p"},"b":{"DataType":"String","StringValue":"q"}}',
    ) as Record<string, { DataType: string; StringValue: string }>;
    const sent = await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes }));
    const got = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'] }));
    const m = got.Messages![0]!;
    expect(Object.keys(m.MessageAttributes ?? {}).sort()).toEqual(['__proto__', 'b']);
    expect(m.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    const tags = JSON.parse('{"__proto__":"x","team":"y"}') as Record<string, string>;
    await c.send(new TagQueueCommand({ QueueUrl: url, Tags: tags }));
    expect(Object.keys((await c.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {}).sort()).toEqual(['__proto__', 'team']);
  });
});
