/**
 * The hosted login in a real browser (Debian chromium via playwright-core), with JavaScript turned off to prove the
 * pages are plain forms: sign up, confirm with the e-mailed code (read from the server's onCode), sign in, land on
 * the app's callback, exchange the code with PKCE, and hold tokens that Pier's own verifier (src/auth) accepts.
 */
import { createServer, type Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../src/auth/index.js';
import { pkcePair, PUBLIC_CLIENT, startTestIdentity, TEST_POOL_ID, uniqueEmail, type TestIdentity } from '../local/identity/testing.js';
import { launchChromium } from './support/browser.js';

const SHOTS = 'test-output/identity';
const SCOPE = 'openid email profile pier/orders.read pier/orders.write';

let t: TestIdentity;
let app: Server;
let appUrl: string;
let browser: Browser;

/** The application's side: a tiny server whose /callback receives the code and whose / is the signed-out page. */
async function startApp(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'text/html; charset=utf-8');
    if (url.pathname === '/callback') res.end(`<!doctype html><title>Callback</title><h1>Callback reached</h1><p id="has-code">${url.searchParams.has('code') ? 'code received' : 'no code'}</p>`);
    else res.end('<!doctype html><title>Signed out</title><h1>Signed out of the app</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const authorizeUrl = (challenge: string, state: string) =>
  `${t.identity.url}/oauth2/authorize?${new URLSearchParams({ client_id: PUBLIC_CLIENT, response_type: 'code', redirect_uri: `${appUrl}/callback`, scope: SCOPE, state, code_challenge: challenge, code_challenge_method: 'S256' }).toString()}`;

const token = async (body: Record<string, string>) => {
  const res = await fetch(`${t.identity.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
};

const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  app = await startApp();
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  t = await startTestIdentity({ callbackUrls: [`${appUrl}/callback`], logoutUrls: [`${appUrl}/`] });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await new Promise((resolve) => app?.close(resolve));
});

describe('identity: hosted login in a browser', () => {
  it('signs up, confirms, signs in, exchanges the code with PKCE, refreshes, signs out and revokes', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    const email = uniqueEmail('browser');
    const password = 'Browser-pass-1';
    const { verifier, challenge } = pkcePair();

    await page.goto(authorizeUrl(challenge, 'state-1'));
    expect(new URL(page.url()).pathname).toBe('/login');
    await shot(page, '01-sign-in');

    await page.click('text=Need an account? Sign up');
    expect(new URL(page.url()).pathname).toBe('/signup');
    await page.fill('#username', email);
    await page.fill('#password', 'weakpass');
    await page.click('button[name=signUp]');
    await expect(page.textContent('.error')).resolves.toContain('Password did not conform with policy');
    await shot(page, '02-sign-up-weak-password');
    await page.fill('#password', password);
    await page.click('button[name=signUp]');

    expect(new URL(page.url()).pathname).toBe('/confirmUser');
    await shot(page, '03-confirm');
    await page.fill('#code', '000000');
    await page.click('button[name=confirm]');
    await expect(page.textContent('.error')).resolves.toContain('Invalid verification code');
    await page.fill('#code', await t.codeFor(email, 'signup'));
    await page.click('button[name=confirm]');

    // Confirmed in the browser that signed up: signed in at once and sent back to the app, as Cognito does.
    const callback = new URL(page.url());
    expect(`${callback.origin}${callback.pathname}`).toBe(`${appUrl}/callback`);
    expect(callback.searchParams.get('state')).toBe('state-1');
    await expect(page.textContent('#has-code')).resolves.toBe('code received');
    await shot(page, '04-callback');

    // The app exchanges the code with its PKCE verifier.
    const exchanged = await token({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT, code: callback.searchParams.get('code')!, redirect_uri: `${appUrl}/callback`, code_verifier: verifier });
    expect(exchanged.status).toBe(200);
    const auth = createTokenVerifier({ userPoolId: TEST_POOL_ID, issuer: t.identity.settings.issuer, clientId: PUBLIC_CLIENT, jwksUrl: t.identity.settings.jwksUrl });
    const user = await auth.verify(exchanged.body.access_token!, { scopes: ['pier/orders.write'] });
    expect(user).toMatchObject({ tokenUse: 'access', clientId: PUBLIC_CLIENT, groups: [] });
    expect(user.scopes).toEqual(SCOPE.split(' '));
    expect(await auth.verify(exchanged.body.id_token!, { tokenUse: 'id' })).toMatchObject({ sub: user.sub, email: email.toLowerCase() });

    const refreshed = await token({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT, refresh_token: exchanged.body.refresh_token! });
    expect(refreshed.status).toBe(200);
    expect((await auth.verify(refreshed.body.access_token!)).sub).toBe(user.sub);

    // Still signed in at the hosted login: a second authorize returns a code without a form.
    await page.goto(authorizeUrl(pkcePair().challenge, 'state-2'));
    expect(new URL(page.url()).searchParams.get('state')).toBe('state-2');

    // Sign out: the hosted-login session ends and the app revokes its refresh token.
    await page.goto(`${t.identity.url}/logout?${new URLSearchParams({ client_id: PUBLIC_CLIENT, logout_uri: `${appUrl}/` }).toString()}`);
    expect(page.url()).toBe(`${appUrl}/`);
    await shot(page, '05-signed-out');
    const revoke = await fetch(`${t.identity.url}/oauth2/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: exchanged.body.refresh_token!, client_id: PUBLIC_CLIENT }).toString() });
    expect(revoke.status).toBe(200);
    const afterRevoke = await token({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT, refresh_token: exchanged.body.refresh_token! });
    expect([afterRevoke.status, afterRevoke.body.error]).toEqual([400, 'invalid_grant']);

    // Signed out, the next sign-in shows the form again; the password works, a wrong one does not.
    const second = pkcePair();
    await page.goto(authorizeUrl(second.challenge, 'state-3'));
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#username', email);
    await page.fill('#password', 'Wrong-pass-1');
    await page.click('button[name=signIn]');
    await expect(page.textContent('.error')).resolves.toBe('Incorrect username or password.');
    await shot(page, '06-wrong-password');
    await page.fill('#password', password);
    await page.click('button[name=signIn]');
    const again = new URL(page.url());
    expect(again.searchParams.get('state')).toBe('state-3');
    const exchangedAgain = await token({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT, code: again.searchParams.get('code')!, redirect_uri: `${appUrl}/callback`, code_verifier: second.verifier });
    expect((await auth.verify(exchangedAgain.body.access_token!)).sub).toBe(user.sub);
    await context.close();
  });

  it('resets a forgotten password through the hosted pages, readable on a phone', async () => {
    const email = uniqueEmail('forgot');
    await t.identity.pool.createUser({ email, password: 'Old-password-1', status: 'CONFIRMED', emailVerified: true });
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
    const page = await context.newPage();
    const { challenge } = pkcePair();
    await page.goto(authorizeUrl(challenge, 'phone'));
    // Nothing wider than the screen: no sideways scrolling on a phone.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(page, '07-phone-sign-in');

    await page.click('text=Forgot your password?');
    await page.fill('#username', email);
    await page.click('button[name=reset]');
    expect(new URL(page.url()).pathname).toBe('/confirmForgotPassword');
    await page.fill('#code', await t.codeFor(email, 'forgot'));
    await page.fill('#password', 'New-password-2');
    await page.fill('#confirmPassword', 'New-password-2');
    await shot(page, '08-phone-new-password');
    await page.click('button[name=changePassword]');
    await expect(page.textContent('.notice')).resolves.toContain('Your password has been changed');
    await page.fill('#password', 'Old-password-1');
    await page.click('button[name=signIn]');
    await expect(page.textContent('.error')).resolves.toBe('Incorrect username or password.');
    await page.fill('#username', email);
    await page.fill('#password', 'New-password-2');
    await page.click('button[name=signIn]');
    expect(new URL(page.url()).searchParams.get('state')).toBe('phone');
    await context.close();
  });
});
