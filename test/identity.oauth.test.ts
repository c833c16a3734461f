import { createTokenVerifier } from '../src/auth/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, GOOD_PASSWORD, pkcePair, PUBLIC_CLIENT, startTestIdentity, TEST_POOL_ID, uniqueEmail, type TestIdentity } from '../local/identity/testing.js';
import { CookieJar } from './support/cookieJar.js';

const CALLBACK = 'http://127.0.0.1:9/callback';
const LOGOUT = 'http://127.0.0.1:9/';
let t: TestIdentity;
let base: string;

/** A cookie jar of one: enough for the hosted pages (XSRF-TOKEN and the session cookie). */
class Browserish extends CookieJar {
  constructor() {
    super(base);
  }

  /** GETs a form page and POSTs it back with `values`, carrying the hidden fields (CSRF token, OAuth params). */
  async submit(pageUrl: string, action: string, values: Record<string, string>): Promise<Response> {
    return this.submitHtml(await (await this.fetch(pageUrl)).text(), action, values);
  }
  /** POSTs the form with `action` found in `html`. */
  async submitHtml(html: string, action: string, values: Record<string, string>): Promise<Response> {
    const form = html.slice(html.indexOf(`action="${action}"`));
    const hidden: Record<string, string> = {};
    for (const m of form.slice(0, form.indexOf('</form>')).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) hidden[m[1]!] = decodeEntities(m[2]!);
    return this.fetch(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...hidden, ...values }).toString() });
  }
}

const decodeEntities = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#96;/g, '`').replace(/&amp;/g, '&');

function authorizeUrl(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return `${base}/oauth2/authorize?${q.toString()}`;
}

const tokenRequest = (body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${base}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body).toString() });

async function confirmedUser(): Promise<string> {
  const email = uniqueEmail('oauth');
  await t.identity.pool.createUser({ email, password: GOOD_PASSWORD, status: 'CONFIRMED', emailVerified: true });
  return email;
}

/** Signs in through the hosted login page and returns the authorization code from the redirect. */
async function codeFor(email: string, opts: { clientId?: string; challenge?: string; state?: string; scope?: string } = {}): Promise<{ code: string; location: URL }> {
  const b = new Browserish();
  const start = await b.fetch(authorizeUrl({ client_id: opts.clientId ?? PUBLIC_CLIENT, response_type: 'code', redirect_uri: CALLBACK, state: opts.state ?? 'st-1', scope: opts.scope ?? 'openid email pier/orders.read', ...(opts.challenge ? { code_challenge: opts.challenge, code_challenge_method: 'S256' } : {}) }));
  expect(start.status).toBe(302);
  const res = await b.submit(start.headers.get('location')!, '/login', { username: email, password: GOOD_PASSWORD });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  return { code: location.searchParams.get('code')!, location };
}

beforeAll(async () => {
  t = await startTestIdentity({ callbackUrls: [CALLBACK], logoutUrls: [LOGOUT] });
  base = t.identity.url;
});
afterAll(async () => t?.close());

