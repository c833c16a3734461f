import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TokenVerifier } from '../../src/auth/types.js';
import { createTestIssuer, type TestIssuer } from '../../test/support/tokens.js';
import { createJwtAuthorizer } from './authorizer.js';

const read = { type: 'jwt', scopes: ['pier/orders.read'] } as const;
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterEach(() => {
  vi.useRealTimers();
});

/** The issuer's verifier, counting calls. */
function counting(): TokenVerifier & { calls: number } {
  const inner = issuer.verifier();
  const v = {
    calls: 0,
    verify: (token: string, opts?: Parameters<TokenVerifier['verify']>[1]) => {
      v.calls++;
      return inner.verify(token, opts);
    },
  };
  return v;
}

describe('createJwtAuthorizer', () => {
  it('verifies a token once and serves it from its cache until exp, then refuses it', async () => {
    const verifier = counting();
    const authorize = createJwtAuthorizer(verifier);
    const token = issuer.accessToken({ scope: 'pier/orders.read', expiresIn: 60 });
    for (let i = 0; i < 3; i++) expect(await authorize(`Bearer ${token}`, read)).toMatchObject({ allow: true, scopes: ['pier/orders.read'] });
    expect(verifier.calls).toBe(1);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 61_000);
    expect(await authorize(`Bearer ${token}`, read)).toMatchObject({ allow: false, statusCode: 401, code: 'TOKEN_EXPIRED' });
    expect(verifier.calls).toBe(2);
  });

  it('checks scopes on every request, cached or not', async () => {
    const authorize = createJwtAuthorizer(counting());
    const token = issuer.accessToken({ scope: 'pier/orders.write' });
    expect(await authorize(token, { type: 'jwt', scopes: [] })).toMatchObject({ allow: true, scopes: null });
    expect(await authorize(token, read)).toMatchObject({ allow: false, statusCode: 403, code: 'TOKEN_SCOPE_MISSING' });
    expect(await authorize(token, { type: 'jwt', scopes: ['pier/orders.read', 'pier/orders.write'] })).toMatchObject({ allow: true });
  });

  it('never caches a refusal', async () => {
    const verifier = counting();
    const authorize = createJwtAuthorizer(verifier);
    const bad = issuer.accessToken({ clientId: 'other' });
    expect((await authorize(bad, read)).allow).toBe(false);
    expect((await authorize(bad, read)).allow).toBe(false);
    expect(verifier.calls).toBe(2);
    expect(await authorize(undefined, read)).toMatchObject({ allow: false, statusCode: 401, wwwAuthenticate: 'Bearer', code: 'TOKEN_MISSING' });
    expect(await authorize('Bearer ', read)).toMatchObject({ code: 'TOKEN_MISSING' });
  });
});
