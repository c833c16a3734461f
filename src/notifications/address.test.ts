import { afterEach, describe, expect, it, vi } from 'vitest';

// Names under `.pier-test` resolve to what this table says; everything else goes to the real resolver.
const fakeDns: Record<string, { address: string; family: number }[]> = {
  'mixed.pier-test': [
    { address: '93.184.215.14', family: 4 },
    { address: '10.0.0.1', family: 4 },
  ],
  'public.pier-test': [
    { address: '2606:4700::1111', family: 6 },
    { address: '93.184.215.14', family: 4 },
  ],
  'loopback-and-public.pier-test': [
    { address: '127.0.0.1', family: 4 },
    { address: '93.184.215.14', family: 4 },
  ],
  'embedded.pier-test': [{ address: '2002:a9fe:a9fe::1', family: 6 }],
};
vi.mock('node:dns/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:dns/promises')>();
  return {
    ...real,
    lookup: (host: string, opts: object) => (host in fakeDns ? Promise.resolve(fakeDns[host]) : real.lookup(host, opts as { all: true })),
  };
});

const { addressAllowed, classifyAddress, embeddedIpv4s, parseIpv6, refuseLoopbackPorts, resolveWebhookTarget } = await import('./address.js');

describe('addressAllowed', () => {
  it.each([
    // IPv4 special-purpose registry (and multicast)
    '0.0.0.0', '0.1.2.3', '10.0.0.1', '100.64.0.1', '100.127.255.254', '169.254.169.254', '172.16.5.4', '172.31.255.255', '192.0.0.9', '192.0.0.171',
    '192.0.2.1', '192.31.196.1', '192.52.193.1', '192.88.99.1', '192.168.1.1', '192.175.48.1', '198.18.0.1', '198.19.255.255', '198.51.100.1',
    '203.0.113.1', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
    // IPv6 special-purpose registry (and multicast, site-local, outside 2000::/3)
    '::', '0:0:0:0:0:0:0:0', '100::1', '100:0:0:1::1', '2001::1', '2001:2::1', '2001:4:112::1', '2001:20::1', '2001:1ff::1', '2001:db8::1',
    '2620:4f:8000::1', '3fff::1', '3fff:fff:ffff::1', '5f00::1', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'FE80::1', 'febf::1', 'fec0::1',
    'ff02::1', '4000::1', '1::1', '::ffff:0:808:808',
    // IPv4-mapped
    '::ffff:10.0.0.1', '::ffff:a9fe:a9fe', '::FFFF:A9FE:A9FE', '0:0:0:0:0:ffff:169.254.169.254', '0000:0000:0000:0000:0000:ffff:a9fe:a9fe',
    '::ffff:0.0.0.0', '::ffff:224.0.0.1',
    // IPv4-compatible ::/96 (the probe's ::a9fe:a9fe), whatever it carries
    '::a9fe:a9fe', '::169.254.169.254', '0:0:0:0:0:0:a9fe:a9fe', '::0a00:0001', '::808:808', '::8.8.8.8',
    // NAT64 well-known prefix, hex and dotted; local-use /48
    '64:ff9b::192.168.0.1', '64:ff9b::a9fe:a9fe', '64:FF9B::169.254.169.254', '0064:ff9b:0000:0000:0000:0000:a9fe:a9fe', '64:ff9b::7f00:1',
    '64:ff9b:1:a9fe:a9:fe00::', '64:ff9b:1::808:808', '64:ff9b:1:808:8:800::',
    // 6to4 (the probe's 2002:a9fe:a9fe::)
    '2002:a9fe:a9fe::', '2002:A9FE:A9FE::1', '2002:a9fe:a9fe:0:0:0:0:1', '2002:0a00:0001::', '2002:c0a8:101:1:2:3:4:5', '2002:7f00:1::', '2002::',
    '2002:e000:1::', '2002:c058:6301::',
    // Teredo: a private client (last 32 bits inverted) or a private server (bits 32-63)
    '2001:0:4136:e378:8000:63bf:f5ff:fffe', '2001:0000:a9fe:a9fe::', '2001:0:4136:e378:8000:63bf:5601:5601', '2001:0:4136:e378::80ff:fffe',
    // zone ids are refused outright
    'fe80::1%eth0', '::1%lo', '2606:4700::1111%1', '::ffff:8.8.8.8%eth0',
  ])('refuses %s, loopback allowed or not', (a) => {
    expect(addressAllowed(a, { allowLoopback: true })).toBe(false);
    expect(addressAllowed(a, { allowLoopback: false })).toBe(false);
  });

  it.each(['127.0.0.1', '127.1.2.3', '127.255.255.255', '::1', '0:0:0:0:0:0:0:1', '0000:0000:0000:0000:0000:0000:0000:0001', '::ffff:127.0.0.1', '::FFFF:7F00:1', '::ffff:7f01:203'])(
    'refuses loopback %s unless allowed',
    (a) => {
      expect(classifyAddress(a)).toBe('loopback');
      expect(addressAllowed(a, { allowLoopback: false })).toBe(false);
      expect(addressAllowed(a, { allowLoopback: true })).toBe(true);
    },
  );

  it.each(['::7f00:1', '::127.0.0.1', '64:ff9b::127.0.0.1', '2002:7f00:1::', '2001:0:7f00:1::', '2001:0:4136:e378::80ff:fffe'])(
    'refuses a loopback address carried through a translator or tunnel (%s): it would be the relay\'s',
    (a) => {
      expect(classifyAddress(a)).toBe('refused');
    },
  );

  it.each([
    '93.184.215.14', '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '192.0.1.255', '198.20.0.1', '223.255.255.255',
    '2606:4700::1111', '2606:4700:0:0:0:0:0:1111', '2606:4700::6810:85e5', '2a00:1450:4001::200e', '2A00:1450:4001:0:0:0:0:200E',
    '::ffff:8.8.8.8', '::FFFF:0808:0808', '0:0:0:0:0:ffff:8.8.8.8', '::ffff:5db8:d70e',
    '64:ff9b::8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '2002:5db8:d70e:1::',
  ])('allows public %s', (a) => {
    expect(classifyAddress(a)).toBe('public');
    expect(addressAllowed(a, { allowLoopback: false })).toBe(true);
  });

  it.each(['', 'example.com', '127.1', '010.0.0.1', '1.2.3.256', '1.2.3', '::ffff:1.2.3', '::ffff:01.2.3.4', '1.2.3.4::', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::', '12345::', ':1::', '1::2:3:4:5:6:7:8', '[::1]', ' ::1', '0x7f.0.0.1'])(
    'refuses what is not an address: %j',
    (a) => {
      expect(classifyAddress(a)).toBe('refused');
      expect(addressAllowed(a, { allowLoopback: true })).toBe(false);
    },
  );
});

describe('parseIpv6', () => {
  it('reads every spelling of one address as the same 16 bytes', () => {
    const bytes = [...(parseIpv6('::ffff:a9fe:a9fe') as Uint8Array)];
    expect(bytes).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 169, 254, 169, 254]);
    for (const s of ['0:0:0:0:0:ffff:169.254.169.254', '0000:0000:0000:0000:0000:FFFF:A9FE:A9FE', '::FFFF:169.254.169.254', '0::ffff:a9fe:a9fe', '::0:ffff:a9fe:a9fe']) {
      expect([...(parseIpv6(s) as Uint8Array)], s).toEqual(bytes);
    }
    expect([...(parseIpv6('1::') as Uint8Array)]).toEqual([0, 1, ...new Array(14).fill(0)]);
    expect([...(parseIpv6('1:2:3:4:5:6:7::') as Uint8Array)]).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]);
  });
});

