import { describe, expect, it } from 'vitest';
import type { WebConfig } from './config';
import {
  authorizeUrl,
  checkCallback,
  codeExchangeBody,
  decodeJwtPayload,
  logoutUrl,
  parseTokenResponse,
  PENDING_MAX_AGE_MS,
  refreshBody,
  refreshDelay,
  SignInError,
  type PendingSignIn,
} from './oauth';
import { base64url } from './pkce';

const cfg: WebConfig = {
  identityDomain: 'http://127.0.0.1:4002',
  clientId: 'pier-web-local',
  apiUrl: 'http://127.0.0.1:4000',
  redirectUri: 'http://127.0.0.1:4000/callback',
  logoutUri: 'http://127.0.0.1:4000/',
  scopes: ['openid', 'email', 'pier/orders.read'],
  pollIntervalMs: 1500,
};

const pending: PendingSignIn = { state: 'state-123', verifier: 'v'.repeat(43), startedAt: 1_000_000 };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SignInError ? err.code : 'OTHER';
  }
  return undefined;
}

describe('authorize and logout URLs', () => {
  it('asks for a code with PKCE S256, the state and the scopes', () => {
    const u = new URL(authorizeUrl(cfg, { state: 's t&x', challenge: 'ch' }));
    expect(u.origin + u.pathname).toBe('http://127.0.0.1:4002/oauth2/authorize');
    expect(Object.fromEntries(u.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'pier-web-local',
      redirect_uri: 'http://127.0.0.1:4000/callback',
      scope: 'openid email pier/orders.read',
      state: 's t&x',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
  });

  it('can start on the sign-up page with the same parameters', () => {
    const u = new URL(authorizeUrl(cfg, { state: 's', challenge: 'ch' }, { signUp: true }));
    expect(u.pathname).toBe('/signup');
    expect(u.searchParams.get('code_challenge_method')).toBe('S256');
    expect(u.searchParams.get('state')).toBe('s');
  });

  it('logs out through the hosted login back to the page', () => {
    const u = new URL(logoutUrl(cfg));
    expect(u.pathname).toBe('/logout');
    expect(u.searchParams.get('client_id')).toBe('pier-web-local');
    expect(u.searchParams.get('logout_uri')).toBe('http://127.0.0.1:4000/');
  });
});

describe('callback check', () => {
  const now = pending.startedAt + 1000;
  it('returns the code when the state matches', () => {
    expect(checkCallback(new URLSearchParams('code=abc&state=state-123'), pending, now)).toBe('abc');
  });
  it('refuses a different state', () => {
    expect(codeOf(() => checkCallback(new URLSearchParams('code=abc&state=state-999'), pending, now))).toBe('STATE_MISMATCH');
    expect(codeOf(() => checkCallback(new URLSearchParams('code=abc'), pending, now))).toBe('STATE_MISMATCH');
    expect(codeOf(() => checkCallback(new URLSearchParams('code=abc&state=state-1234'), pending, now))).toBe('STATE_MISMATCH');
  });
  it('refuses a response when no sign-in was started in this tab', () => {
    expect(codeOf(() => checkCallback(new URLSearchParams('code=abc&state=state-123'), null, now))).toBe('STATE_MISSING');
  });
  it('refuses a stale sign-in', () => {
    expect(codeOf(() => checkCallback(new URLSearchParams('code=abc&state=state-123'), pending, pending.startedAt + PENDING_MAX_AGE_MS + 1))).toBe('SIGN_IN_EXPIRED');
  });
  it('reports the provider error with its description', () => {
    const params = new URLSearchParams('error=access_denied&error_description=User+cancelled&state=state-123');
    expect(() => checkCallback(params, pending, now)).toThrow(/User cancelled \(access_denied\)/);
  });
  it('needs a code', () => {
    expect(codeOf(() => checkCallback(new URLSearchParams('state=state-123'), pending, now))).toBe('CODE_MISSING');
  });
});

describe('token requests and responses', () => {
  it('sends the verifier and redirect URI with the code', () => {
    expect(Object.fromEntries(codeExchangeBody(cfg, 'abc', pending.verifier))).toEqual({
      grant_type: 'authorization_code',
      client_id: 'pier-web-local',
      code: 'abc',
      redirect_uri: cfg.redirectUri,
      code_verifier: pending.verifier,
    });
    expect(Object.fromEntries(refreshBody(cfg, 'r1'))).toEqual({ grant_type: 'refresh_token', client_id: 'pier-web-local', refresh_token: 'r1' });
  });

  it('reads expiry and keeps the refresh token across a refresh', () => {
    const first = parseTokenResponse({ access_token: 'a1', id_token: 'i1', refresh_token: 'r1', expires_in: 3600, token_type: 'Bearer' }, 1000);
    expect(first).toEqual({ accessToken: 'a1', idToken: 'i1', refreshToken: 'r1', expiresAt: 1000 + 3_600_000, lifetimeMs: 3_600_000 });
    const second = parseTokenResponse({ access_token: 'a2', id_token: 'i2', expires_in: 3600, token_type: 'Bearer' }, 5000, first);
    expect(second.refreshToken).toBe('r1');
    expect(second.accessToken).toBe('a2');
  });

  it('refuses responses without an access token, a valid lifetime or the bearer type', () => {
    expect(() => parseTokenResponse({ expires_in: 10 }, 0)).toThrow(SignInError);
    expect(() => parseTokenResponse({ access_token: 'a', expires_in: 0 }, 0)).toThrow(/expires_in/);
    expect(() => parseTokenResponse({ access_token: 'a', expires_in: 'soon' }, 0)).toThrow(/expires_in/);
    expect(() => parseTokenResponse({ access_token: 'a', expires_in: 10, token_type: 'mac' }, 0)).toThrow(/token type/);
    expect(() => parseTokenResponse('nope', 0)).toThrow(SignInError);
  });
});

describe('refresh scheduling', () => {
  it('refreshes a minute before a one-hour token expires', () => {
    expect(refreshDelay({ expiresAt: 3_600_000, lifetimeMs: 3_600_000 }, 0)).toBe(3_540_000);
  });
  it('refreshes a short-lived token at 80% of its life', () => {
    expect(refreshDelay({ expiresAt: 10_000, lifetimeMs: 10_000 }, 0)).toBe(8_000);
  });
  it('refreshes at once when already late, and never schedules past the timer ceiling', () => {
    expect(refreshDelay({ expiresAt: 1000, lifetimeMs: 3_600_000 }, 5000)).toBe(0);
    expect(refreshDelay({ expiresAt: 1e13, lifetimeMs: 1e13 }, 0)).toBe(2 ** 31 - 1);
  });
});

describe('decodeJwtPayload', () => {
  it('reads a base64url payload with non-ASCII text', () => {
    const payload = base64url(new TextEncoder().encode(JSON.stringify({ email: 'zoë@example.com', n: '??>' })));
    expect(decodeJwtPayload(`h.${payload}.s`)).toEqual({ email: 'zoë@example.com', n: '??>' });
  });
  it('answers null for garbage', () => {
    expect(decodeJwtPayload('nope')).toBeNull();
    expect(decodeJwtPayload('a.!!!.c')).toBeNull();
  });
});
