/**
 * End to end, in a real browser (Debian chromium through playwright-core) against the whole local runtime started
 * in this process on free ports with a temp data folder: a new user signs up on the hosted login, confirms with the
 * code the identity stand-in "e-mails" (read from its log), signs in, places an order, sees its notification arrive
 * (outbox -> SQS -> worker), and signs out; a second user then sees none of it. Screenshots of each step go to
 * test-output/e2e/. `PIER_DOCS_SCREENSHOT=1` also refreshes docs/screenshot.png.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '../local/runtime.js';
import { ensureWebBuilt } from '../scripts/build-web.js';
import { createLogger } from '../src/log.js';
import { launchChromium } from './support/browser.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SHOTS = join(REPO, 'test-output', 'e2e');
// page.evaluate() takes expressions as strings here: this file is type-checked without the DOM library.
const PASSWORD = 'Correct-horse-9!';
const NOTIFICATION_DEADLINE_MS = 5_000;

let runtime: LocalRuntime;
let browser: Browser;
let dataDir: string;
let gateway: string;
let identity: string;
/** Codes the identity stand-in would have e-mailed, from its structured log. */
const codes: Array<{ email: string; code: string }> = [];
const logTail: string[] = [];

beforeAll(async () => {
  // CI runs on a fresh clone: build the page here rather than rely on an earlier `npm run build:web`.
  await ensureWebBuilt();
  await mkdir(SHOTS, { recursive: true });
  dataDir = await mkdtemp(join(tmpdir(), 'pier-e2e-'));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        logTail.push(line);
        if (logTail.length > 200) logTail.shift();
        try {
          const entry = JSON.parse(line) as { kind?: string; email?: string; code?: string };
          if (entry.kind === 'signup' && entry.email && entry.code) codes.push({ email: entry.email, code: entry.code });
        } catch {
          // not JSON: ignore
        }
      }
      done();
    },
  });
  runtime = await startLocalRuntime({
    logger: createLogger({ level: 'info', destination: sink }),
    cwd: dataDir,
    // Only what this test sets: a developer's .env or DATABASE_URL must not leak in.
    env: { PIER_ENV: 'test', ENV_FILE: join(dataDir, 'no.env'), DOCKER_SECRETS_DIR: join(dataDir, 'no-secrets') },
    overrides: { DATA_DIR: join(dataDir, 'data'), GATEWAY_PORT: '0', IDENTITY_PORT: '0', SQS_PORT: '0', SECRETSMANAGER_PORT: '0', SERVICE_PORT: '0', CONSOLE_PORT: '0', LOG_LEVEL: 'info' },
  });
  gateway = runtime.endpoints.gateway as string;
  identity = runtime.endpoints.identity as string;
  expect(gateway, 'the runtime has a gateway').toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function newPage(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 860 }, reducedMotion: 'reduce' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return { context, page, errors };
}

/** expect.poll with room for a loaded machine (its default gives up after 1 s). */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000, interval: 50 });

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

