import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionName } from '../src/routes.js';
import { Data } from './lib/data.js';
import { Functions } from './lib/functions.js';
import { Network } from './lib/network.js';
import { REPO_ROOT } from './lib/paths.js';
import { ENVIRONMENTS } from './settings.js';

/*
 * The real bundle: the Functions construct with bundling on (NodejsFunction + the local esbuild, no Docker), in a
 * stack holding only what it needs, so this stays a few seconds. The bundle is then loaded and called.
 */
const run = promisify(execFile);
const outdir = mkdtempSync(join(tmpdir(), 'pier-bundle-'));
const bundles = {} as Record<FunctionName, string>;
let appRoleBundle: string;

beforeAll(() => {
  const s = ENVIRONMENTS.dev;
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  app.node.setContext(`availability-zones:account=000000000000:region=${s.region}`, s.availabilityZones);
  const stack = new Stack(app, 'Bundle', { env: { account: '000000000000', region: s.region } });
  const network = new Network(stack, 'Network', s);
  const data = new Data(stack, 'Data', s, network);
  const fns = new Functions(stack, 'Functions', s, {
    network,
    data,
    derivedSettings: { COGNITO_USER_POOL_ID: 'us-east-1_Test1234', COGNITO_CLIENT_ID: 'test-client' },
    databaseUrlSecret: data.databaseUrlSecret,
  });
  // The Lambda runtime provides the AWS SDK v3 (kept out of the bundle); nothing else is on the bundles' path.
  mkdirSync(join(outdir, 'node_modules'));
  symlinkSync(join(REPO_ROOT, 'node_modules', '@aws-sdk'), join(outdir, 'node_modules', '@aws-sdk'), 'dir');
  const template = app.synth().getStackByName('Bundle').template as { Resources: Record<string, { Properties: { Code?: { S3Key?: string } } }> };
  for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
    const id = stack.getLogicalId(fns.byName[name].node.defaultChild as never);
    const key = template.Resources[id]!.Properties.Code!.S3Key!;
    bundles[name] = join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
  }
  const appRoleKey = template.Resources[stack.getLogicalId(data.appRole.fn.node.defaultChild as never)]!.Properties.Code!.S3Key!;
  appRoleBundle = join(outdir, `asset.${appRoleKey.replace(/\.zip$/, '')}`, 'index.mjs');
}, 60_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('Lambda bundles', () => {
  it.each(Object.keys(FUNCTIONS) as FunctionName[])('%s is bundled by esbuild into one ESM file with a source map', (name) => {
    const file = bundles[name];
    expect(existsSync(file), file).toBe(true);
    expect(existsSync(`${file}.map`)).toBe(true);
    // Minified, dependencies included (pg, zod): bigger than the handler alone, far smaller than node_modules.
    expect(statSync(file).size).toBeGreaterThan(50_000);
    expect(statSync(file).size).toBeLessThan(10_000_000);
  });

  it.each(Object.keys(FUNCTIONS) as FunctionName[])('%s loads in plain Node and answers a request without a caller with 401', async (name) => {
    // A child process (not vitest's module loader, which would transform the megabyte bundle) imports and calls it.
    const event = {
      version: '2.0',
      routeKey: 'GET /x',
      rawPath: '/x',
      headers: {},
      requestContext: { requestId: 'r1', authorizer: { jwt: { claims: {}, scopes: [] } }, http: { method: 'GET', path: '/x' } },
    };
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundles[name]).href)});
      process.stdout.write(JSON.stringify({ type: typeof m.handler, res: await m.handler(${JSON.stringify(event)}) }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: tmpdir(), env: { PATH: process.env.PATH } });
    const out = JSON.parse(stdout) as { type: string; res: { statusCode: number } };
    expect(out.type).toBe('function');
    expect(out.res.statusCode).toBe(401);
  });

  it('bundles the database app-role custom resource (src/db/appRole.ts), which loads and answers Delete without touching anything', async () => {
    expect(existsSync(appRoleBundle), appRoleBundle).toBe(true);
    const event = {
      RequestType: 'Delete',
      PhysicalResourceId: 'pier_app@pier',
      ResourceProperties: { MasterSecretArn: 'arn:m', AppSecretArn: 'arn:a', Host: 'h.rds.amazonaws.com', Port: '5432', Database: 'pier', Role: 'pier_app' },
    };
    const script = `const m = await import(${JSON.stringify(pathToFileURL(appRoleBundle).href)});
      process.stdout.write(JSON.stringify(await m.handler(${JSON.stringify(event)})));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: outdir, env: { PATH: process.env.PATH } });
    expect(JSON.parse(stdout)).toEqual({ PhysicalResourceId: 'pier_app@pier' });
  });
});
