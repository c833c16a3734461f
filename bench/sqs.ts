/**
 * The local SQS endpoint's raw rate: producers send batches of 10 while several pollers long-poll (10 at a time) and
 * delete what they got (DeleteMessageBatch), all through the real SDK over HTTP, until every message is deleted.
 * Measured twice in the same run: with the journal fdatasync'd before each answer (what `npm start` uses) and, as
 * the baseline, writing the journal without fdatasync. Target: ≥ 1,000 messages/s send+receive+delete durable
 * (the end-to-end goal is 1,000 events/s).
 *
 *   npx tsx bench/sqs.ts [--messages 20000] [--producers 2] [--pollers 4] [--rounds 3]
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startTestSqs } from '../local/sqs/testing.js';

export interface SqsRoundResult {
  /** Messages sent, received and deleted per second, first send to last delete. */
  messagesPerSec: number;
  /** Messages sent per second while producers were sending (receiving and deleting ran at the same time). */
  sendPerSec: number;
  /** Time from a message's send to its delete being acknowledged. */
  p50Ms: number;
  p99Ms: number;
  requests: number;
}

export interface SqsBenchResult {
  messages: number;
  producers: number;
  pollers: number;
  rounds: number;
  durable: SqsRoundResult;
  noFsync: SqsRoundResult;
  /** durable / noFsync messages per second (median of rounds). */
  ratio: number;
  target: number;
  meetsTarget: boolean;
}

export interface SqsBenchOptions {
  messages?: number;
  producers?: number;
  pollers?: number;
  rounds?: number;
  print?: boolean;
}

async function round(sync: boolean, messages: number, producers: number, pollers: number): Promise<SqsRoundResult> {
  const t = await startTestSqs({ sync });
  try {
    const c = t.client;
    const { QueueUrl } = await c.send(new CreateQueueCommand({ QueueName: 'bench' }));
    const payload = JSON.stringify({ type: 'order.placed', orderId: '00000000-0000-4000-8000-000000000000', total: 4200, pad: 'x'.repeat(200) });
    let requests = 0;
    let sent = 0;
    let deleted = 0;
    const latencies: number[] = [];
    const start = performance.now();
    let sendDone = 0;

    const perProducer = Math.ceil(messages / producers / 10);
    const produce = async () => {
      for (let b = 0; b < perProducer && sent < messages; b++) {
        const n = Math.min(10, messages - sent);
        sent += n;
        const now = performance.now().toFixed(3);
        await c.send(new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: n }, (_, i) => ({ Id: `m${i}`, MessageBody: `${now}|${payload}` })) }));
        requests += 1;
      }
    };
    const poll = async () => {
      while (deleted < messages) {
        const got = await c.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
        requests += 1;
        const ms = got.Messages ?? [];
        if (ms.length === 0) continue;
        await c.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: ms.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }));
        requests += 1;
        const now = performance.now();
        for (const m of ms) latencies.push(now - Number(m.Body!.slice(0, m.Body!.indexOf('|'))));
        deleted += ms.length;
      }
    };
    await Promise.all([
      Promise.all(Array.from({ length: producers }, produce)).then(() => (sendDone = performance.now())),
      ...Array.from({ length: pollers }, poll),
    ]);
    const seconds = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    return {
      messagesPerSec: messages / seconds,
      sendPerSec: messages / ((sendDone - start) / 1000),
      p50Ms: pct(50),
      p99Ms: pct(99),
      requests,
    };
  } finally {
    await t.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function medianRound(rs: SqsRoundResult[]): SqsRoundResult {
  return {
    messagesPerSec: median(rs.map((r) => r.messagesPerSec)),
    sendPerSec: median(rs.map((r) => r.sendPerSec)),
    p50Ms: median(rs.map((r) => r.p50Ms)),
    p99Ms: median(rs.map((r) => r.p99Ms)),
    requests: median(rs.map((r) => r.requests)),
  };
}

export async function run(opts: SqsBenchOptions = {}): Promise<SqsBenchResult> {
  const messages = opts.messages ?? 20_000;
  const producers = opts.producers ?? 2;
  const pollers = opts.pollers ?? 4;
  const rounds = opts.rounds ?? 3;
  const print = opts.print ?? true;
  // A short warm-up so JIT and sockets do not count against the first round.
  await round(true, 1000, producers, pollers);
  const durable: SqsRoundResult[] = [];
  const noFsync: SqsRoundResult[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // Alternate the order so drift on the shared machine does not favour one mode.
    const [a, b] = i % 2 === 0 ? [true, false] : [false, true];
    const ra = await round(a, messages, producers, pollers);
    const rb = await round(b, messages, producers, pollers);
    const d = a ? ra : rb;
    const n = a ? rb : ra;
    durable.push(d);
    noFsync.push(n);
    ratios.push(d.messagesPerSec / n.messagesPerSec);
  }
  const result: SqsBenchResult = {
    messages,
    producers,
    pollers,
    rounds,
    durable: medianRound(durable),
    noFsync: medianRound(noFsync),
    ratio: median(ratios),
    target: 1000,
    meetsTarget: median(durable.map((r) => r.messagesPerSec)) >= 1000,
  };
  if (print) {
    const row = (name: string, r: SqsRoundResult) =>
      `${name.padEnd(22)} ${r.messagesPerSec.toFixed(0).padStart(8)} ${r.sendPerSec.toFixed(0).padStart(9)} ${r.p50Ms.toFixed(1).padStart(8)} ${r.p99Ms.toFixed(1).padStart(8)}`;
    process.stdout.write(
      [
        `SQS endpoint: ${messages} messages, batches of 10, ${producers} producers, ${pollers} pollers, median of ${rounds} rounds (client and endpoint in one process)`,
        `${'mode'.padEnd(22)} ${'msg/s'.padStart(8)} ${'send/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`,
        row('journal + fdatasync', result.durable),
        row('journal, no fdatasync', result.noFsync),
        `durable / no-fsync: ${result.ratio.toFixed(2)}x; target ≥ ${result.target} msg/s durable: ${result.meetsTarget ? 'met' : 'NOT met'} (${(result.durable.messagesPerSec / result.target).toFixed(1)}x)`,
        '',
      ].join('\n'),
    );
  }
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { messages: { type: 'string' }, producers: { type: 'string' }, pollers: { type: 'string' }, rounds: { type: 'string' } },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  await run({ messages: num(values.messages), producers: num(values.producers), pollers: num(values.pollers), rounds: num(values.rounds) });
}
