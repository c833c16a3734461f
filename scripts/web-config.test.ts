import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseWebConfig } from '../web/src/config.js';
import { preparePageDir, webConfig, webConfigFromEndpoints, WEB_SCOPES, writeWebConfig } from './web-config.js';

const dirs: string[] = [];
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'pier-webcfg-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('webConfig', () => {
  it('derives the callback and sign-out URLs from the page URL and asks for the API scopes', () => {
    const cfg = webConfig({ identityDomain: 'http://127.0.0.1:4002/', clientId: 'pier-web-local', apiUrl: 'http://127.0.0.1:4000', pageUrl: 'http://127.0.0.1:4000/' });
    expect(cfg).toEqual({
      identityDomain: 'http://127.0.0.1:4002',
      clientId: 'pier-web-local',
      apiUrl: 'http://127.0.0.1:4000',
      redirectUri: 'http://127.0.0.1:4000/callback',
      logoutUri: 'http://127.0.0.1:4000/',
      scopes: ['openid', 'email', 'profile', 'pier/orders.read', 'pier/orders.write'],
      pollIntervalMs: 1500,
    });
    // what the generator writes is what the page accepts
    expect(parseWebConfig(JSON.parse(JSON.stringify(cfg)))).toEqual(cfg);
  });

  it('passes CDK tokens through for CloudFormation to resolve', () => {
    const cfg = webConfig({ identityDomain: 'https://${Token[TOKEN.1]}.auth.us-east-1.amazoncognito.com', clientId: '${Token[TOKEN.2]}', apiUrl: '${Token[TOKEN.3]}', pageUrl: 'https://${Token[TOKEN.4]}' });
    expect(cfg.redirectUri).toBe('https://${Token[TOKEN.4]}/callback');
    expect(cfg.apiUrl).toBe('${Token[TOKEN.3]}');
  });

  it('refuses unusable inputs, naming the key', () => {
    const ok = { identityDomain: 'https://id.example', clientId: 'c', apiUrl: 'https://api.example', pageUrl: 'https://page.example' };
    expect(() => webConfig({ ...ok, apiUrl: 'api.example' })).toThrow(/apiUrl/);
    expect(() => webConfig({ ...ok, identityDomain: 'ftp://id.example' })).toThrow(/identityDomain/);
    expect(() => webConfig({ ...ok, clientId: '' })).toThrow(/clientId/);
    expect(() => webConfig({ ...ok, scopes: ['pier/orders.read'] })).toThrow(/openid/);
  });

  it('builds the local config from endpoints.json', () => {
    const cfg = webConfigFromEndpoints({ identity: 'http://127.0.0.1:5002', gateway: 'http://127.0.0.1:5000', clientId: 'pier-web-local' });
    expect(cfg).toMatchObject({ identityDomain: 'http://127.0.0.1:5002', apiUrl: 'http://127.0.0.1:5000', redirectUri: 'http://127.0.0.1:5000/callback' });
    expect(cfg.scopes).toEqual([...WEB_SCOPES]);
    expect(() => webConfigFromEndpoints({ gateway: 'http://127.0.0.1:5000' })).toThrow(/identity/);
  });
});

describe('page folder', () => {
  it('copies the built page without its build stamp and writes config.json beside it', async () => {
    const built = await tempDir();
    await mkdir(join(built, 'assets'));
    await writeFile(join(built, 'index.html'), '<!doctype html>');
    await writeFile(join(built, 'assets', 'app.js'), 'x');
    await writeFile(join(built, '.build-stamp'), 'hash');
    const target = join(await tempDir(), 'web');
    expect(await preparePageDir(built, target)).toBe(true);
    const cfg = webConfigFromEndpoints({ identity: 'http://127.0.0.1:1', gateway: 'http://127.0.0.1:2', clientId: 'c' });
    await writeWebConfig(target, cfg);
    expect(await readFile(join(target, 'assets', 'app.js'), 'utf8')).toBe('x');
    await expect(readFile(join(target, '.build-stamp'))).rejects.toThrow();
    expect(JSON.parse(await readFile(join(target, 'config.json'), 'utf8'))).toEqual(cfg);
  });

  it('reports an unbuilt page', async () => {
    expect(await preparePageDir(join(await tempDir(), 'missing'), join(await tempDir(), 'web'))).toBe(false);
  });
});
