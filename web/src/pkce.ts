/**
 * PKCE (RFC 7636) and the OAuth `state`, with the Web Crypto API only (browsers and Node have it as
 * `globalThis.crypto`). The verifier and state are the only sign-in values kept across the redirect, and only in
 * sessionStorage; tokens never leave memory.
 */

/** base64url without padding (RFC 4648 §5), as PKCE and OAuth want it. */
export function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** `n` random bytes from the platform CSPRNG, base64url-encoded. */
export function randomToken(n = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(n)));
}

/** A code verifier: 32 random bytes give 43 characters, the minimum RFC 7636 allows (and 256 bits of entropy). */
export function createVerifier(): string {
  return randomToken(32);
}

const VERIFIER_RE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** S256 code challenge: base64url(SHA-256(ascii(verifier))). */
export async function challengeFor(verifier: string): Promise<string> {
  if (!VERIFIER_RE.test(verifier)) throw new Error('code verifier must be 43-128 unreserved characters');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function createState(): string {
  return randomToken(16);
}
