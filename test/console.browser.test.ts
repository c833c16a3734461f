/**
 * The local console in a real browser (Debian chromium through playwright-core) against the whole runtime on free
 * ports: it shows the parts and their health and the queue counts; a poison message put on the dead-letter queue
 * shows up in the DLQ view as text (its HTML body is never rendered); Redrive shows progress and moves it back to
 * order-events. No CSP violation or page error on the way. Screenshots go to test-output/console/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../local/runtime.js';
import { LOCAL_CREDENTIALS } from '../src/config/localCredentials.js';
import { launchChromium } from './support/browser.js';
import { startTestRuntime } from './support/runtime.js';

const SHOTS = join(resolve(fileURLToPath(new URL('..', import.meta.url))), 'test-output', 'console');
const POISON = '<img src=x onerror="window.__pwned=1"> not an order event';

let dir: string;
let runtime: LocalRuntime;
let browser: Browser;

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'pier-console-browser-'));
  runtime = await startTestRuntime(dir);
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000, interval: 100 });
const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const row = (page: Page, section: string, first: string) => page.locator(`#${section} tbody tr`).filter({ has: page.locator('td:first-child', { hasText: new RegExp(`^${first}$`) }) });
const cells = async (page: Page, section: string, first: string) => (await row(page, section, first).locator('td').allTextContents()).map((t) => t.trim());

describe('the local console, in a browser', () => {
  it('shows parts and queues, a poison message in the DLQ view, and redrives it back', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });

    await page.goto(runtime.endpoints.console as string);
    await poll(() => cells(page, 'parts', 'service')).toEqual(['service', 'ok (HTTP 200)', runtime.endpoints.service, 'orders API and the outbox relay']);
    for (const name of ['gateway', 'identity', 'sqs', 'console']) await poll(async () => (await cells(page, 'parts', name))[1]).toBe('ok (HTTP 200)');
    for (const name of ['database', 'worker', 'lambda', 'secretsmanager']) await poll(async () => (await cells(page, 'parts', name))[1] ?? '').toMatch(/^running/);
    await poll(() => cells(page, 'queues', 'order-events-dlq')).toEqual(['order-events-dlq', '0', '0', '0']);
    await poll(() => page.locator('#dlq-status').textContent()).toBe('0 message(s) in the dead-letter queue.');
    await poll(() => page.locator('#traces-status').textContent()).toMatch(/^\d+ recent trace\(s\)\.$/);
    await shot(page, '01-parts-and-queues');

    // A poison message on the DLQ path.
    const sqs = new SQSClient({ region: runtime.config.AWS_REGION, endpoint: runtime.endpoints.sqs, credentials: LOCAL_CREDENTIALS });
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: runtime.endpoints.orderEventsDlqUrl, MessageBody: POISON }));
    sqs.destroy();
    await poll(() => cells(page, 'queues', 'order-events-dlq')).toEqual(['order-events-dlq', '1', '0', '0']);
    await page.getByRole('button', { name: 'Refresh list' }).click();
    await poll(() => cells(page, 'dlq', MessageId!)).toEqual([MessageId, '0', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), '', POISON]);
    // Shown as text: no <img> was made and its handler never ran.
    expect(await page.locator('#dlq img').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    await shot(page, '02-dlq-message');

    await page.getByRole('button', { name: 'Redrive to order-events' }).click();
    await poll(() => page.locator('#redrive-progress').textContent()).toMatch(/^redrive #1: completed\n[\s\S]*COMPLETED: moved 1 of 1/);
    await poll(() => page.locator('#dlq-status').textContent()).toBe('0 message(s) in the dead-letter queue.');
    await poll(() => row(page, 'dlq', MessageId!).count()).toBe(0);
    await poll(() => cells(page, 'queues', 'order-events-dlq')).toEqual(['order-events-dlq', '0', '0', '0']);
    // Back on order-events: waiting, or taken by the worker (which leaves it there: it is no order event).
    await poll(async () => {
      const [, visible, inFlight] = await cells(page, 'queues', 'order-events');
      return Number(visible) + Number(inFlight);
    }).toBe(1);
    await shot(page, '03-redriven');

    expect(problems).toEqual([]);
    await context.close();
  });
});
