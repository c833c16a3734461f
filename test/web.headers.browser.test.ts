/**
 * The page under its own Content-Security-Policy in a real browser (Debian chromium via playwright-core) against the
 * whole local runtime: load it, sign in through the hosted login, place an order, see its notification, sign out,
 * while listening for CSP violations (the `securitypolicyviolation` event and chromium's console reports). None is
 * allowed. A last step breaks the policy on purpose, to prove the listeners hear it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../local/runtime.js';
import { ensureWebBuilt } from '../scripts/build-web.js';
import { webConfigFromEndpoints } from '../scripts/web-config.js';
import { createLogger } from '../src/log.js';
import { connectSources, securityHeaders, webSecurityPolicy } from '../src/webSecurityHeaders.js';
import { launchChromium } from './support/browser.js';

let runtime: LocalRuntime;
let browser: Browser;
let dataDir: string;
let gateway: string;
let identity: string;

beforeAll(async () => {
  await ensureWebBuilt();
  dataDir = await mkdtemp(join(tmpdir(), 'pier-csp-'));
  runtime = await startLocalRuntime({
    logger: createLogger({ level: 'silent' }),
    cwd: dataDir,
    env: { PIER_ENV: 'test', ENV_FILE: join(dataDir, 'no.env'), DOCKER_SECRETS_DIR: join(dataDir, 'no-secrets') },
    overrides: { DATA_DIR: join(dataDir, 'data'), GATEWAY_PORT: '0', IDENTITY_PORT: '0', SQS_PORT: '0', SECRETSMANAGER_PORT: '0', SERVICE_PORT: '0', CONSOLE_PORT: '0' },
  });
  gateway = runtime.endpoints.gateway as string;
  identity = runtime.endpoints.identity as string;
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000, interval: 50 });

/** A context whose every document reports CSP violations to the console, where the test collects them. */
async function watchedContext(): Promise<{ context: BrowserContext; violations: string[]; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 860 } });
  // Init scripts run through the DevTools protocol, outside the page's CSP.
  await context.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
    console.error('securitypolicyviolation: ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' on ' + e.documentURI);
  });`);
  const violations: string[] = [];
  const errors: string[] = [];
  context.on('console', (m) => {
    const t = m.text();
    if (t.includes('Content Security Policy') || t.startsWith('securitypolicyviolation:') || t.includes('Permissions-Policy')) violations.push(`${m.page()?.url()}: ${t}`);
  });
  context.on('weberror', (e) => errors.push(e.error().message));
  return { context, violations, errors };
}

describe('the web page under its Content-Security-Policy', () => {
  it('signs in, places an order, sees its notification and signs out with no CSP violation', async () => {
    const { context, violations, errors } = await watchedContext();
    const page = await context.newPage();
    const documents: Array<{ url: string; headers: Record<string, string> }> = [];
    page.on('response', (r) => {
      if (r.request().resourceType() === 'document' && r.url().startsWith(gateway)) documents.push({ url: r.url(), headers: r.headers() });
    });

    const res = await page.goto(gateway);
    // The page arrives with the policy, connect-src naming the hosted login from this run's config.json.
    const expected = securityHeaders(webSecurityPolicy({ connectSrc: connectSources(webConfigFromEndpoints({ ...runtime.endpoints, clientId: 'x' })), https: false }));
    expect(expected['content-security-policy']).toContain(`connect-src 'self' ${identity};`);
    expect(Object.fromEntries(Object.keys(expected).map((k) => [k, res!.headers()[k]]))).toEqual(expected);
    await poll(() => page.getByRole('heading', { name: 'You are signed out' }).isVisible()).toBe(true);

    // Sign in through the hosted login (the token exchange is a fetch to the identity origin: connect-src).
    const password = (await readFile(join(runtime.dataDir, 'identity', 'demo-password.txt'), 'utf8')).trim();
    await page.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${identity}/**`);
    await page.getByLabel('Email').fill('demo@pier.local');
    await page.getByLabel('Password').fill(password);
    const token = page.waitForResponse((r) => r.url() === `${identity}/oauth2/token`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect((await token).status()).toBe(200);
    await page.waitForURL(`${gateway}/`);
    await poll(() => page.locator('#profile dd').first().textContent()).toBe('demo@pier.local');
    // The callback document (with the code in its query) came with the policy too; no-referrer keeps the code home.
    const callback = documents.find((d) => new URL(d.url).pathname === '/callback');
    expect(callback?.headers['content-security-policy']).toBe(expected['content-security-policy']);
    expect(callback?.headers['referrer-policy']).toBe('no-referrer');

    // Place an order (markup in it stays text) and wait for its notification.
    const item = `CSP check <img src=x onerror="window.__pwned=1"> ${Date.now().toString(36)}`;
    await page.getByLabel('Item').fill(item);
    await page.getByLabel('Quantity').fill('2');
    await page.getByRole('button', { name: 'Place order' }).click();
    await poll(() => page.locator('#new-order .notice').textContent()).toContain('Order placed');
    await page.locator('#notifications li[data-notification-id]').first().waitFor({ timeout: 10_000 });
    await poll(() => page.locator('#orders li .item').first().textContent()).toBe(item);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();

    // Sign out through the hosted login's /logout, back to the page.
    await page.getByRole('navigation', { name: 'Account' }).getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${gateway}/`);
    await poll(() => page.getByRole('heading', { name: 'You are signed out' }).isVisible()).toBe(true);

    expect(violations).toEqual([]);
    expect(errors).toEqual([]);

    // The listeners hear a violation: an inline script and a fetch to an origin the policy does not name.
    await page.evaluate(`(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.body.append(s);
      fetch('http://127.0.0.1:9/nowhere').catch(() => {});
    })()`);
    await poll(() => violations.filter((v) => v.includes('securitypolicyviolation:')).length).toBe(2);
    expect(violations.join('\n')).toMatch(/script-src-elem blocked inline/);
    expect(violations.join('\n')).toMatch(/connect-src blocked http:\/\/127\.0\.0\.1:9/);
    expect(await page.evaluate('window.__inline')).toBeUndefined();
    await context.close();
  }, 60_000);
});