describe('identity: OAuth 2.0 endpoints', () => {
  it('issues tokens for a code with PKCE that src/auth accepts', async () => {
    const email = await confirmedUser();
    const { verifier, challenge } = pkcePair();
    const { code, location } = await codeFor(email, { challenge, state: 'xyz' });
    expect(`${location.origin}${location.pathname}`).toBe(CALLBACK);
    expect(location.searchParams.get('state')).toBe('xyz');
    const res = await tokenRequest({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT, code, redirect_uri: CALLBACK, code_verifier: verifier });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, string | number>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const auth = createTokenVerifier({ userPoolId: TEST_POOL_ID, issuer: t.identity.settings.issuer, clientId: PUBLIC_CLIENT, jwksUrl: t.identity.settings.jwksUrl });
    const user = await auth.verify(body.access_token as string, { scopes: ['pier/orders.read'] });
    expect(user).toMatchObject({ tokenUse: 'access', clientId: PUBLIC_CLIENT, scopes: ['openid', 'email', 'pier/orders.read'] });
    expect((await auth.verify(body.id_token as string, { tokenUse: 'id' })).email).toBe(email.toLowerCase());
    await expect(auth.verify(body.access_token as string, { scopes: ['pier/orders.write'] })).rejects.toMatchObject({ code: 'TOKEN_SCOPE_MISSING' });

    const info = await fetch(`${base}/oauth2/userInfo`, { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(await info.json()).toMatchObject({ sub: user.sub, email: email.toLowerCase(), email_verified: 'true' });
  });

  it('refuses missing, wrong and reused PKCE verifiers and codes with invalid_grant', async () => {
    const email = await confirmedUser();
    const { verifier, challenge } = pkcePair();
    const grant = (code: string, extra: Record<string, string> = {}) => tokenRequest({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT, code, redirect_uri: CALLBACK, ...extra });

    const missing = await grant((await codeFor(email, { challenge })).code);
    expect([missing.status, await missing.json()]).toEqual([400, { error: 'invalid_grant', error_description: 'PKCE code_verifier does not match.' }]);
    const wrong = await grant((await codeFor(email, { challenge })).code, { code_verifier: pkcePair().verifier });
    expect([wrong.status, ((await wrong.json()) as { error: string }).error]).toEqual([400, 'invalid_grant']);

    const { code } = await codeFor(email, { challenge });
    expect((await grant(code, { code_verifier: verifier })).status).toBe(200);
    const reused = await grant(code, { code_verifier: verifier });
    expect([reused.status, await reused.json()]).toEqual([400, { error: 'invalid_grant' }]);

    const otherRedirect = await grant((await codeFor(email, { challenge })).code, { code_verifier: verifier, redirect_uri: 'http://127.0.0.1:9/other' });
    expect(((await otherRedirect.json()) as { error: string }).error).toBe('invalid_grant');
    expect(((await (await grant('no-such-code', { code_verifier: verifier })).json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('answers bad authorize requests as Cognito does, redirecting only to registered URIs', async () => {
    const { challenge } = pkcePair();
    const good = { client_id: PUBLIC_CLIENT, response_type: 'code', redirect_uri: CALLBACK, state: 's', code_challenge: challenge, code_challenge_method: 'S256' };
    const get = (params: Record<string, string | undefined>) => fetch(authorizeUrl(params), { redirect: 'manual' });

    const unregistered = await get({ ...good, redirect_uri: 'https://evil.example/steal' });
    expect(unregistered.status).toBe(400);
    expect(unregistered.headers.get('location')).toBeNull();
    expect(await unregistered.text()).toContain('redirect_mismatch');
    const noClient = await get({ ...good, client_id: undefined });
    expect([noClient.status, noClient.headers.get('location')]).toEqual([400, null]);
    const unknownClient = await get({ ...good, client_id: 'nope' });
    expect([unknownClient.status, unknownClient.headers.get('location')]).toEqual([400, null]);

    const errorOf = async (params: Record<string, string | undefined>) => {
      const res = await get(params);
      expect(res.status).toBe(302);
      const loc = new URL(res.headers.get('location')!);
      expect(`${loc.origin}${loc.pathname}`).toBe(CALLBACK);
      expect(loc.searchParams.get('state')).toBe('s');
      return loc.searchParams.get('error');
    };
    expect(await errorOf({ ...good, response_type: 'token' })).toBe('unsupported_response_type');
    expect(await errorOf({ ...good, response_type: undefined })).toBe('invalid_request');
    expect(await errorOf({ ...good, code_challenge: undefined, code_challenge_method: undefined })).toBe('invalid_request');
    expect(await errorOf({ ...good, code_challenge_method: 'plain' })).toBe('invalid_request');
    expect(await errorOf({ ...good, scope: 'openid admin/everything' })).toBe('invalid_scope');

    // A good request without a session goes to the hosted login page with the same parameters.
    const ok = await get(good);
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toMatch(/^\/login\?client_id=pier-web-test&redirect_uri=/);
  });

  it('checks client secrets (Basic and body) and required parameters at the token endpoint', async () => {
    const email = await confirmedUser();
    const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
    const { code } = await codeFor(email, { clientId: CONFIDENTIAL_CLIENT });
    const wrongSecret = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }, basic(CONFIDENTIAL_CLIENT, 'wrong'));
    expect([wrongSecret.status, await wrongSecret.json()]).toEqual([401, { error: 'invalid_client', error_description: 'Client authentication failed.' }]);
    const noSecret = await tokenRequest({ grant_type: 'authorization_code', client_id: CONFIDENTIAL_CLIENT, code, redirect_uri: CALLBACK });
    expect(((await noSecret.json()) as { error: string }).error).toBe('invalid_client');
    // A refused client does not burn the code.
    const ok = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK }, basic(CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET));
    expect(ok.status).toBe(200);
    const { refresh_token } = (await ok.json()) as { refresh_token: string };
    const viaBody = await tokenRequest({ grant_type: 'refresh_token', client_id: CONFIDENTIAL_CLIENT, client_secret: CONFIDENTIAL_SECRET, refresh_token });
    expect(viaBody.status).toBe(200);
    expect(await viaBody.json()).not.toHaveProperty('refresh_token');

    const errorOf = async (res: Promise<Response>) => ((await (await res).json()) as { error: string }).error;
    expect(await errorOf(tokenRequest({ client_id: PUBLIC_CLIENT, code: 'x', redirect_uri: CALLBACK }))).toBe('invalid_request');
    expect(await errorOf(tokenRequest({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT, redirect_uri: CALLBACK }))).toBe('invalid_request');
    expect(await errorOf(tokenRequest({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT, code: 'x' }))).toBe('invalid_request');
    expect(await errorOf(tokenRequest({ grant_type: 'password', client_id: PUBLIC_CLIENT }))).toBe('unsupported_grant_type');
    expect(await errorOf(tokenRequest({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT }))).toBe('invalid_request');
    expect(await errorOf(fetch(`${base}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"refresh_token"}' }))).toBe('invalid_request');
    expect(await errorOf(fetch(`${base}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=a&grant_type=b&client_id=x' }))).toBe('invalid_request');
  });

  it('revokes refresh tokens: a later refresh fails with invalid_grant and userInfo refuses the access token', async () => {
    const email = await confirmedUser();
    const { verifier, challenge } = pkcePair();
    const { code } = await codeFor(email, { challenge });
    const tokens = (await (await tokenRequest({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT, code, redirect_uri: CALLBACK, code_verifier: verifier })).json()) as Record<string, string>;
    const revoke = (body: Record<string, string>) => fetch(`${base}/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });
    expect(((await (await revoke({ token: tokens.access_token!, client_id: PUBLIC_CLIENT })).json()) as { error: string }).error).toBe('unsupported_token_type');
    expect((await revoke({ token: tokens.refresh_token!, client_id: 'nope' })).status).toBe(401);
    expect((await revoke({ token: tokens.refresh_token!, client_id: PUBLIC_CLIENT })).status).toBe(200);
    const refresh = await tokenRequest({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT, refresh_token: tokens.refresh_token! });
    expect([refresh.status, ((await refresh.json()) as { error: string }).error]).toEqual([400, 'invalid_grant']);
    const info = await fetch(`${base}/oauth2/userInfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(401);
    expect(info.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('logout redirects to registered logout URIs only and ends the session', async () => {
    const email = await confirmedUser();
    const b = new Browserish();
    const { challenge } = pkcePair();
    const authorize = authorizeUrl({ client_id: PUBLIC_CLIENT, response_type: 'code', redirect_uri: CALLBACK, code_challenge: challenge, code_challenge_method: 'S256' });
    const login = await b.submit((await b.fetch(authorize)).headers.get('location')!, '/login', { username: email, password: GOOD_PASSWORD });
    expect(login.status).toBe(302);
    // Signed in: authorize answers with a code straight away.
    expect(new URL((await b.fetch(authorize)).headers.get('location')!).searchParams.get('code')).toBeTruthy();

    const evil = await b.fetch(`/logout?client_id=${PUBLIC_CLIENT}&logout_uri=${encodeURIComponent('https://evil.example/')}`);
    expect([evil.status, evil.headers.get('location')]).toEqual([400, null]);
    const out = await b.fetch(`/logout?client_id=${PUBLIC_CLIENT}&logout_uri=${encodeURIComponent(LOGOUT)}`);
    expect([out.status, out.headers.get('location')]).toEqual([302, LOGOUT]);
    expect((await b.fetch(authorize)).headers.get('location')).toMatch(/^\/login\?/);
  });
});

describe('identity: hosted pages', () => {
  it('escapes request values written into HTML', async () => {
    const { challenge } = pkcePair();
    const xss = `"><script>alert(1)</script><img src=x onerror=alert(2)>`;
    const b = new Browserish();
    const params = new URLSearchParams({ client_id: PUBLIC_CLIENT, response_type: 'code', redirect_uri: CALLBACK, state: xss, code_challenge: challenge, code_challenge_method: 'S256' });
    const page = await (await b.fetch(`/login?${params.toString()}`)).text();
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&quot;&gt;&lt;script&gt;');
    const failed = await b.submit(`/login?${params.toString()}`, '/login', { username: xss, password: 'x' });
    expect(failed.status).toBe(400);
    const body = await failed.text();
    expect(body).not.toContain('<script>');
    expect(body).toContain('Incorrect username or password.');
    expect(failed.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('signs in after confirming only in the browser that signed up', async () => {
    const { challenge } = pkcePair();
    const q = new URLSearchParams({ client_id: PUBLIC_CLIENT, response_type: 'code', redirect_uri: CALLBACK, state: 'su', code_challenge: challenge, code_challenge_method: 'S256' }).toString();
    const confirmIn = async (b: Browserish, email: string) => {
      const code = await t.codeFor(email, 'signup');
      return b.submit(`/confirmUser?${q}&username=${encodeURIComponent(email)}`, '/confirmUser', { username: email, code });
    };
    const mine = new Browserish();
    const email = uniqueEmail('signup');
    const signedUp = await mine.submit(`/signup?${q}`, '/signup', { username: email, password: GOOD_PASSWORD });
    expect(signedUp.status).toBe(302);
    const next = new URL(signedUp.headers.get('location')!, base);
    expect([next.pathname, next.searchParams.get('username'), next.searchParams.get('state')]).toEqual(['/confirmUser', email, 'su']);
    const confirmed = await confirmIn(mine, email);
    expect(new URL(confirmed.headers.get('location')!).searchParams.get('code')).toBeTruthy();

    const other = uniqueEmail('signup');
    expect((await new Browserish().submit(`/signup?${q}`, '/signup', { username: other, password: GOOD_PASSWORD })).status).toBe(302);
    const elsewhere = await confirmIn(new Browserish(), other);
    expect(elsewhere.headers.get('location')).toMatch(/^\/login\?.*notice=confirmed/);
  });

  it('makes an admin-created user choose a new password at the first hosted sign-in', async () => {
    const email = uniqueEmail('invited');
    await t.identity.pool.createUser({ email, password: 'Temporary-pass-1', status: 'FORCE_CHANGE_PASSWORD', emailVerified: true });
    const { challenge } = pkcePair();
    const b = new Browserish();
    const q = new URLSearchParams({ client_id: PUBLIC_CLIENT, response_type: 'code', redirect_uri: CALLBACK, state: 'inv', code_challenge: challenge, code_challenge_method: 'S256' }).toString();
    const login = await b.submit(`/login?${q}`, '/login', { username: email, password: 'Temporary-pass-1' });
    expect(login.status).toBe(200);
    const form = await login.text();
    expect(form).toContain('action="/changePassword"');
    const mismatch = await b.submitHtml(form, '/changePassword', { password: 'Chosen-pass-1', confirmPassword: 'Chosen-pass-2' });
    expect(mismatch.status).toBe(400);
    const weakPage = await b.submitHtml(await mismatch.text(), '/changePassword', { password: 'weakweak', confirmPassword: 'weakweak' });
    const weakHtml = await weakPage.text();
    expect(weakHtml).toContain('Password did not conform with policy');
    const done = await b.submitHtml(weakHtml, '/changePassword', { password: 'Chosen-pass-1', confirmPassword: 'Chosen-pass-1' });
    expect(done.status).toBe(302);
    expect(new URL(done.headers.get('location')!).searchParams.get('state')).toBe('inv');
    // The ticket was single use, and the temporary password is gone.
    expect((await b.submitHtml(form, '/changePassword', { password: 'Other-pass-1', confirmPassword: 'Other-pass-1' })).status).toBe(400);
    await expect(t.identity.pool.authenticate(email, 'Temporary-pass-1')).rejects.toMatchObject({ type: 'NotAuthorizedException' });
    expect((await t.identity.pool.authenticate(email, 'Chosen-pass-1')).status).toBe('CONFIRMED');
  });

  it('refuses form posts without the CSRF token', async () => {
    const email = await confirmedUser();
    const { challenge } = pkcePair();
    const form = new URLSearchParams({ client_id: PUBLIC_CLIENT, response_type: 'code', redirect_uri: CALLBACK, code_challenge: challenge, code_challenge_method: 'S256', username: email, password: GOOD_PASSWORD });
    const res = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'XSRF-TOKEN=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }, body: `${form.toString()}&_csrf=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb` });
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
  });

  it('refuses a CSRF cookie and field the server did not mint, and forms posted from another origin', async () => {
    const email = await confirmedUser();
    const { challenge } = pkcePair();
    const params = { client_id: PUBLIC_CLIENT, response_type: 'code', redirect_uri: CALLBACK, code_challenge: challenge, code_challenge_method: 'S256' };
    const post = (token: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `XSRF-TOKEN=${token}`, ...headers },
        body: new URLSearchParams({ ...params, username: email, password: GOOD_PASSWORD, _csrf: token }).toString(),
      });
    // Cookie tossing: a page on another port of this host sets a cookie of its choice and posts the same value.
    // A matching pair is not enough; it has to carry this server's signature.
    const mac = 'A'.repeat(43);
    for (const tossed of ['a'.repeat(43), `${'n'.repeat(22)}.${Math.floor(Date.now() / 1000).toString(36)}.${mac}`]) {
      const res = await post(tossed);
      expect(res.status, tossed).toBe(403);
      expect(res.headers.get('location')).toBeNull();
    }
    // A token the server minted, changed by one character, is refused.
    const page = await fetch(`${base}/login?${new URLSearchParams(params).toString()}`);
    const minted = /XSRF-TOKEN=([^;]+)/.exec(page.headers.getSetCookie().join('\n'))![1]!;
    expect(minted).toMatch(/^[A-Za-z0-9_-]{22}\.[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
    const altered = minted.slice(0, -1) + (minted.endsWith('A') ? 'B' : 'A');
    expect((await post(altered)).status).toBe(403);
    // A genuine token posted by a form on another origin (another port is "same-site" to a browser) is refused.
    expect((await post(minted, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await post(minted, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // From the page itself it signs in.
    const ok = await post(minted, { 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(302);
    expect(new URL(ok.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it('lets web pages call the token endpoint cross-origin, but not make signed (admin) API calls', async () => {
    const preflight = (path: string, headers: string) =>
      fetch(`${base}${path}`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': headers } });
    const token = await preflight('/oauth2/token', 'content-type');
    expect(token.status).toBe(204);
    expect(token.headers.get('access-control-allow-origin')).toBe('*');
    expect(token.headers.get('access-control-allow-headers')).toContain('content-type');
    const api = await preflight('/', 'content-type,x-amz-target,authorization');
    expect(api.headers.get('access-control-allow-headers')).toContain('x-amz-target');
    expect(api.headers.get('access-control-allow-headers')).not.toContain('authorization');
    const login = await fetch(`${base}/login`, { headers: { origin: 'http://localhost:5173' } });
    expect(login.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves the discovery document and the JWKS at the pool path and the root', async () => {
    const doc = (await (await fetch(`${base}/${TEST_POOL_ID}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    // The issuer is where the document is served (OIDC Discovery 1.0, section 4.3), and the tokens name it.
    expect(doc).toMatchObject({ issuer: `${base}/${TEST_POOL_ID}`, jwks_uri: `${base}/${TEST_POOL_ID}/.well-known/jwks.json`, token_endpoint: `${base}/oauth2/token`, end_session_endpoint: `${base}/logout` });
    expect(t.identity.settings).toMatchObject({ issuer: doc.issuer, jwksUrl: doc.jwks_uri });
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(Buffer.from(jwks.keys[0]!.n!, 'base64url').length).toBe(256);
    const home = await fetch(`${base}/`);
    expect([home.status, home.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await home.text()).toContain(`/${TEST_POOL_ID}/.well-known/openid-configuration`);
  });
});
