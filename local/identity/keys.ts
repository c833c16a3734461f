import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/fsAtomic.js';

/** The pool's RS256 signing key, as Cognito's JWKS publishes it. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: { kty: 'RSA'; alg: 'RS256'; use: 'sig'; kid: string; n: string; e: string };
}

export const KEY_FILE = 'signing-key.pem';

/**
 * Loads the signing key from `dir`, generating an RSA-2048 key on first start. The key lives in the data folder
 * (mode 0600) so a restart keeps every issued token valid; it is never shipped with the code.
 */
export async function loadOrCreateSigningKey(dir: string): Promise<SigningKey> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, KEY_FILE);
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
    // Someone may have copied the folder with a lax umask: keep the private key private.
    await chmod(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await writeFileAtomic(path, pem);
  }
  return signingKeyFromPem(pem);
}

function signingKeyFromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JsonWebKey & { n: string; e: string };
  // RFC 7638 thumbprint: stable across restarts and unique per key.
  const kid = createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n })).digest('base64url');
  return { kid, privateKey, publicJwk: { kty: 'RSA', alg: 'RS256', use: 'sig', kid, n: jwk.n, e: jwk.e } };
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS with Cognito's header (`kid` and `alg` only). */
export function signJwt(key: SigningKey, payload: Record<string, unknown>): string {
  const input = `${b64url({ kid: key.kid, alg: 'RS256' })}.${b64url(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}
