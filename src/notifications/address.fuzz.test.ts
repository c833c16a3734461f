/**
 * Property-based tests of the webhook address classifier: refused IPv4 addresses hidden in every IPv6 embedding form
 * and every textual spelling stay refused; public ones in IPv4-mapped form stay allowed; no input makes it throw.
 * FUZZ_RUNS=<n> runs each property n times (default 200, well under the 3 s budget).
 */
import fc from 'fast-check';
import { BlockList, isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { addressAllowed, classifyAddress, embeddedIpv4s, parseIpv6, resolveWebhookTarget } from './address.js';

const runs = Number(process.env.FUZZ_RUNS) > 0 ? Math.floor(Number(process.env.FUZZ_RUNS)) : 200;
const params = { numRuns: runs };

/** The refused IPv4 blocks (IANA IPv4 special-purpose registry, not globally reachable, plus multicast), loopback apart. */
const REFUSED_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24],
  ['192.31.196.0', 24], ['192.52.193.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['192.175.48.0', 24], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4], ['255.255.255.255', 32],
];
const LOOPBACK_V4 = ['127.0.0.0', 8] as const;

// An oracle independent of address.ts: Node's own BlockList over the same blocks.
const notPublic = new BlockList();
for (const [net, bits] of [...REFUSED_V4, LOOPBACK_V4]) notPublic.addSubnet(net, bits, 'ipv4');

const u32 = (dotted: string) => dotted.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const bytes4 = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const dotted = (v: number) => bytes4(v).join('.');
const inNet = ([net, bits]: readonly [string, number]) => fc.integer({ min: 0, max: 2 ** (32 - bits) - 1 }).map((off) => u32(net) + off);

const refusedV4 = fc.oneof(...REFUSED_V4.map(inNet));
const loopbackV4 = inNet(LOOPBACK_V4);
const publicV4 = fc.integer({ min: 0, max: 0xffffffff }).filter((v) => !notPublic.check(dotted(v), 'ipv4'));

/** The IPv6 forms that carry an IPv4 address, as 16 bytes; `extra` fills what the form leaves free. */
type Form = 'mapped' | 'compatible' | 'nat64' | 'nat64Local' | 'sixToFour' | 'teredoClient' | 'teredoServer';
const FORMS: readonly Form[] = ['mapped', 'compatible', 'nat64', 'nat64Local', 'sixToFour', 'teredoClient', 'teredoServer'];
function embed(form: Form, v: number, extra: Uint8Array): Uint8Array {
  const [a, b, c, d] = bytes4(v) as [number, number, number, number];
  const x = [...extra];
  switch (form) {
    case 'mapped':
      return Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, a, b, c, d);
    case 'compatible':
      return Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a, b, c, d);
    case 'nat64':
      return Uint8Array.of(0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, a, b, c, d);
    case 'nat64Local': // RFC 6052 /48: bits 48-63 and 72-87, the u octet (bits 64-71) zero
      return Uint8Array.of(0, 0x64, 0xff, 0x9b, 0, 1, a, b, 0, c, d, ...x.slice(0, 5));
    case 'sixToFour':
      return Uint8Array.of(0x20, 0x02, a, b, c, d, ...x.slice(0, 10));
    case 'teredoClient': // server (any), flags and port (any), then the client inverted
      return Uint8Array.of(0x20, 0x01, 0, 0, ...x.slice(0, 8), a ^ 255, b ^ 255, c ^ 255, d ^ 255);
    case 'teredoServer':
      return Uint8Array.of(0x20, 0x01, 0, 0, a, b, c, d, ...x.slice(0, 8));
  }
}

/** How to write 16 bytes: dotted last 32 bits or not, which zero run `::` replaces (if any), leading zeros, case. */
const spelling = fc.record({
  mixed: fc.boolean(),
  compress: fc.nat(),
  pads: fc.array(fc.nat(3), { minLength: 8, maxLength: 8 }),
  upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
});
type Spelling = { mixed: boolean; compress: number; pads: number[]; upper: boolean[] };

