import { describe, expect, it, vi } from 'vitest';
import type { WebConfig } from './config';
import { PENDING_KEY, Session, type SessionEvent } from './session';
import { challengeFor } from './pkce';

const cfg: WebConfig = {
  identityDomain: 'http://id.test',
  clientId: 'web',
  apiUrl: 'http://api.test',
  redirectUri: 'http://page.test/callback',
  logoutUri: 'http://page.test/',
  scopes: ['openid', 'pier/orders.read'],
  pollIntervalMs: 1000,
};

class MemoryStorage {
  readonly map = new Map<string, string>();
  getItem(k: string) {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.map.set(k, v);
  }
  removeItem(k: string) {
    this.map.delete(k);
  }
}

/** A token endpoint that answers from a queue, recording each request's form. */
function tokenEndpoint(...replies: Array<{ status: number; body: unknown } | Error>) {
  const requests: Array<Record<string, string>> = [];
  const fetchFn = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    expect(String(url)).toBe('http://id.test/oauth2/token');
    requests.push(Object.fromEntries(new URLSearchParams(String(init?.body))));
    const next = replies.shift();
    if (!next) throw new Error('unexpected token request');
    if (next instanceof Error) throw next;
    return new Response(JSON.stringify(next.body), { status: next.status, headers: { 'content-type': 'application/json' } });
  });
  return { fetchFn, requests };
}

function setup(...replies: Array<{ status: number; body: unknown } | Error>) {
  let now = 1_000_000;
  const timers: Array<{ fn: () => void; at: number; id: number }> = [];
  let nextId = 1;
  const storage = new MemoryStorage();
  const navigations: string[] = [];
  const { fetchFn, requests } = tokenEndpoint(...replies);
  const events: SessionEvent[] = [];
  const session = new Session({
    config: cfg,
    fetch: fetchFn as unknown as typeof fetch,
    storage,
    navigate: (u) => navigations.push(u),
    now: () => now,
    setTimer: (fn, ms) => {
      const t = { fn, at: now + ms, id: nextId++ };
      timers.push(t);
      return t.id;
    },
    clearTimer: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
  });
  session.onChange((e) => events.push(e));
  return {
    session,
    storage,
    navigations,
    requests,
    events,
    timers,
    /** Moves the clock and fires due timers. */
    async advance(ms: number) {
      now += ms;
      for (const t of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(t), 1);
        t.fn();
      }
      await new Promise((r) => setTimeout(r, 0));
    },
    get now() {
      return now;
    },
  };
}

const tokens = (n: number, extra: Record<string, unknown> = {}) => ({
  status: 200,
  body: { access_token: `access-${n}`, id_token: `id-${n}`, expires_in: 3600, token_type: 'Bearer', ...extra },
});

async function signedIn(...later: Array<{ status: number; body: unknown } | Error>) {
  const t = setup(tokens(1, { refresh_token: 'refresh-1' }), ...later);
  await t.session.signIn();
  const pending = JSON.parse(t.storage.getItem(PENDING_KEY) as string) as { state: string };
  await t.session.completeSignIn(new URLSearchParams({ code: 'the-code', state: pending.state }));
  return t;
}

describe('Session', () => {
  it('redirects to the hosted login with a challenge of the stored verifier', async () => {
    const t = setup();
    await t.session.signIn();
    const stored = JSON.parse(t.storage.getItem(PENDING_KEY) as string) as { state: string; verifier: string };
    const url = new URL(t.navigations[0] as string);
    expect(url.searchParams.get('state')).toBe(stored.state);
    expect(url.searchParams.get('code_challenge')).toBe(await challengeFor(stored.verifier));
    expect(t.session.signedIn).toBe(false);
  });

  it('trades the code and verifier for tokens kept in memory only', async () => {
    const t = await signedIn();
    expect(t.session.signedIn).toBe(true);
    expect(t.requests[0]).toMatchObject({ grant_type: 'authorization_code', code: 'the-code', redirect_uri: cfg.redirectUri });
    expect(t.requests[0]?.code_verifier).toMatch(/^[\w-]{43}$/);
    expect(await t.session.accessToken()).toBe('access-1');
    expect(t.storage.map.size).toBe(0); // the verifier is gone and no token was stored
    expect(t.events).toEqual([{ type: 'signed-in' }]);
  });

  it('refuses a callback whose state does not match, and the pending sign-in cannot be replayed', async () => {
    const t = setup(tokens(1));
    await t.session.signIn();
    await expect(t.session.completeSignIn(new URLSearchParams({ code: 'c', state: 'forged' }))).rejects.toMatchObject({ code: 'STATE_MISMATCH' });
    expect(t.requests).toHaveLength(0);
    expect(t.storage.getItem(PENDING_KEY)).toBeNull();
    expect(t.session.signedIn).toBe(false);
  });

  it('refreshes a minute before expiry and keeps the refresh token', async () => {
    const t = await signedIn(tokens(2), tokens(3));
    await t.advance(3_540_000 - 1);
    expect(t.requests).toHaveLength(1);
    await t.advance(1);
    expect(t.requests[1]).toEqual({ grant_type: 'refresh_token', client_id: 'web', refresh_token: 'refresh-1' });
    expect(await t.session.accessToken()).toBe('access-2');
    expect(t.events.at(-1)).toEqual({ type: 'refreshed' });
    // and again an hour later, still with the first refresh token
    await t.advance(3_540_000);
    expect(t.requests[2]?.refresh_token).toBe('refresh-1');
    expect(await t.session.accessToken()).toBe('access-3');
  });

  it('refreshes on demand when the token is about to expire, once for concurrent callers', async () => {
    const t = await signedIn(tokens(2));
    t.timers.splice(0); // as if the timer had been throttled in a background tab
    await t.advance(3_600_000 - 1000);
    const [a, b] = await Promise.all([t.session.accessToken(), t.session.accessToken()]);
    expect([a, b]).toEqual(['access-2', 'access-2']);
    expect(t.requests).toHaveLength(2);
  });

  it('signs out with a reason when the refresh token is refused', async () => {
    const t = await signedIn({ status: 400, body: { error: 'invalid_grant' } });
    await t.advance(3_540_000);
    expect(t.session.signedIn).toBe(false);
    expect(t.events.at(-1)).toMatchObject({ type: 'signed-out', reason: expect.stringMatching(/sign in again/) });
    expect(await t.session.accessToken()).toBeNull();
  });

  it('keeps a still-valid session through a network failure and retries', async () => {
    const t = await signedIn(new Error('offline'), tokens(2));
    await t.advance(3_540_000);
    expect(t.session.signedIn).toBe(true);
    expect(t.timers).toHaveLength(1);
    await t.advance(10_000);
    expect(await t.session.accessToken()).toBe('access-2');
  });

  it('signs out: forgets tokens, stops refreshing, and ends the hosted login session', async () => {
    const t = await signedIn();
    t.session.signOut();
    expect(t.session.signedIn).toBe(false);
    expect(t.timers).toHaveLength(0);
    expect(t.navigations.at(-1)).toBe('http://id.test/logout?client_id=web&logout_uri=http%3A%2F%2Fpage.test%2F');
    expect(await t.session.accessToken()).toBeNull();
  });
});
