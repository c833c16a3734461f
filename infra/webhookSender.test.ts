import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App, SecretValue, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, verifies, type Receiver } from '../test/support/webhooks.js';
import { SettingsWiringError } from './lib/appSettings.js';
import { REPO_ROOT } from './lib/paths.js';
import { WebhookSender } from './lib/webhookSender.js';
import { ENVIRONMENTS } from './settings.js';

/*
 * The webhook-sender function's real bundle: the construct with bundling on (NodejsFunction + the local esbuild,
 * the FUNCTION_BUNDLE options scripts/bundle-functions.ts uses), loaded in plain Node and called as Lambda would.
 */
const run = promisify(execFile);
const outdir = mkdtempSync(join(tmpdir(), 'pier-webhook-bundle-'));
const KEY = 'whsec_Zmlyc3Qtc2lnbmluZy1rZXktMTIzNA==';
let bundle: string;
let receiver: Receiver;

beforeAll(async () => {
  const s = ENVIRONMENTS.dev;
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Bundle', { env: { account: '000000000000', region: s.region } });
  const appSecret = new secretsmanager.Secret(stack, 'App', { secretStringValue: SecretValue.unsafePlainText('{}') });
  const sender = new WebhookSender(stack, 'WebhookSender', s, { signingKeySecret: appSecret });
  mkdirSync(join(outdir, 'node_modules'));
  // The Lambda runtime provides the AWS SDK v3 (kept out of the bundle).
  symlinkSync(join(REPO_ROOT, 'node_modules', '@aws-sdk'), join(outdir, 'node_modules', '@aws-sdk'), 'dir');
  const template = app.synth().getStackByName('Bundle').template as { Resources: Record<string, { Properties: { Code?: { S3Key?: string } } }> };
  const key = template.Resources[stack.getLogicalId(sender.fn.node.defaultChild as never)]!.Properties.Code!.S3Key!;
  bundle = join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
  receiver = await startReceiver();
}, 60_000);
afterAll(async () => {
  await receiver?.close();
  rmSync(outdir, { recursive: true, force: true });
});

/** Imports the bundle in a child process (not vitest's loader) with only `env`, and calls its handler with `event`. */
async function invoke(event: unknown, env: Record<string, string>): Promise<{ ok: boolean; value: unknown }> {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    try { process.stdout.write(JSON.stringify({ ok: true, value: await m.handler(${JSON.stringify(event)}) })); }
    catch (e) { process.stdout.write(JSON.stringify({ ok: false, value: { name: e.name, code: e.code } })); }`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH, PIER_ENV: 'dev', DOCKER_SECRETS_DIR: '/nonexistent', LOG_LEVEL: 'silent', WEBHOOK_SIGNING_KEY: KEY, ...env },
  });
  return JSON.parse(stdout) as { ok: boolean; value: unknown };
}

describe('webhook-sender bundle', () => {
  it('is one ESM file with a source map', () => {
    expect(existsSync(bundle), bundle).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    expect(statSync(bundle).size).toBeGreaterThan(20_000);
    expect(statSync(bundle).size).toBeLessThan(5_000_000);
  });

  it('loads in plain Node and refuses a private address', async () => {
    expect(await invoke({ url: 'https://10.20.30.40/hook', id: 'e1', body: '{}' }, {})).toEqual({
      ok: true,
      value: { status: 'refused', error: 'WEBHOOK_ADDRESS_REFUSED' },
    });
  });

  it('delivers a webhook whose signature verifies (loopback allowed for this local receiver)', async () => {
    const out = await invoke({ url: receiver.url, id: 'e2', body: '{"a":1}' }, { WEBHOOK_ALLOW_LOOPBACK: 'true' });
    expect(out).toEqual({ ok: true, value: { status: 'delivered', httpStatus: 204 } });
    const got = receiver.calls.find((c) => c.headers['webhook-id'] === 'e2')!;
    expect(got.body).toBe('{"a":1}');
    expect(verifies(got, KEY)).toBe(true);
  });

  it('throws WebhookRequestError for a malformed event', async () => {
    expect(await invoke({ id: 'e3' }, {})).toEqual({ ok: false, value: { name: 'WebhookRequestError', code: 'WEBHOOK_REQUEST_INVALID' } });
  });

  it('refuses a function timeout that does not cover the webhook timeout', () => {
    const s = { ...ENVIRONMENTS.dev, functions: { ...ENVIRONMENTS.dev.functions, webhookSender: { memoryMiB: 256, timeoutSeconds: 5 } } };
    const stack = new Stack(new App(), 'T');
    const appSecret = new secretsmanager.Secret(stack, 'App');
    expect(() => new WebhookSender(stack, 'W', s, { signingKeySecret: appSecret })).toThrow(SettingsWiringError);
  });
});
