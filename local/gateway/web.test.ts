/**
 * The local gateway sends the page's security headers (src/webSecurityHeaders.ts) with the page and its files, its
 * CSP's connect-src taken from the config.json the page reads; API responses are left as the integration made them.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webConfigFromEndpoints, writeWebConfig } from '../../scripts/web-config.js';
import { createLogger } from '../../src/log.js';
import { connectSources, securityHeaders, sourceOrigin, webSecurityPolicy } from '../../src/webSecurityHeaders.js';
import { startGateway, type RunningGateway } from './server.js';

const logger = createLogger({ level: 'silent' });
/** Every header name a security policy could set: the responses must carry the policy's and no others. */
const SECURITY_HEADER_NAMES = [
  'content-security-policy',
  'content-security-policy-report-only',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'permissions-policy',
  'strict-transport-security',
  'x-xss-protection',
];
const securityOf = (res: Response) => Object.fromEntries(SECURITY_HEADER_NAMES.flatMap((n) => (res.headers.has(n) ? [[n, res.headers.get(n)!]] : [])));
const IDENTITY = 'http://127.0.0.1:4902';

const gatewayOn = (webDir: string) =>
  startGateway({
    logger,
    verifier: { verify: async () => ({ ok: false, code: 'TOKEN_INVALID', message: 'no' }) } as never,
    routes: [{ method: 'GET', path: '/open', target: { kind: 'function', name: 'open' }, auth: { type: 'none' } }],
    functions: { open: async () => ({ open: true }) },
    bodyLimitBytes: 1024,
    lambdaTimeoutMs: 1000,
    integrationTimeoutMs: 1000,
    webDir,
  });

describe('the gateway: security headers on the page', () => {
  let dir: string;
  let gw: RunningGateway;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pier-gw-headers-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Pier page</title><script type="module" src="/assets/index-abc.js"></script>');
    await writeFile(join(dir, 'assets', 'index-abc.js'), 'console.log("pier")');
    await writeFile(join(dir, 'assets', 'index-abc.css'), 'body{margin:0}');
    gw = await gatewayOn(dir);
  });
  afterAll(async () => {
    await gw?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("sends only 'self' in connect-src until config.json is written", async () => {
    const res = await fetch(`${gw.url}/`);
    expect(res.status).toBe(200);
    expect(securityOf(res)).toEqual(securityHeaders(webSecurityPolicy({ connectSrc: [], https: false })));
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self';");
  });

  it('answers /, /callback, a JS and a CSS asset and config.json with exactly the policy, connect-src from config.json', async () => {
    // As the runner does once the gateway knows its port: the API is the gateway (self), the hosted login is not.
    const config = webConfigFromEndpoints({ identity: IDENTITY, gateway: gw.url, clientId: 'pier-web-local' });
    await writeWebConfig(dir, config);
    const expected = securityHeaders(webSecurityPolicy({ connectSrc: connectSources(config), https: false }));
    expect(expected).toEqual({
      'content-security-policy':
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
        `connect-src 'self' ${IDENTITY}; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'`,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'permissions-policy': 'camera=(), geolocation=(), microphone=(), payment=(), usb=()',
    });
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/callback?code=x&state=y', 'text/html'],
      ['/assets/index-abc.js', 'javascript'],
      ['/assets/index-abc.css', 'text/css'],
      ['/config.json', 'application/json'],
    ] as const) {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
      expect(securityOf(res), path).toEqual(expected);
      await res.arrayBuffer();
    }
    // A HEAD carries them too.
    const head = await fetch(`${gw.url}/assets/index-abc.js`, { method: 'HEAD' });
    expect(securityOf(head)).toEqual(expected);
  });

  it('picks up a rewritten config.json', async () => {
    const other = 'http://127.0.0.1:4903';
    await writeWebConfig(dir, webConfigFromEndpoints({ identity: other, gateway: gw.url, clientId: 'pier-web-local' }));
    const res = await fetch(`${gw.url}/`);
    expect(res.headers.get('content-security-policy')).toContain(`connect-src 'self' ${other};`);
  });

  it("leaves the API's responses and its 404s alone", async () => {
    for (const path of ['/open', '/open/missing.js']) {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(securityOf(res), path).toEqual({});
    }
  });

  it('sends the policy with the placeholder page when the page is not built', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'pier-gw-headers-empty-'));
    const bare = await gatewayOn(empty);
    try {
      for (const path of ['/', '/callback']) {
        const res = await fetch(`${bare.url}${path}`);
        expect(await res.text()).toMatch(/web page isn't built/);
        expect(securityOf(res), path).toEqual(securityHeaders(webSecurityPolicy({ connectSrc: [], https: false })));
      }
    } finally {
      await bare.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('webSecurityHeaders: connect-src sources', () => {
  it("names the hosted login and the API by origin, leaving out the page's own", () => {
    expect(connectSources({ identityDomain: 'http://127.0.0.1:4002', apiUrl: 'http://127.0.0.1:4000', redirectUri: 'http://127.0.0.1:4000/callback' })).toEqual([
      'http://127.0.0.1:4002',
    ]);
    expect(
      connectSources({ identityDomain: 'https://Pier.auth.eu-west-1.amazoncognito.com/', apiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod', redirectUri: 'https://d1.cloudfront.net/callback' }),
    ).toEqual(['https://pier.auth.eu-west-1.amazoncognito.com', 'https://abc.execute-api.eu-west-1.amazonaws.com']);
  });

  it('keeps CDK tokens for CloudFormation and refuses what could break out of a source', () => {
    expect(sourceOrigin('${Token[TOKEN.12]}')).toBe('${Token[TOKEN.12]}');
    expect(sourceOrigin('https://${Token[TOKEN.3]}.auth.eu-west-1.amazoncognito.com')).toBe('https://${Token[TOKEN.3]}.auth.eu-west-1.amazoncognito.com');
    expect(() => sourceOrigin("https://x.example; script-src 'unsafe-inline'")).toThrow(/CSP/);
    expect(() => sourceOrigin('javascript:alert(1)')).toThrow(/http/);
  });

  it('adds Strict-Transport-Security only over https', () => {
    expect(securityHeaders(webSecurityPolicy({ connectSrc: [], https: false }))['strict-transport-security']).toBeUndefined();
    expect(securityHeaders(webSecurityPolicy({ connectSrc: [], https: true }))['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
  });
});
