import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FETCHER } from './jwksMirror.js';

/*
 * The deploy-time fetcher's inline code, run as Lambda would run it (CommonJS, `handler(event)`), against a real HTTP
 * JWKS server. S3 is the one part that cannot run here: a stand-in @aws-sdk/client-s3 module records the PutObject.
 */
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'pier-jwks-'));
let server: Server;
let base: string;
const JWKS = { keys: [{ kid: 'k1', kty: 'RSA', alg: 'RS256', use: 'sig', n: 'abc', e: 'AQAB' }] };

beforeAll(async () => {
  writeFileSync(join(dir, 'index.js'), FETCHER);
  mkdirSync(join(dir, 'node_modules', '@aws-sdk', 'client-s3'), { recursive: true });
  writeFileSync(
    join(dir, 'node_modules', '@aws-sdk', 'client-s3', 'index.js'),
    `const fs = require('fs');
     exports.PutObjectCommand = class { constructor(input) { this.input = { op: 'put', ...input }; } };
     exports.DeleteObjectCommand = class { constructor(input) { this.input = { op: 'delete', ...input }; } };
     exports.S3Client = class { async send(cmd) { fs.writeFileSync(process.env.PUT_LOG, JSON.stringify(cmd.input)); return {}; } };`,
  );
  server = createServer((req, res) => {
    if (req.url === '/pool/.well-known/jwks.json') return void res.end(JSON.stringify(JWKS));
    if (req.url === '/empty/.well-known/jwks.json') return void res.end(JSON.stringify({ keys: [] }));
    res.statusCode = 404;
    res.end('{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function invoke(event: object): Promise<{ ok: boolean; result?: { PhysicalResourceId: string; Data?: unknown }; error?: string; put?: Record<string, string> }> {
  const putLog = join(dir, `put-${Math.random()}.json`);
  const script = `const h = require(${JSON.stringify(join(dir, 'index.js'))}).handler;
    h(${JSON.stringify(event)}).then((result) => { let put; try { put = JSON.parse(require('fs').readFileSync(process.env.PUT_LOG, 'utf8')); } catch {}
      process.stdout.write(JSON.stringify({ ok: true, result, put })); }, (e) => process.stdout.write(JSON.stringify({ ok: false, error: e.message })));`;
  const { stdout } = await run(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, PUT_LOG: putLog } });
  return JSON.parse(stdout);
}

describe('JWKS mirror fetcher (Lambda inline code)', () => {
  it('copies the JWKS to the bucket key on Create', async () => {
    const r = await invoke({ RequestType: 'Create', ResourceProperties: { Url: `${base}/pool/.well-known/jwks.json`, Bucket: 'b1', Key: 'jwks.json' } });
    expect(r.ok).toBe(true);
    expect(r.result).toEqual({ PhysicalResourceId: 'b1/jwks.json', Data: { Keys: '1' } });
    expect(r.put!.op).toBe('put');
    expect(r.put!.Bucket).toBe('b1');
    expect(r.put!.Key).toBe('jwks.json');
    expect(r.put!.ContentType).toBe('application/json');
    expect(JSON.parse(r.put!.Body!)).toEqual(JWKS);
  });

  it('fails the deployment on an HTTP error or a JWKS without keys, writing nothing', async () => {
    const missing = await invoke({ RequestType: 'Update', ResourceProperties: { Url: `${base}/nope/.well-known/jwks.json`, Bucket: 'b1', Key: 'jwks.json' } });
    expect(missing).toMatchObject({ ok: false, error: 'JWKS fetch failed: HTTP 404' });
    expect(missing.put).toBeUndefined();
    const empty = await invoke({ RequestType: 'Create', ResourceProperties: { Url: `${base}/empty/.well-known/jwks.json`, Bucket: 'b1', Key: 'jwks.json' } });
    expect(empty).toMatchObject({ ok: false, error: 'JWKS has no keys' });
  });

  it('deletes its object on Delete, so the stack can remove the bucket', async () => {
    const r = await invoke({ RequestType: 'Delete', PhysicalResourceId: 'b1/jwks.json', ResourceProperties: { Url: 'x', Bucket: 'b1', Key: 'jwks.json' } });
    expect(r).toEqual({ ok: true, result: { PhysicalResourceId: 'b1/jwks.json' }, put: { op: 'delete', Bucket: 'b1', Key: 'jwks.json' } });
  });
});
