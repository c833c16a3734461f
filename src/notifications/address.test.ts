import { describe, expect, it } from 'vitest';
import { addressAllowed, resolveWebhookTarget } from './address.js';

describe('addressAllowed', () => {
  it.each([
    '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
    'fe80::1', 'fc00::1', 'fd12:3456::1', '::', 'ff02::1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe', '64:ff9b::192.168.0.1',
  ])('refuses private, link-local and special %s', (a) => {
    expect(addressAllowed(a, { allowLoopback: true })).toBe(false);
  });

  it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])('refuses loopback %s unless allowed', (a) => {
    expect(addressAllowed(a, { allowLoopback: false })).toBe(false);
    expect(addressAllowed(a, { allowLoopback: true })).toBe(true);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('allows public %s', (a) => {
    expect(addressAllowed(a, { allowLoopback: false })).toBe(true);
  });

  it('refuses what is not an address', () => {
    expect(addressAllowed('example.com', { allowLoopback: true })).toBe(false);
  });
});

describe('resolveWebhookTarget', () => {
  const strict = { allowLoopback: false, allowHttp: false };
  it('checks every address a name resolves to (localhost has loopback answers)', async () => {
    await expect(resolveWebhookTarget('https://localhost/x', strict)).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
    await expect(resolveWebhookTarget('http://localhost:9/x', { allowLoopback: true, allowHttp: true })).resolves.toMatchObject({ url: expect.any(URL) });
  });

  it('refuses bad URLs, http where https is required, credentials and unresolvable hosts', async () => {
    await expect(resolveWebhookTarget('not a url', strict)).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
    await expect(resolveWebhookTarget('http://93.184.215.14/', strict)).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
    await expect(resolveWebhookTarget('ftp://93.184.215.14/', { allowLoopback: true, allowHttp: true })).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
    await expect(resolveWebhookTarget('https://u:p@93.184.215.14/', strict)).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
    await expect(resolveWebhookTarget('https://no-such-host.invalid/', strict)).rejects.toMatchObject({ code: 'WEBHOOK_HOST_UNRESOLVED' });
    await expect(resolveWebhookTarget('https://[::1]/', strict)).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
  });
});