async function codeFor(email: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const hit = codes.find((c) => c.email === email.toLowerCase());
    if (hit) return hit.code;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no confirmation code was logged for ${email}`);
}

/** From the page's signed-out view through the hosted login, back to the page signed in. */
async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${identity}/**`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${gateway}/`);
  await poll(() => page.locator('#profile dd').first().textContent()).toBe(email.toLowerCase());
}

describe('the web page, end to end', () => {
  it('signs up, orders, sees the notification, signs out; another user sees none of it', async () => {
    const started = Date.now();
    const email = `e2e.${Date.now().toString(36)}@example.com`;
    const item = 'Harbour map <img src=x onerror="window.__pwned=1">';
    const { context, page, errors } = await newPage();

    // --- signed out ------------------------------------------------------------------------------------------
    await page.goto(gateway);
    await poll(() => page.getByRole('heading', { name: 'You are signed out' }).isVisible()).toBe(true);
    await shot(page, '01-signed-out');

    // --- sign up on the hosted login, confirm with the code, sign in -----------------------------------------
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.waitForURL(`${identity}/signup?**`);
    // The hosted login carries the PKCE challenge and state through sign-up and confirmation.
    expect(new URL(page.url()).searchParams.get('code_challenge_method')).toBe('S256');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await shot(page, '02-sign-up');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByLabel('Verification code').fill(await codeFor(email));
    await shot(page, '03-confirm');
    await page.getByRole('button', { name: 'Confirm account' }).click();
    // Like Cognito's hosted UI, the stand-in may sign the new user in at once; otherwise it shows the sign-in form.
    await page.waitForURL((u) => u.href.startsWith(`${gateway}/`) || u.href.startsWith(`${identity}/login`));
    if (page.url().startsWith(`${identity}/login`)) {
      await page.getByLabel('Password').fill(PASSWORD);
      if ((await page.getByLabel('Email').inputValue()) === '') await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.waitForURL(`${gateway}/`);
    await poll(() => page.locator('#profile').getByText(email).isVisible()).toBe(true);
    await poll(() => page.locator('#orders').textContent()).toContain('No orders yet');
    await poll(() => page.locator('#notifications').textContent()).toContain('No notifications yet');
    // Tokens stay in memory: nothing in localStorage, and the PKCE verifier is gone from sessionStorage.
    expect(await page.evaluate('[localStorage.length, sessionStorage.length]')).toEqual([0, 0]);
    await shot(page, '04-signed-in');

    // --- the form's own checks -------------------------------------------------------------------------------
    await page.getByLabel('Quantity').fill('0');
    await page.getByRole('button', { name: 'Place order' }).click();
    await poll(() => page.locator('#order-item-error').textContent()).toBe('Enter what you want to order.');
    expect(await page.locator('#order-quantity-error').textContent()).toMatch(/between 1 and 1000/);
    expect(await page.getByLabel('Item').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate('document.activeElement?.id')).toBe('order-item');
    await shot(page, '05-validation');

    // --- place an order (with markup in it: it must show as text) and watch the notification arrive ----------
    await page.getByLabel('Item').fill(item);
    await page.getByLabel('Quantity').fill('3');
    await page.getByLabel('Quantity').press('Enter'); // the keyboard submits the form
    const placedAt = Date.now();
    await poll(() => page.locator('#new-order .notice').textContent()).toContain('Order placed');
    const notification = page.locator('#notifications li[data-notification-id]');
    await notification.first().waitFor({ timeout: NOTIFICATION_DEADLINE_MS });
    const notificationMs = Date.now() - placedAt;
    expect(notificationMs).toBeLessThan(NOTIFICATION_DEADLINE_MS);
    // The notification shows its order, by item and quantity, as text.
    await poll(() => notification.first().locator('.order-ref').textContent()).toContain(`${item} × 3`);
    expect(await page.locator('#orders li').count()).toBe(1);
    expect(await page.locator('#orders li .item').first().textContent()).toBe(item);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('#orders img, #notifications img').count()).toBe(0);
    await poll(() => page.locator('#profile').textContent()).toMatch(/Orders\s*1/);
    await shot(page, '06-notification');
    const firstOrderId = await page.locator('#orders li[data-order-id]').first().getAttribute('data-order-id');
    expect(firstOrderId).toMatch(/^[0-9a-f-]{36}$/);

    // --- a phone-sized screen keeps everything reachable ------------------------------------------------------
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await shot(page, '07-phone');
    await page.setViewportSize({ width: 1200, height: 860 });

    // --- sign out: through the hosted login's /logout, back to the signed-out page ---------------------------
    await page.getByRole('navigation', { name: 'Account' }).getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${gateway}/`);
    await poll(() => page.getByRole('heading', { name: 'You are signed out' }).isVisible()).toBe(true);
    expect(await page.locator('#orders, #notifications').count()).toBe(0);
    await shot(page, '08-signed-out-again');
    expect(errors).toEqual([]);
    await context.close();

    // --- a second user sees none of the first user's orders or notifications ---------------------------------
    const demoEmail = 'demo@pier.local';
    const demoPassword = (await readFile(join(runtime.dataDir, 'identity', 'demo-password.txt'), 'utf8')).trim();
    const second = await newPage();
    // A fake clock (time still flows) lets the test jump to just before the access token expires.
    await second.context.clock.install();
    // Its first GET /orders fails, to show the panel's error state and its retry.
    let failOrders = true;
    await second.page.route(`${gateway}/orders`, (route) => {
      if (route.request().method() !== 'GET' || !failOrders) return route.fallback();
      failOrders = false;
      return route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ message: 'Service Unavailable' }) });
    });
    const bearer: string[] = [];
    second.page.on('request', (r) => {
      const auth = r.headers().authorization;
      if (auth?.startsWith('Bearer ')) bearer.push(auth.slice(7));
    });
    await second.page.goto(gateway);
    await signIn(second.page, demoEmail, demoPassword);
    await poll(() => second.page.locator('#orders [role=alert]').textContent()).toBe('Your orders could not be loaded: Service Unavailable');
    await shot(second.page, '09-error-state');
    await second.page.locator('#orders').getByRole('button', { name: 'Try again' }).click();
    await poll(() => second.page.locator('#orders').textContent()).toContain('No orders yet');
    await poll(() => second.page.locator('#notifications').textContent()).toContain('No notifications yet');
    await poll(() => second.page.locator('#profile').textContent()).toMatch(/Orders\s*0/);
    expect(await second.page.locator('body').textContent()).not.toContain('Harbour map');
    await shot(second.page, '10-second-user');
    // And the API itself refuses the first user's order to the second user's token.
    const token = bearer.at(-1) as string;
    expect((await fetch(`${gateway}/orders/${firstOrderId}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    const theirs = (await (await fetch(`${gateway}/me/notifications`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: unknown[] };
    expect(theirs.items).toEqual([]);

    // --- the session refreshes its one-hour access token a minute early, and the page goes on working ---------
    const refresh = second.page.waitForResponse((r) => r.url() === `${identity}/oauth2/token` && /grant_type=refresh_token/.test(r.request().postData() ?? ''));
    await second.page.clock.fastForward('59:10');
    expect((await refresh).status()).toBe(200);
    // The webhook form: its own check first, then a save with the refreshed token.
    await second.page.getByLabel('Webhook URL').fill('http://example.com/hook');
    await second.page.getByRole('button', { name: 'Save webhook' }).click();
    await poll(() => second.page.locator('#webhook-url-error').textContent()).toMatch(/https/);
    await second.page.getByLabel('Webhook URL').fill('http://127.0.0.1:9/hook');
    await second.page.getByRole('button', { name: 'Save webhook' }).click();
    await poll(() => second.page.locator('#webhook .notice').textContent()).toBe('Webhook saved; it is off.');
    if (process.env.PIER_DOCS_SCREENSHOT) {
      // README's picture: the second user's page with one plain order and its notification.
      await second.page.getByLabel('Item').fill('Tide table 2027');
      await second.page.getByLabel('Quantity').fill('2');
      await second.page.getByLabel('Note (optional)').fill('Rolled, not folded, please.');
      await second.page.getByRole('button', { name: 'Place order' }).click();
      await second.page.locator('#notifications li[data-notification-id]').first().waitFor({ timeout: NOTIFICATION_DEADLINE_MS });
      await second.page.screenshot({ path: join(REPO, 'docs', 'screenshot.png') });
    }
    // Tokens live only in memory: a reload signs out.
    await second.page.reload();
    await poll(() => second.page.getByRole('heading', { name: 'You are signed out' }).isVisible()).toBe(true);
    expect(second.errors).toEqual([]);
    await second.context.close();

    process.stdout.write(`e2e: notification after ${notificationMs} ms; whole flow ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }, 60_000);
});