function spell(b: Uint8Array, s: Spelling): string {
  const hexGroups = s.mixed ? 6 : 8;
  const groups = Array.from({ length: hexGroups }, (_, i) => ((b[2 * i] as number) << 8) | (b[2 * i + 1] as number));
  const text = groups.map((g, i) => {
    const h = g.toString(16);
    const padded = '0'.repeat(Math.min(s.pads[i] as number, 4 - h.length)) + h;
    return s.upper[i] ? padded.toUpperCase() : padded;
  });
  const tail = s.mixed ? [Array.from(b.slice(12)).join('.')] : [];
  // Every run of zero groups may be the one `::` stands for; or none.
  const zeroRuns: [number, number][] = [];
  for (let i = 0; i < hexGroups; i++) for (let j = i; j < hexGroups && groups[j] === 0; j++) zeroRuns.push([i, j - i + 1]);
  const pick = s.compress % (zeroRuns.length + 1);
  if (pick === zeroRuns.length) return [...text, ...tail].join(':');
  const [start, len] = zeroRuns[pick] as [number, number];
  return `${text.slice(0, start).join(':')}::${[...text.slice(start + len), ...tail].join(':')}`;
}

const extra = fc.uint8Array({ minLength: 10, maxLength: 10 });
const form = fc.constantFrom(...FORMS);

describe('address classifier (property-based)', () => {
  it('reads every spelling of any address as its bytes, as the URL parser and Node do', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), spelling, (b, s) => {
        const text = spell(b, s);
        expect([...(parseIpv6(text) as Uint8Array)], text).toEqual([...b]);
        expect(isIP(text), text).toBe(6);
        const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
        expect([...(parseIpv6(canonical) as Uint8Array)], canonical).toEqual([...b]);
      }),
      params,
    );
  });

  it('refuses a refused IPv4 address in every embedding form and spelling, loopback allowed or not', () => {
    fc.assert(
      fc.property(refusedV4, form, extra, spelling, (v, f, x, s) => {
        fc.pre(!(f === 'compatible' && v === 1)); // ::1 is the IPv6 loopback, not 0.0.0.1 carried
        const text = spell(embed(f, v, x), s);
        expect(addressAllowed(text, { allowLoopback: true }), `${dotted(v)} as ${f}: ${text}`).toBe(false);
        expect(addressAllowed(dotted(v), { allowLoopback: true })).toBe(false);
      }),
      params,
    );
  });

  it('refuses a loopback IPv4 address in every form unless loopback is allowed, and outside IPv4-mapped form always', () => {
    fc.assert(
      fc.property(loopbackV4, form, extra, spelling, (v, f, x, s) => {
        const text = spell(embed(f, v, x), s);
        expect(addressAllowed(text, { allowLoopback: false }), `${dotted(v)} as ${f}: ${text}`).toBe(false);
        expect(addressAllowed(text, { allowLoopback: true }), `${dotted(v)} as ${f}: ${text}`).toBe(f === 'mapped');
      }),
      params,
    );
  });

  it('decodes the IPv4 address of every form', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), form, extra, spelling, (v, f, x, s) => {
        // `::` and `::1` are not IPv4-compatible addresses but the unspecified and loopback ones.
        fc.pre(!(f === 'compatible' && v <= 1));
        expect(embeddedIpv4s(spell(embed(f, v, x), s))).toContain(dotted(v));
      }),
      params,
    );
  });

  it('allows a public IPv4 address in IPv4-mapped form (and through NAT64 or 6to4)', () => {
    fc.assert(
      fc.property(publicV4, fc.constantFrom<Form>('mapped', 'nat64', 'sixToFour'), extra, spelling, (v, f, x, s) => {
        const text = spell(embed(f, v, x), s);
        expect(addressAllowed(text, { allowLoopback: false }), `${dotted(v)} as ${f}: ${text}`).toBe(true);
        expect(addressAllowed(dotted(v), { allowLoopback: false })).toBe(true);
      }),
      params,
    );
  });

  it('refuses the same through a URL, whatever the URL parser makes of the spelling', async () => {
    await fc.assert(
      fc.asyncProperty(refusedV4, form, extra, spelling, async (v, f, x, s) => {
        fc.pre(!(f === 'compatible' && v === 1));
        const url = `https://[${spell(embed(f, v, x), s)}]/hook`;
        await expect(resolveWebhookTarget(url, { allowLoopback: true }), url).rejects.toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
      }),
      { numRuns: Math.max(1, Math.floor(runs / 2)) },
    );
  });

  it('never throws on any string', () => {
    const addressish = fc.stringMatching(/^[0-9a-fA-F:.%[\]]{0,60}$/);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }), addressish), (text) => {
        expect(['public', 'loopback', 'refused']).toContain(classifyAddress(text));
        expect(typeof addressAllowed(text, { allowLoopback: true })).toBe('boolean');
        expect(Array.isArray(embeddedIpv4s(text))).toBe(true);
        parseIpv6(text);
      }),
      { numRuns: runs * 5 },
    );
  });
});
