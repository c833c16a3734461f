import { describe, expect, it } from 'vitest';
import { base64url, challengeFor, createState, createVerifier } from './pkce';

describe('PKCE', () => {
  it('computes the S256 challenge of RFC 7636 Appendix B', async () => {
    expect(await challengeFor('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes verifiers of 43 unreserved characters, different every time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const v = createVerifier();
      expect(v).toMatch(/^[A-Za-z0-9\-_]{43}$/);
      seen.add(v);
    }
    expect(seen.size).toBe(200);
  });

  it('refuses verifiers the RFC does not allow', async () => {
    await expect(challengeFor('too-short')).rejects.toThrow(/43-128/);
    await expect(challengeFor('a'.repeat(129))).rejects.toThrow(/43-128/);
    await expect(challengeFor(`${'a'.repeat(42)}+`)).rejects.toThrow(/43-128/);
  });

  it('encodes base64url without padding', () => {
    expect(base64url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(base64url(new Uint8Array([]))).toBe('');
  });

  it('makes unguessable states (128 bits)', () => {
    const a = createState();
    expect(a).toMatch(/^[A-Za-z0-9\-_]{22}$/);
    expect(createState()).not.toBe(a);
  });
});
