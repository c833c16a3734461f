/**
 * The local SQS endpoint's raw rate: producers send batches of 10 while several pollers long-poll (10 at a time) and
 * delete what they got (DeleteMessageBatch), all through the real SDK over HTTP, until every message is deleted.
 * Measured twice in the same run: with the journal fdatasync'd before each answer (what `npm start` uses) and, as
 * the baseline, writing the journal without fdatasync. Target: ≥ 1,000 messages/s send+receive+delete durable
 * (the end-to-end goal is 1,000 events/s).
 *
 * Then the peer comparison: the same AWS SDK workload (8 senders with SendMessageBatch, then 8 pollers with
 * ReceiveMessage + DeleteMessageBatch) against Pier's durable endpoint and against fauxqs in memory (the fastest Node
 * peer; a devDependency started here), alternating, twice each. Goal: Pier ≥ 1.0x fauxqs.
 *
 *   npx tsx bench/sqs.ts [--messages 20000] [--producers 2] [--pollers 4] [--rounds 3]
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
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
  /** The peer comparison: msg/s of the phased workload on Pier (durable) and on fauxqs (in memory), means of two rounds. */
  peer: { pier: number; fauxqs: number; ratio: number; goal: number };
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

/** Sends `messages` with `senders` in batches of 10, then receives and deletes them all with `pollers`; msg/s overall. */
async function phased(client: SQSClient, QueueUrl: string, messages: number, senders: number, pollers: number): Promise<number> {
  const body = JSON.stringify({ type: 'order.placed', orderId: '00000000-0000-4000-8000-000000000000', total: 4200, pad: 'x'.repeat(200) });
  const start = performance.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (sent < messages) {
        const n = Math.min(10, messages - sent);
        sent += n;
        await client.send(new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: n }, (_, i) => ({ Id: `m${i}`, MessageBody: body })) }));
      }
    }),
  );
  let deleted = 0;
  await Promise.all(
    Array.from({ length: pollers }, async () => {
      while (deleted < messages) {
        const got = (await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }))).Messages ?? [];
        if (got.length === 0) continue;
        await client.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: got.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }));
        deleted += got.length;
      }
    }),
  );
  return messages / ((performance.now() - start) / 1000);
}

const PEER_SENDERS = 8;
const PEER_POLLERS = 8;

/** The phased workload on Pier's durable endpoint (fdatasync'd journal, a fresh data folder). */
async function pierPhased(messages: number): Promise<number> {
  const t = await startTestSqs({ sync: true });
  try {
    const { QueueUrl } = await t.client.send(new CreateQueueCommand({ QueueName: 'peer' }));
    return await phased(t.client, QueueUrl!, messages, PEER_SENDERS, PEER_POLLERS);
  } finally {
    await t.close();
  }
}

/** The same on fauxqs, in memory (no dataDir), with the same SDK client settings. */
async function fauxqsPhased(messages: number): Promise<number> {
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  const client = new SQSClient({ endpoint: `http://127.0.0.1:${server.port}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'peer' }));
    return await phased(client, QueueUrl!, messages, PEER_SENDERS, PEER_POLLERS);
  } finally {
    client.destroy();
    await server.stop();
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
  // The peer comparison, alternating so drift does not favour one side.
  const pierRates: number[] = [];
  const fauxqsRates: number[] = [];
  await fauxqsPhased(1000);
  for (let i = 0; i < 2; i++) {
    if (i % 2 === 0) {
      pierRates.push(await pierPhased(messages));
      fauxqsRates.push(await fauxqsPhased(messages));
    } else {
      fauxqsRates.push(await fauxqsPhased(messages));
      pierRates.push(await pierPhased(messages));
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const peer = { pier: mean(pierRates), fauxqs: mean(fauxqsRates), ratio: mean(pierRates) / mean(fauxqsRates), goal: 1 };
  const result: SqsBenchResult = {
    messages,
    producers,
    pollers,
    rounds,
    durable: medianRound(durable),
    noFsync: medianRound(noFsync),
    ratio: median(ratios),
    peer,
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
        `Peer: ${messages} messages, ${PEER_SENDERS} senders then ${PEER_POLLERS} pollers (receive + delete), twice each, alternating`,
        `  Pier, durable         ${peer.pier.toFixed(0).padStart(8)} msg/s   (rounds: ${pierRates.map((r) => r.toFixed(0)).join(', ')})`,
        `  fauxqs, in memory     ${peer.fauxqs.toFixed(0).padStart(8)} msg/s   (rounds: ${fauxqsRates.map((r) => r.toFixed(0)).join(', ')})`,
        `  Pier / fauxqs: ${peer.ratio.toFixed(2)}x (goal ≥ ${peer.goal.toFixed(1)}x: ${peer.ratio >= peer.goal ? 'met' : 'NOT met'})`,
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