describe('embeddedIpv4s', () => {
  it.each([
    ['::ffff:a9fe:a9fe', ['169.254.169.254']],
    ['::a9fe:a9fe', ['169.254.169.254']],
    ['64:ff9b::a9fe:a9fe', ['169.254.169.254']],
    ['64:ff9b::169.254.169.254', ['169.254.169.254']],
    ['64:ff9b:1:a9fe:a9:fe00::', ['169.254.169.254']],
    ['2002:a9fe:a9fe::', ['169.254.169.254']],
    // RFC 4380's example: server 65.54.227.120, client 192.0.2.45 (bits inverted)
    ['2001:0000:4136:e378:8000:63bf:3fff:fdd2', ['65.54.227.120', '192.0.2.45']],
    ['2606:4700::1111', []],
  ])('%s carries %j', (a, v4) => {
    expect(embeddedIpv4s(a)).toEqual(v4);
  });
});

describe('resolveWebhookTarget', () => {
  const strict = { allowLoopback: false };
  const local = { allowLoopback: true };

  it('checks every address a name resolves to (localhost has loopback answers)', async () => {
    await expect(resolveWebhookTarget('https://localhost/x', strict)).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
    await expect(resolveWebhookTarget('http://localhost:9/x', local)).resolves.toMatchObject({ url: expect.any(URL) });
    await expect(resolveWebhookTarget('https://mixed.pier-test/x', strict)).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
    await expect(resolveWebhookTarget('https://embedded.pier-test/x', local)).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
  });

  it('pins the first vetted address', async () => {
    await expect(resolveWebhookTarget('https://public.pier-test/x', strict)).resolves.toMatchObject({ address: '2606:4700::1111', family: 6 });
    await expect(resolveWebhookTarget('https://[::ffff:8.8.8.8]/x', strict)).resolves.toMatchObject({ address: '::ffff:808:808', family: 6 });
  });

  it('refuses bad URLs, http where https is required, credentials and unresolvable hosts', async () => {
    await expect(resolveWebhookTarget('not a url', strict)).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
    await expect(resolveWebhookTarget('http://93.184.215.14/', strict)).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
    await expect(resolveWebhookTarget('ftp://93.184.215.14/', local)).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
    await expect(resolveWebhookTarget('https://u:p@93.184.215.14/', strict)).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
    await expect(resolveWebhookTarget('https://no-such-host.invalid/', strict)).rejects.toMatchObject({ code: 'WEBHOOK_HOST_UNRESOLVED' });
    await expect(resolveWebhookTarget('https://[::1]/', strict)).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
  });

  it.each(['https://[::a9fe:a9fe]/', 'https://[::7f00:1]/', 'https://[2002:a9fe:a9fe::]/', 'https://[64:ff9b::a9fe:a9fe]/', 'https://[64:ff9b::169.254.169.254]/', 'https://[64:ff9b:1:a9fe:a9:fe00::]/', 'https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/', 'https://[::ffff:169.254.169.254]/', 'https://0xa9fea9fe/', 'https://0251.0376.0251.0376/'])(
    'refuses the probe\'s %s even with loopback allowed',
    async (url) => {
      await expect(resolveWebhookTarget(url, local)).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
    },
  );

  it('takes http only for a host that is loopback through and through, even with loopback allowed', async () => {
    await expect(resolveWebhookTarget('http://93.184.215.14/', local)).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
    await expect(resolveWebhookTarget('http://[2606:4700::1111]/', local)).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
    await expect(resolveWebhookTarget('http://public.pier-test/', local)).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
    await expect(resolveWebhookTarget('http://loopback-and-public.pier-test/', local)).rejects.toMatchObject({ code: 'WEBHOOK_URL_INVALID' });
    await expect(resolveWebhookTarget('https://loopback-and-public.pier-test/', local)).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(resolveWebhookTarget('http://127.0.0.1:9/', local)).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(resolveWebhookTarget('http://[::1]:9/', local)).resolves.toMatchObject({ address: '::1', family: 6 });
    await expect(resolveWebhookTarget('http://[::ffff:127.0.0.1]:9/', local)).resolves.toMatchObject({ family: 6 });
    await expect(resolveWebhookTarget('https://93.184.215.14/', local)).resolves.toMatchObject({ address: '93.184.215.14' });
  });

  describe('the local runtime\'s own ports', () => {
    let release: (() => void) | undefined;
    afterEach(() => release?.());

    it('are refused as loopback targets while registered, by port and for every loopback spelling', async () => {
      const ports = [4321, 80];
      release = refuseLoopbackPorts(() => ports);
      for (const url of ['http://127.0.0.1:4321/x', 'http://localhost:4321/', 'http://[::1]:4321/', 'http://[::ffff:7f00:1]:4321/', 'https://127.9.9.9:4321/', 'http://127.0.0.1/']) {
        await expect(resolveWebhookTarget(url, local), url).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
      }
      await expect(resolveWebhookTarget('http://127.0.0.1:4322/', local)).resolves.toMatchObject({ address: '127.0.0.1' });
      // A public host on the same port is not this machine.
      await expect(resolveWebhookTarget('https://93.184.215.14:4321/', local)).resolves.toMatchObject({ address: '93.184.215.14' });
      // The list is read at every check: a part that starts later is covered.
      ports.push(4322);
      await expect(resolveWebhookTarget('http://127.0.0.1:4322/', local)).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
      release();
      release = undefined;
      await expect(resolveWebhookTarget('http://127.0.0.1:4321/', local)).resolves.toMatchObject({ address: '127.0.0.1' });
    });
  });
});
