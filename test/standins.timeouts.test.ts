/**
 * Every local server stops waiting for a client that does not finish its request: a Content-Length larger than
 * the body it sends, or headers that never end, are answered 408 (or cut) within the configured request timeout,
 * and the server still answers others afterwards. An SQS long poll, which waits after its request has arrived,
 * is not cut by the same timeout.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_TIMEOUTS, serverTimeoutOptions, type ServerTimeouts } from '../src/serverTimeouts.js';
import { startGateway, type RunningGateway } from '../local/gateway/server.js';
import { startTestIdentity, type TestIdentity } from '../local/identity/testing.js';
import { startLambdaInvoke } from '../local/lambda/index.js';
import type { RunningPart } from '../local/part.js';
import { startSecretsManager } from '../local/secretsmanager/index.js';
import { startTestSqs, type TestSqs } from '../local/sqs/testing.js';
import type { TokenVerifier } from '../src/auth/types.js';
import { createLogger } from '../src/log.js';
import { unfinished } from './support/rawHttp.js';

const REQUEST_TIMEOUT_MS = 600;
const timeouts: ServerTimeouts = { requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: 400 };
/** The timeout, the check interval and scheduling on a busy 2-core machine: a stuck request would take minutes. */
const CLOSED_WITHIN_MS = REQUEST_TIMEOUT_MS + 2500;
const logger = createLogger({ level: 'silent' });

/** A POST that declares 100 bytes of body and sends 10. */
const shortBody = (host: string, path: string, headers: string) => `POST ${path} HTTP/1.1\r\nHost: ${host}\r\n${headers}Content-Length: 100\r\n\r\n{"a":"012"`;
/** Headers that never end. */
const endlessHeaders = (host: string) => `POST / HTTP/1.1\r\nHost: ${host}\r\nX-Slow: 1\r\n`;

async function expectCut(url: string, head: string): Promise<void> {
  const { ms, response } = await unfinished(url, head);
  // Not answered before the timeout (the server was waiting for the rest), and not much after it.
  expect(ms).toBeGreaterThan(REQUEST_TIMEOUT_MS / 2);
  expect(ms).toBeLessThan(CLOSED_WITHIN_MS);
  // Node answers 408 when nothing was written yet; the socket is closed either way.
  if (response !== '') expect(response).toMatch(/^HTTP\/1\.1 408 /);
}

let sqs: TestSqs;
let secrets: RunningPart;
let identity: TestIdentity;
let lambda: RunningPart;
let gateway: RunningGateway;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-timeouts-'));
  const verifier: TokenVerifier = { verify: () => Promise.reject(new Error('no tokens here')) };
  [sqs, secrets, identity, lambda, gateway] = await Promise.all([
    startTestSqs({ timeouts }),
    startSecretsManager({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'sm'), region: 'us-east-1', logger, timeouts }),
    startTestIdentity({ timeouts }),
    startLambdaInvoke({ host: '127.0.0.1', port: 0, functions: { echo: async (e) => e }, logger, timeouts }),
    startGateway({
      logger,
      verifier,
      routes: [{ method: 'POST', path: '/echo', target: { kind: 'function', name: 'echo' }, auth: { type: 'none' } }],
      functions: { echo: async (e) => ({ statusCode: 200, body: e.body ?? '' }) },
      bodyLimitBytes: 4096,
      lambdaTimeoutMs: 1000,
      integrationTimeoutMs: 1000,
      webDir: false,
      timeouts,
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([sqs?.close(), secrets?.close(), identity?.close(), lambda?.close(), gateway?.close()]);
  await rm(dir, { recursive: true, force: true });
});

describe('request timeouts', () => {
  it('defaults to limits every server gets, with the headers limit within the request limit', () => {
    const d = serverTimeoutOptions();
    expect(d).toMatchObject({ requestTimeout: DEFAULT_SERVER_TIMEOUTS.requestTimeoutMs, headersTimeout: DEFAULT_SERVER_TIMEOUTS.headersTimeoutMs, keepAliveTimeout: DEFAULT_SERVER_TIMEOUTS.keepAliveTimeoutMs });
    expect(d.requestTimeout).toBeGreaterThan(0);
    expect(d.connectionsCheckingInterval).toBeLessThanOrEqual(1000);
    expect(serverTimeoutOptions({ requestTimeoutMs: 200 }).headersTimeout).toBe(200);
  });

  /** Name, base URL, path and headers of a request each server would otherwise take. */
  const servers = (): [string, string, string, string][] => [
    ['sqs', sqs.sqs.url, '/', 'X-Amz-Target: AmazonSQS.ListQueues\r\nContent-Type: application/x-amz-json-1.0\r\n'],
    ['secretsmanager', secrets.url!, '/', 'X-Amz-Target: secretsmanager.ListSecrets\r\nContent-Type: application/x-amz-json-1.1\r\n'],
    ['identity', identity.identity.url, '/', 'X-Amz-Target: AWSCognitoIdentityProviderService.SignUp\r\nContent-Type: application/x-amz-json-1.1\r\n'],
    ['lambda', lambda.url!, '/2015-03-31/functions/echo/invocations', 'Content-Type: application/json\r\n'],
    ['gateway', gateway.url, '/echo', 'Content-Type: application/json\r\n'],
  ];

  it('closes a request whose body is shorter than its Content-Length', async () => {
    await Promise.all(servers().map(([, url, path, headers]) => expectCut(url, shortBody(new URL(url).host, path, headers))));
  });

  it('closes a request whose headers never end', async () => {
    await Promise.all(servers().map(([, url]) => expectCut(url, endlessHeaders(new URL(url).host))));
  });

  it('keeps answering after cutting such clients', async () => {
    expect((await fetch(`${sqs.sqs.url}/health`)).status).toBe(200);
    expect((await fetch(secrets.url!, { method: 'POST', headers: { 'x-amz-target': 'secretsmanager.ListSecrets', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' })).status).toBe(200);
    expect((await fetch(`${identity.identity.url}/health`)).status).toBe(200);
    expect(await (await fetch(`${lambda.url!}/2015-03-31/functions/echo/invocations`, { method: 'POST', body: '{"a":1}' })).json()).toEqual({ a: 1 });
    expect(await (await fetch(`${gateway.url}/echo`, { method: 'POST', body: 'hi' })).text()).toBe('hi');
  });

  it('does not cut an SQS long poll that lasts longer than the request timeout', async () => {
    const { QueueUrl } = await sqs.client.send(new CreateQueueCommand({ QueueName: 'long-poll' }));
    const started = performance.now();
    const empty = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
    expect(empty.Messages ?? []).toEqual([]);
    expect(performance.now() - started).toBeGreaterThan(1900);
    // And one answered by a message arriving after the request timeout has passed.
    const poll = sqs.client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
    await new Promise((r) => setTimeout(r, REQUEST_TIMEOUT_MS * 2));
    await sqs.client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'late' }));
    expect((await poll).Messages?.[0]?.Body).toBe('late');
  });
});
