/**
 * Off-the-shelf OIDC clients against the identity stand-in, unchanged: openid-client v6 (strict: the discovery
 * document must name the issuer it was fetched for, and the ID token's `iss` must be that issuer) and
 * oidc-client-ts (the browser library, run in Node with in-memory storage). Each discovers the pool, signs in
 * through the hosted login form with authorization code + PKCE, exchanges the code, reads userInfo and refreshes.
 * Pier's own verifier, configured as `npm start` configures it (COGNITO_ISSUER), accepts what they received.
 */
import * as client from 'openid-client';
import { InMemoryWebStorage, OidcClient, WebStorageStateStore, type RefreshState } from 'oidc-client-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../src/auth/index.js';
import { GOOD_PASSWORD, PUBLIC_CLIENT, startTestIdentity, TEST_POOL_ID, uniqueEmail, type TestIdentity } from '../local/identity/testing.js';
import { CookieJar } from './support/cookieJar.js';

const CALLBACK = 'http://127.0.0.1:9/callback';
let t: TestIdentity;
let base: string;
let issuer: string;

/** A cookie jar for the hosted login: follows the stand-in's own redirects, stops at the client's callback. */
class Browserish extends CookieJar {
  constructor() {
    super(base);
  }

  /** Opens the authorization URL, fills in the login form and returns the callback URL the browser is sent to. */
  async signIn(authorizationUrl: string, email: string, password = GOOD_PASSWORD): Promise<string> {
    const start = await this.fetch(authorizationUrl);
    expect(start.status).toBe(302);
    const html = await (await this.fetch(start.headers.get('location')!)).text();
    const form = html.slice(html.indexOf('action="/login"'));
    const hidden: Record<string, string> = {};
    for (const m of form.slice(0, form.indexOf('</form>')).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) hidden[m[1]!] = decodeEntities(m[2]!);
    const res = await this.fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...hidden, username: email, password }).toString(),
    });
    expect(res.status).toBe(302);
    const callback = res.headers.get('location')!;
    expect(callback.startsWith(`${CALLBACK}?`)).toBe(true);
    return callback;
  }
}

const decodeEntities = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#96;/g, '`').replace(/&amp;/g, '&');

async function confirmedUser(prefix: string): Promise<string> {
  const email = uniqueEmail(prefix);
  await t.identity.pool.createUser({ email, password: GOOD_PASSWORD, status: 'CONFIRMED', emailVerified: true, attributes: { name: 'Ada Lovelace' } });
  return email;
}

/** Pier's verifier as the local runtime builds it: COGNITO_ISSUER and COGNITO_JWKS_URL from the stand-in. */
const pierVerifier = () => createTokenVerifier({ userPoolId: TEST_POOL_ID, issuer: t.identity.settings.issuer, clientId: PUBLIC_CLIENT, jwksUrl: t.identity.settings.jwksUrl });

beforeAll(async () => {
  t = await startTestIdentity({ callbackUrls: [CALLBACK] });
  base = t.identity.url;
  issuer = t.identity.settings.issuer;
});

afterAll(async () => {
  await t?.close();
});

describe('identity: strict OIDC clients', () => {
  it('names its own URL as issuer, where the discovery document is served', async () => {
    expect(issuer).toBe(`${base}/${TEST_POOL_ID}`);
    const doc = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(doc).toMatchObject({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json`, token_endpoint: `${base}/oauth2/token` });
  });

  it('openid-client v6: discovery, authorization code + PKCE, token exchange, userInfo and refresh', async () => {
    const config = await client.discovery(new URL(issuer), PUBLIC_CLIENT, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    expect(config.serverMetadata().issuer).toBe(issuer);

    const pkceVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid email profile pier/orders.read',
      code_challenge: await client.calculatePKCECodeChallenge(pkceVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const email = await confirmedUser('openid-client');
    const callback = await new Browserish().signIn(url.href, email);

    // Checks the state, the PKCE verifier, and the ID token: signature (the discovered JWKS), iss, aud, exp, iat, nonce.
    const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: pkceVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer, aud: PUBLIC_CLIENT, email: email.toLowerCase(), nonce, token_use: 'id' });
    expect(tokens.refresh_token).toBeTruthy();

    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, email: email.toLowerCase(), name: 'Ada Lovelace' });
    // Someone else's subject is refused.
    await expect(client.fetchUserInfo(config, tokens.access_token, 'another-subject')).rejects.toThrow();

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ iss: issuer, sub: claims.sub, aud: PUBLIC_CLIENT });
    expect(refreshed.access_token).not.toBe(tokens.access_token);

    // What the client received is what Pier's API accepts.
    const user = await pierVerifier().verify(refreshed.access_token, { scopes: ['pier/orders.read'] });
    expect(user).toMatchObject({ sub: claims.sub, tokenUse: 'access', clientId: PUBLIC_CLIENT });
    expect((await pierVerifier().verify(tokens.id_token!, { tokenUse: 'id' })).email).toBe(email.toLowerCase());
  });

  it('openid-client v6 refuses discovery when the issuer given is not the one the document names', async () => {
    // The document at the root names the pool's issuer, not the root: a strict client must be given the issuer.
    await expect(client.discovery(new URL(base), PUBLIC_CLIENT, undefined, client.None(), { execute: [client.allowInsecureRequests] })).rejects.toThrow(
      /issuer does not match/,
    );
  });

  it('oidc-client-ts: discovery, authorization code + PKCE, token exchange, userInfo and refresh', async () => {
    const oidc = new OidcClient({
      authority: issuer,
      client_id: PUBLIC_CLIENT,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid email profile pier/orders.read',
      loadUserInfo: true,
      stateStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    });
    expect(await oidc.metadataService.getIssuer()).toBe(issuer);

    const request = await oidc.createSigninRequest({ state: { returnTo: '/orders' } });
    const url = new URL(request.url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const email = await confirmedUser('oidc-client-ts');
    const callback = await new Browserish().signIn(request.url, email);

    const response = await oidc.processSigninResponse(callback);
    expect(response.userState).toEqual({ returnTo: '/orders' });
    expect(response.token_type).toBe('Bearer');
    // The ID token's claims merged with userInfo (loadUserInfo), whose sub must match.
    expect(response.profile).toMatchObject({ iss: issuer, aud: PUBLIC_CLIENT, email: email.toLowerCase(), name: 'Ada Lovelace' });
    expect(response.refresh_token).toBeTruthy();

    // What UserManager keeps of a signed-in user (the library declares RefreshState but does not export its class).
    const state: RefreshState = { refresh_token: response.refresh_token!, id_token: response.id_token!, session_state: response.session_state, scope: response.scope!, profile: response.profile };
    const refreshed = await oidc.useRefreshToken({ state });
    // The refreshed ID token is checked against the first: same iss, sub and aud.
    expect(refreshed.profile).toMatchObject({ iss: issuer, sub: response.profile.sub });
    expect(refreshed.access_token).not.toBe(response.access_token);
    await expect(pierVerifier().verify(refreshed.access_token, { scopes: ['pier/orders.read'] })).resolves.toMatchObject({ sub: response.profile.sub });
  });
});
