import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY_FILE, loadOrCreateSigningKey, signJwt } from './keys.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-keys-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('signing key', () => {
  it('is generated once (RSA 2048, mode 0600) and the same key is loaded again', async () => {
    const first = await loadOrCreateSigningKey(join(dir, 'identity'));
    expect((await stat(join(dir, 'identity', KEY_FILE))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'identity'))).mode & 0o777).toBe(0o700);
    expect(first.privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const again = await loadOrCreateSigningKey(join(dir, 'identity'));
    expect(again.kid).toBe(first.kid);
    expect(again.publicJwk).toEqual(first.publicJwk);
    expect(first.publicJwk).not.toHaveProperty('d');
    expect(await readFile(join(dir, 'identity', KEY_FILE), 'utf8')).toMatch(/^-{5}BEGIN PRIVATE KEY-{5}\n/);
  });

  it('signs compact RS256 JWTs with only kid and alg in the header', async () => {
    const key = await loadOrCreateSigningKey(dir);
    const token = signJwt(key, { sub: 'abc', n: 1 });
    const [h, p, s] = token.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ kid: key.kid, alg: 'RS256' });
    expect(JSON.parse(Buffer.from(p, 'base64url').toString())).toEqual({ sub: 'abc', n: 1 });
    const pub = createPublicKey({ key: key.publicJwk, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${h}.${p}`), pub, Buffer.from(s, 'base64url'))).toBe(true);
    expect(verify('sha256', Buffer.from(`${h}.${p}x`), pub, Buffer.from(s, 'base64url'))).toBe(false);
  });
});
