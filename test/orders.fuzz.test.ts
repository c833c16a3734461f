/**
 * Property-based tests of the service API (fast-check): hostile bodies, strings from the whole code-point range
 * (lone surrogates, noncharacters, controls), numbers at and past the bounds, deep nesting, `__proto__` keys, random
 * paths and query strings. Each request must get an answer below 500, and every order it accepts must be one the
 * later stages take: the real local SQS accepts its event and the worker's event schema parses it.
 *
 * Bounded for `npm test` (a few seconds); `FUZZ_RUNS=2000 npx vitest run test/orders.fuzz.test.ts` runs longer.
 */
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSqs, type TestSqs } from '../local/sqs/testing.js';
import { listFailedOutbox } from '../src/events/outboxFailures.js';
import { createOutboxRelay } from '../src/events/relay.js';
import { parseOrderEvent } from '../src/events/schemas.js';
import { sqsPublisher } from '../src/events/sqs.js';
import { createLogger } from '../src/log.js';
import { buildService } from '../src/service.js';
import { createTestDb, type TestDb } from './support/db.js';
import { testConfig } from './support/orders.js';
import { createTestIssuer, type TestIssuer } from './support/tokens.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const silent = createLogger({ level: 'silent' });

let t: TestDb;
let sqs: TestSqs;
let queueUrl: string;
let app: FastifyInstance;
let base: string;
let issuer: TestIssuer;
let token: string;

beforeAll(async () => {
  t = await createTestDb();
  sqs = await startTestSqs();
  queueUrl = (await sqs.client.send(new CreateQueueCommand({ QueueName: 'fuzz-order-events' }))).QueueUrl!;
  issuer = await createTestIssuer();
  token = issuer.accessToken({ sub: 'fuzz-sub', username: 'fuzz' });
  app = await buildService({ config: await testConfig({ WEBHOOK_ALLOW_LOOPBACK: 'false' }), logger: silent, db: t.db, verifier: issuer.verifier() });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await sqs?.close();
  await t?.close();
});

/** Any code point, lone surrogates included, with the troublemakers drawn often. */
const codePoint = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.constantFrom('\u0000', '\u0001', '\u001b', '\t', '\n', '\r', '\u007f', '\u0085', '\ud800', '\udfff', '\ufffe', '\uffff', '\ufffd', '\ue000', '☕', '🧉', '\u{10ffff}', '\u202e') },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((c) => (c >= 0xd800 && c <= 0xdfff ? String.fromCharCode(c) : String.fromCodePoint(c))) },
);
const text = (maxLength: number) => fc.array(codePoint, { maxLength }).map((a) => a.join(''));
const quantity = fc.oneof(
  fc.integer({ min: -2, max: 1002 }),
  fc.constantFrom(0, 1, 1000, 1001, 1.5, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1),
  fc.double(),
  fc.string(),
  fc.constant(null),
);
/** Objects that try prototype tricks and depth. */
const hostile = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue(),
    fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'item', 'quantity', 'note', 'toString'), tie('value'), { maxKeys: 4 }),
    fc.array(tie('value'), { maxLength: 3 }),
  ),
}));
const orderBody = fc.oneof(
  { weight: 5, arbitrary: fc.record({ item: text(210), quantity, note: fc.option(text(40), { nil: undefined }) }, { requiredKeys: ['item', 'quantity'] }) },
  { weight: 1, arbitrary: fc.record({ item: fc.string({ maxLength: 205 }), quantity: fc.integer({ min: 1, max: 1000 }), note: text(2005), extra: fc.anything() }) },
  { weight: 2, arbitrary: hostile.value },
);

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body });
  await res.arrayBuffer();
  return res.status;
}

/** Sends every unsent outbox row through the real local SQS and returns what the queue holds, parsed. */
async function relayAndReceive(): Promise<number> {
  const relay = createOutboxRelay({ db: t.db, publisher: sqsPublisher(sqs.client, queueUrl), logger: silent, maxRefusals: 1 });
  while ((await relay.runOnce()) > 0);
  let received = 0;
  for (;;) {
    const r = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    const msgs = r.Messages ?? [];
    if (msgs.length === 0) return received;
    for (const m of msgs) expect(parseOrderEvent(m.Body)).toMatchObject({ ok: true });
    received += msgs.length;
    await sqs.client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}

describe('the service API under hostile input', () => {
  it('POST /orders: never a 5xx, and every accepted order is sent by the real queue and parsed by the worker schema', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(orderBody, async (body) => {
        const status = await post('/orders', JSON.stringify(body) ?? 'null');
        expect(status).toBeLessThan(500);
        expect([201, 400]).toContain(status);
        if (status === 201) accepted++;
      }),
      { numRuns: RUNS },
    );
    // Every accepted order's event leaves (none refused, none set aside) and parses.
    expect(await relayAndReceive()).toBe(accepted);
    expect((await listFailedOutbox(t.db)).total).toBe(0);
    const unsent = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL');
    expect(unsent.rows[0]!.n).toBe(0);
  });

  it('raw bodies, content types and Idempotency-Keys: never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        text(80),
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'),
        fc.option(text(20), { nil: undefined }),
        async (raw, contentType, key) => {
          const headers: Record<string, string> = { 'content-type': contentType };
          // fetch refuses header values outside Latin-1; those never reach a server anyway.
          if (key !== undefined && /^[\t\x20-\x7e\x80-\xff]*$/.test(key)) headers['idempotency-key'] = key;
          expect(await post('/orders', raw, headers)).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('GET with random ids, cursors and limits, and PUT /me/webhook with random bodies: never a 5xx', async () => {
    const segment = text(40).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x')));
    await fc.assert(
      fc.asyncProperty(segment, segment, segment, hostile.value, text(60), async (id, cursor, limit, webhook, url) => {
        for (const path of [`/orders/${id}`, `/orders?cursor=${cursor}&limit=${limit}`, `/orders?limit=${limit}`]) {
          const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
          await res.arrayBuffer();
          expect({ path, status: res.status < 500 }).toEqual({ path, status: true });
        }
        for (const body of [webhook, { url, enabled: true }]) {
          const res = await fetch(`${base}/me/webhook`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) ?? 'null' });
          await res.arrayBuffer();
          expect(res.status).toBeLessThan(500);
        }
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });
});
