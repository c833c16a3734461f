/**
 * WEBHOOK_ALLOW_LOOPBACK under `npm start` (the whole local runtime, free ports, a temp data folder): on unless the
 * user set it (environment or `.env`), and even when on, a webhook may not target the runtime's own parts nor use
 * http for anything but loopback.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdentityPart } from '../local/identity/index.js';
import type { LocalRuntime } from '../local/runtime.js';
import { resolveWebhookTarget } from '../src/notifications/address.js';
import { startTestRuntime } from './support/runtime.js';
import { startReceiver, type Receiver } from './support/webhooks.js';

let dir: string;
let runtime: LocalRuntime | undefined;
let receiver: Receiver | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-webhook-loopback-'));
});

afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await receiver?.close();
  receiver = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** PUT /me/webhook through the gateway, as the demo user. */
async function putWebhook(rt: LocalRuntime, url: string): Promise<{ status: number; code?: string }> {
  const identity = rt.parts.find((p) => p.name === 'identity') as IdentityPart;
  const user = identity.pool.findUser('demo@pier.local')!;
  const client = identity.pool.findClient(rt.config.COGNITO_CLIENT_ID)!;
  const { accessToken } = await identity.pool.issueTokens(user, client, { scope: ['openid', 'pier/orders.read', 'pier/orders.write'], authTime: Math.floor(Date.now() / 1000) });
  const res = await fetch(`${rt.endpoints.gateway}/me/webhook`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, enabled: false }),
  });
  const body = (await res.json()) as { code?: string };
  return { status: res.status, ...(body.code ? { code: body.code } : {}) };
}

// A start brings up every part (embedded Postgres included): several seconds each on two busy cores.
describe('WEBHOOK_ALLOW_LOOPBACK in the local runtime', { timeout: 90_000 }, () => {
  it("is on when nobody set it, but refuses the runtime's own ports and http to anything but loopback", async () => {
    runtime = await startTestRuntime(dir);
    expect(runtime.config.WEBHOOK_ALLOW_LOOPBACK).toBe(true);
    receiver = await startReceiver();
    expect(await putWebhook(runtime, receiver.url)).toEqual({ status: 200 });

    const own = ['gateway', 'service', 'identity', 'sqs', 'secretsmanager'].map((name) => runtime!.endpoints[name] as string);
    for (const base of own) {
      const port = new URL(base).port;
      for (const url of [`${base}/x`, `http://localhost:${port}/x`, `http://[::1]:${port}/`]) {
        expect(await putWebhook(runtime, url), url).toEqual({ status: 400, code: 'WEBHOOK_ADDRESS_REFUSED' });
      }
    }
    expect(await putWebhook(runtime, 'http://93.184.215.14/hook')).toEqual({ status: 400, code: 'WEBHOOK_URL_INVALID' });
    expect(await putWebhook(runtime, 'https://[2002:a9fe:a9fe::]/hook')).toEqual({ status: 400, code: 'WEBHOOK_ADDRESS_REFUSED' });

    // Once the runtime is closed its ports are no longer its own.
    await runtime.close();
    runtime = undefined;
    await expect(resolveWebhookTarget(`${own[1]}/x`, { allowLoopback: true })).resolves.toMatchObject({ address: '127.0.0.1' });
  });

  it('stays off when `.env` says so', async () => {
    await writeFile(join(dir, '.env'), 'WEBHOOK_ALLOW_LOOPBACK=false\n');
    runtime = await startTestRuntime(dir);
    expect(runtime.config.WEBHOOK_ALLOW_LOOPBACK).toBe(false);
    receiver = await startReceiver();
    expect(await putWebhook(runtime, receiver.url)).toEqual({ status: 400, code: 'WEBHOOK_URL_INVALID' });
    expect(await putWebhook(runtime, receiver.url.replace('http:', 'https:'))).toEqual({ status: 400, code: 'WEBHOOK_ADDRESS_REFUSED' });
  });

  it('stays off when the environment says so, over a `.env` that says on', async () => {
    await writeFile(join(dir, '.env'), 'WEBHOOK_ALLOW_LOOPBACK=true\n');
    runtime = await startTestRuntime(dir, { WEBHOOK_ALLOW_LOOPBACK: 'no' });
    expect(runtime.config.WEBHOOK_ALLOW_LOOPBACK).toBe(false);
  });
});
