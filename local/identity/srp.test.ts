import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { claimSignature, fakeVerifier, formatTimestamp, g, k, makeVerifier, modPow, N, padHex, parseA, parseTimestamp, SecretBlocks, serverEphemeral, sessionKey, signatureMatches } from './srp.js';

// The client's own big-integer type (jsbn), which AuthenticationHelper works with; both loaded by Node's require, so
// they share one module instance (AuthenticationHelper checks `instanceof BigInteger`).
type Big = { toString(radix: number): string };
const require = createRequire(import.meta.url);
const BigInteger = (require('amazon-cognito-identity-js/lib/BigInteger.js') as { default: new (hex: string, radix: number) => Big }).default;
// Neither is in the package's type declarations.
const { AuthenticationHelper, DateHelper } = require('amazon-cognito-identity-js') as { AuthenticationHelper: new (poolName: string) => unknown; DateHelper: new () => { getNowString(): string } };
type Helper = {
  N: Big;
  k: Big;
  smallAValue: Big;
  largeAValue?: Big;
  padHex(n: Big): string;
  getLargeAValue(cb: (err: unknown, A: Big) => void): void;
  getPasswordAuthenticationKey(user: string, pw: string, B: Big, salt: Big, cb: (err: unknown, key: Buffer) => void): void;
};
const helper = (poolName: string, smallA?: string): Helper => {
  const h = new AuthenticationHelper(poolName) as unknown as Helper;
  if (smallA) {
    h.smallAValue = new BigInteger(smallA, 16);
    h.largeAValue = undefined;
    h.getLargeAValue(() => undefined);
  }
  return h;
};
const largeA = (h: Helper) => new Promise<Big>((resolve, reject) => h.getLargeAValue((err, A) => (err ? reject(err as Error) : resolve(A))));
const clientKey = (h: Helper, user: string, pw: string, B: bigint, salt: string) =>
  new Promise<Buffer>((resolve, reject) => h.getPasswordAuthenticationKey(user, pw, new BigInteger(B.toString(16), 16), new BigInteger(salt, 16), (err, key) => (err ? reject(err as Error) : resolve(Buffer.from(key)))));

const POOL = 'PierTest1';

afterEach(() => void vi.useRealTimers());

