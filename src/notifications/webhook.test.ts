import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refuseLoopbackPorts } from './address.js';
import { generateSigningKey } from './signingKey.js';
import { createWebhookSender, signingKeyBytes, signWebhook } from './webhook.js';

describe('signWebhook', () => {
  it('matches the Standard Webhooks construction', () => {
    // HMAC-SHA256 over `${id}.${timestamp}.${body}` with the decoded whsec_ key, base64, prefixed `v1,`.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const key = signingKeyBytes(secret);
    expect(key.equals(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'))).toBe(true);
    const sig = signWebhook(key, 'msg_1', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe(`v1,${createHmac('sha256', key).update('msg_1.1614265330.{"test": 2432232314}').digest('base64')}`);
    expect(() => signingKeyBytes('not-a-key')).toThrow();
  });
});

describe('createWebhookSender', () => {
  let slow: ReturnType<typeof createServer>;
  let url: string;
  beforeAll(async () => {
    slow = createServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 2000);
      else if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
      else res.writeHead(202).end();
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    slow.closeAllConnections();
    await new Promise((r) => slow.close(r));
  });

  const sender = (allowLoopback: boolean) =>
    createWebhookSender({ signingKey: signingKeyBytes(generateSigningKey()), timeoutMs: 300, allowLoopback });

  it('delivers on 2xx, fails on timeout, does not follow redirects, refuses loopback unless allowed', async () => {
    expect(await sender(true)(`${url}/ok`, 'id1', '{}')).toEqual({ status: 'delivered', httpStatus: 202 });
    expect(await sender(true)(`${url}/slow`, 'id2', '{}')).toEqual({ status: 'failed', error: 'timeout' });
    expect(await sender(true)(`${url}/redirect`, 'id3', '{}')).toMatchObject({ status: 'failed', httpStatus: 302 });
    expect(await sender(false)(`${url.replace('http:', 'https:')}/ok`, 'id4', '{}')).toEqual({ status: 'refused', error: 'WEBHOOK_ADDRESS_REFUSED' });
    expect(await sender(false)(`${url}/ok`, 'id4', '{}')).toEqual({ status: 'refused', error: 'WEBHOOK_URL_INVALID' });
  });

  it('refuses http to anything but loopback, and the local runtime\'s own ports, even with loopback allowed', async () => {
    expect(await sender(true)('http://93.184.215.14/hook', 'id5', '{}')).toEqual({ status: 'refused', error: 'WEBHOOK_URL_INVALID' });
    expect(await sender(true)('http://[::a9fe:a9fe]/hook', 'id6', '{}')).toEqual({ status: 'refused', error: 'WEBHOOK_ADDRESS_REFUSED' });
    const release = refuseLoopbackPorts(() => [Number(new URL(url).port)]);
    try {
      expect(await sender(true)(`${url}/ok`, 'id7', '{}')).toEqual({ status: 'refused', error: 'WEBHOOK_ADDRESS_REFUSED' });
    } finally {
      release();
    }
    expect(await sender(true)(`${url}/ok`, 'id8', '{}')).toEqual({ status: 'delivered', httpStatus: 202 });
  });
});
