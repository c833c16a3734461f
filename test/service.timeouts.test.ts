import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { buildService } from '../src/service.js';
import { testConfig } from './support/orders.js';
import { unfinished } from './support/rawHttp.js';

const REQUEST_TIMEOUT_MS = 500;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = await buildService({ config: await testConfig(), logger: createLogger({ level: 'silent' }), timeouts: { requestTimeoutMs: REQUEST_TIMEOUT_MS } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(() => app?.close());

describe('service request timeout', () => {
  it('answers 408 and closes a request whose body never arrives in full, and keeps serving', async () => {
    const { ms, response } = await unfinished(`http://127.0.0.1:${port}`, 'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"item":"t');
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeGreaterThan(REQUEST_TIMEOUT_MS / 2);
    // Node checks every connectionsCheckingInterval, derived from the limit (its own default is 30 s).
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + 3_000);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