describe('SRP (server side) against amazon-cognito-identity-js AuthenticationHelper (client side)', () => {
  it('uses the same group, k and padding', () => {
    const h = helper(POOL);
    expect(h.N.toString(16)).toBe(N.toString(16));
    expect(g).toBe(2n);
    expect(h.k.toString(16)).toBe(k.toString(16));
    for (const hex of ['1', '7f', '80', 'ff', '0100', 'abcdef', N.toString(16), '00ff00']) {
      expect(padHex(BigInt(`0x${hex}`))).toBe(h.padHex(new BigInteger(hex, 16)));
    }
  });

  it('derives the same 16-byte key as the client, for fixed and random values (salts with and without the top bit)', async () => {
    const vectors = [
      { a: 'a1'.repeat(128), salt: '8f3c00aa11223344556677889900aabb', b: 0x1234567890abcdefn, user: '3b5d6c2e-0000-4000-8000-000000000001', pw: 'Correct-horse-9' },
      { a: '01'.repeat(128), salt: '00c1d2e3f405162738495a6b7c8d9eaf', b: 0xfeedbeefn, user: 'a2cc1234-5678-4abc-8def-0123456789ab', pw: 'Pässwörd-€-1' },
    ];
    for (const v of vectors) {
      const h = helper(POOL, v.a);
      const A = BigInt(`0x${(await largeA(h)).toString(16)}`);
      expect(A).toBe(modPow(g, BigInt(`0x${v.a}`), N));
      const verifier = makeVerifier(POOL, v.user, v.pw, v.salt);
      const vv = BigInt(`0x${verifier.verifier}`);
      const B = (k * vv + modPow(g, v.b, N)) % N;
      const server = sessionKey(A, B, v.b, vv)!;
      expect(server).toHaveLength(16);
      expect(server.equals(await clientKey(h, v.user, v.pw, B, v.salt))).toBe(true);
      // A wrong password (or another user id, or another pool) gives another key.
      expect(server.equals(await clientKey(helper(POOL, v.a), v.user, `${v.pw}x`, B, v.salt))).toBe(false);
      expect(server.equals(await clientKey(helper('Other', v.a), v.user, v.pw, B, v.salt))).toBe(false);
    }
    for (let i = 0; i < 2; i++) {
      const h = helper(POOL);
      const A = BigInt(`0x${(await largeA(h)).toString(16)}`);
      const verifier = makeVerifier(POOL, 'user-id', 'Random-pass-1');
      const v = BigInt(`0x${verifier.verifier}`);
      const { b, B } = serverEphemeral(v);
      expect(sessionKey(A, B, b, v)!.equals(await clientKey(h, 'user-id', 'Random-pass-1', B, verifier.salt))).toBe(true);
    }
  });

  it('checks the signature the way the client makes it', () => {
    const key = Buffer.alloc(16, 7);
    const block = Buffer.from('secret-block');
    const sig = claimSignature(key, POOL, 'user', block, 'Mon Jan 6 09:05:03 UTC 2025');
    expect(signatureMatches(sig, sig.toString('base64'))).toBe(true);
    expect(signatureMatches(sig, Buffer.alloc(32).toString('base64'))).toBe(false);
    expect(signatureMatches(sig, 'short')).toBe(false);
  });

  it("formats and parses the clients' TIMESTAMP (English, day not zero-padded)", () => {
    for (const at of ['2025-01-06T09:05:03Z', '2024-02-29T23:59:59Z', '2025-12-31T00:00:00Z', '2026-07-19T12:34:56Z']) {
      vi.useFakeTimers({ now: new Date(at), toFake: ['Date'] });
      const client = new DateHelper().getNowString();
      expect(formatTimestamp(new Date())).toBe(client);
      expect(parseTimestamp(client)).toBe(Date.parse(at));
    }
    expect(formatTimestamp(new Date('2025-01-06T09:05:03Z'))).toBe('Mon Jan 6 09:05:03 UTC 2025');
    for (const bad of ['Mon Jan 06 09:05:03 UTC 2025', 'Tue Jan 6 09:05:03 UTC 2025', 'Mon Jan 6 9:05:03 UTC 2025', 'Fri Feb 31 09:05:03 UTC 2025', 'mon jan 6 09:05:03 UTC 2025', '']) {
      expect(parseTimestamp(bad)).toBeUndefined();
    }
  });

  it('refuses an A that is 0 mod N, or not hex', () => {
    expect(parseA('0')).toBeUndefined();
    expect(parseA(N.toString(16))).toBeUndefined();
    expect(parseA((N * 2n).toString(16))).toBeUndefined();
    expect(parseA('xyz')).toBeUndefined();
    expect(parseA('')).toBeUndefined();
    expect(parseA('02')).toBe(2n);
  });

  it('derives stable stand-ins for unknown names, shaped like real ones', () => {
    const key = Buffer.alloc(32, 1);
    const a = fakeVerifier(key, 'nobody@example.com');
    expect(fakeVerifier(key, 'nobody@example.com')).toEqual(a);
    expect(fakeVerifier(key, 'other@example.com').salt).not.toBe(a.salt);
    expect(fakeVerifier(Buffer.alloc(32, 2), 'nobody@example.com').salt).not.toBe(a.salt);
    expect(a.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(a.userIdForSrp).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.verifier > 0n && a.verifier < N).toBe(true);
  });

  it('seals SECRET_BLOCK: it opens only unaltered, and only on the server that made it', () => {
    const blocks = new SecretBlocks();
    const state = { id: 'x', name: 'n', sub: 's', known: 1 as const, userIdForSrp: 'u', clientId: 'c', A: '2', B: '3', b: '4', v: '5', expiresAt: 1 };
    const sealed = blocks.seal(state);
    expect(blocks.open(sealed)).toEqual(state);
    const raw = Buffer.from(sealed, 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(blocks.open(raw.toString('base64'))).toBeUndefined();
    expect(new SecretBlocks().open(sealed)).toBeUndefined();
    expect(blocks.open('')).toBeUndefined();
  });
});
