/** Shared set-up for the orders/worker/outbox suites: a config without any ambient .env or secrets. */
import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { OrderPlacedV1 } from '../../src/events/schemas.js';

export async function testConfig(values: Record<string, string | undefined> = {}): Promise<Config> {
  return loadConfig({
    env: { PIER_ENV: 'test', ENV_FILE: '/nonexistent/.env', DOCKER_SECRETS_DIR: '/nonexistent/secrets', LOG_LEVEL: 'silent', SERVICE_PORT: '0', ...values },
  });
}

/** Tests read response fields freely; a wrong guess fails the assertion, which is the point. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** `fetch` with a JSON body and a bearer token. */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  let body: Json = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

/** A valid `order.placed` v1 event with fresh ids, as the outbox would publish it. */
export function orderPlacedEvent(opts: { userSub: string; item?: string }): OrderPlacedV1 {
  const now = new Date().toISOString();
  return {
    type: 'order.placed',
    version: 1,
    id: randomUUID(),
    occurredAt: now,
    userSub: opts.userSub,
    order: { id: randomUUID(), item: opts.item ?? 'tea', quantity: 1, note: null, status: 'placed', createdAt: now },
  };
}
