/**
 * The local API gateway over real HTTP (random ports): the JWT authorizer's rules, the Lambda payload v2 event and
 * result mapping, the HTTP integration, CORS, limits and the web page. Handlers here are test doubles that count
 * their invocations, so "the backend is never invoked" is proven, not assumed.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayRoute, type RunningGateway } from '../local/gateway/server.js';
import { createLogger } from '../src/log.js';
import { createTestIssuer, type JwksServer, type TestIssuer } from './support/tokens.js';
import { createTokenVerifier } from '../src/auth/verifier.js';

/**
 * The example event of payload format 2.0, from "Create AWS Lambda proxy integrations for HTTP APIs in API
 * Gateway" (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html,
 * "Payload format version", tab 2.0). Values are the doc's; the test compares keys and value types.
 */
const AWS_EXAMPLE_EVENT_V2 = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/my/path',
  rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
  cookies: ['cookie1', 'cookie2'],
  headers: { header1: 'value1', header2: 'value1,value2' },
  queryStringParameters: { parameter1: 'value1,value2', parameter2: 'value' },
  requestContext: {
    accountId: '123456789012',
    apiId: 'api-id',
    authentication: {
      clientCert: {
        clientCertPem: 'CERT_CONTENT',
        subjectDN: 'www.example.com',
        issuerDN: 'Example issuer',
        serialNumber: 'a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1',
        validity: { notBefore: 'May 28 12:30:02 2019 GMT', notAfter: 'Aug  5 09:36:04 2021 GMT' },
      },
    },
    authorizer: {
      jwt: { claims: { claim1: 'value1', claim2: 'value2' }, scopes: ['scope1', 'scope2'] },
      lambda: { exampleKey1: 'exampleValue1', exampleKey2: 'exampleValue2' },
    },
    domainName: 'id.execute-api.us-east-1.amazonaws.com',
    domainPrefix: 'id',
    http: { method: 'POST', path: '/my/path', protocol: 'HTTP/1.1', sourceIp: 'IP', userAgent: 'agent' },
    requestId: 'id',
    routeKey: '$default',
    stage: '$default',
    time: '12/Mar/2020:19:03:58 +0000',
    timeEpoch: 1583348638390,
  },
  body: 'Hello from Lambda',
  pathParameters: { parameter1: 'value1' },
  isBase64Encoded: false,
  stageVariables: { stageVariable1: 'value1', stageVariable2: 'value2' },
};

/** Keys whose values are string maps with arbitrary keys: compared as "map of strings", not key by key. */
const MAPS = new Set(['headers', 'queryStringParameters', 'pathParameters', 'claims', 'stageVariables']);
function shape(value: unknown, key = ''): unknown {
  if (MAPS.has(key)) {
    expect(Object.values(value as object).every((v) => typeof v === 'string'), `${key} values are strings`).toBe(true);
    return 'map<string,string>';
  }
  if (Array.isArray(value)) return value.length ? [shape(value[0])] : [];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, shape(v, k)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  }
  return value === null ? 'null' : typeof value;
}

const logger = createLogger({ level: 'silent' });

function rawRequest(target: string, method: string, headers: Record<string, string | string[]>, body?: string) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = request(target, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('local API gateway', () => {
  let issuer: TestIssuer;
  let jwks: JwksServer;
  let gw: RunningGateway;
  let service: Server;
  let serviceSeen: IncomingHttpHeaders[];
  let webDir: string;
  const calls: Record<string, number> = {};
  let lastEvent: APIGatewayProxyEventV2WithJWTAuthorizer | undefined;
  const results: Record<string, unknown> = {};

  const count = (name: string) => () => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  const route = (method: GatewayRoute['method'], path: string, name: string, scopes?: string[]): GatewayRoute => ({
    method,
    path,
    target: { kind: 'function', name },
    auth: scopes ? { type: 'jwt', scopes } : { type: 'none' },
  });
  const routes: GatewayRoute[] = [
    route('GET', '/read', 'read', ['pier/orders.read']),
    route('GET', '/anyone', 'anyone', []),
    route('POST', '/items/{id}', 'capture', ['pier/orders.write']),
    route('GET', '/files/{proxy+}', 'capture', []),
    route('GET', '/open', 'open'),
    route('GET', '/result/{case}', 'result'),
    route('GET', '/boom', 'boom'),
    route('GET', '/slow', 'slow'),
    { method: 'GET', path: '/svc/{id}', target: { kind: 'service' }, auth: { type: 'jwt', scopes: ['pier/orders.read'] } },
    { method: 'POST', path: '/svc-post', target: { kind: 'service' }, auth: { type: 'none' } },
  ];

  const url = (path: string) => gw.url + path;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(url(path), { headers });

  beforeAll(async () => {
    issuer = await createTestIssuer();
    jwks = await issuer.jwksServer();
    // The production verifier, reaching the JWKS over real HTTP.
    const verifier = createTokenVerifier({ userPoolId: issuer.userPoolId, clientId: issuer.clientId, jwksUrl: jwks.url, cache: { maxEntries: 100 } });

    serviceSeen = [];
    service = createServer((req, res) => {
      serviceSeen.push(req.headers);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'x-from': 'service', 'access-control-allow-origin': '*' });
        res.end(JSON.stringify({ path: req.url, method: req.method, body: Buffer.concat(chunks).toString('utf8') }));
      });
    });
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));

    webDir = await mkdtemp(join(tmpdir(), 'pier-gw-web-'));
    await writeFile(join(webDir, 'index.html'), '<!doctype html><title>Pier page</title>');
    await writeFile(join(webDir, 'app.js'), 'console.log("pier")');

    gw = await startGateway({
      logger,
      verifier,
      routes,
      serviceUrl: `http://127.0.0.1:${(service.address() as AddressInfo).port}`,
      bodyLimitBytes: 4096,
      lambdaTimeoutMs: 300,
      integrationTimeoutMs: 2000,
      corsAllowedOrigins: ['https://app.example.com'],
      webDir,
      functions: {
        read: async () => (count('read')(), { ok: 'read' }),
        anyone: async (e) => (count('anyone')(), { sub: e.requestContext.authorizer.jwt.claims.sub }),
        capture: async (e) => {
          count('capture')();
          lastEvent = e;
          return { statusCode: 204 };
        },
        open: async () => (count('open')(), { open: true }),
        result: async (e) => results[e.pathParameters?.case ?? ''],
        boom: async () => {
          throw new Error('handler failed');
        },
        slow: async () => {
          await sleep(3000);
          return { late: true };
        },
      },
    });
  });

  afterAll(async () => {
    await gw?.close();
    await jwks?.close();
    await new Promise((r) => service?.close(r));
    if (webDir) await rm(webDir, { recursive: true, force: true });
  });

  describe('JWT authorizer', () => {
    const expectUnauthorized = async (res: Response) => {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ message: 'Unauthorized' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    };

    it('answers 401 with a Bearer challenge when the Authorization header is missing, without invoking the backend', async () => {
      const before = calls.read ?? 0;
      const res = await get('/read');
      await expectUnauthorized(res);
      expect(calls.read ?? 0).toBe(before);
    });

    it('refuses a token whose signature does not verify', async () => {
      const other = await createTestIssuer({ kid: issuer.kid });
      const before = calls.read ?? 0;
      const res = await get('/read', { authorization: `Bearer ${other.accessToken({ scope: 'pier/orders.read' })}` });
      await expectUnauthorized(res);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      // A token with its payload swapped keeps a signature that no longer matches.
      const [h, , s] = issuer.accessToken().split('.');
      const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'x', iss: issuer.iss, scope: 'pier/orders.read' })).toString('base64url')}.${s}`;
      await expectUnauthorized(await get('/read', { authorization: `Bearer ${forged}` }));
      expect(calls.read ?? 0).toBe(before);
    });

    it('refuses an expired token', async () => {
      const res = await get('/read', { authorization: `Bearer ${issuer.accessToken({ expiresIn: -60 })}` });
      await expectUnauthorized(res);
      expect(res.headers.get('www-authenticate')).toBe('Bearer scope="" error="invalid_token" error_description="the token has expired"');
    });

    it('refuses a token from another issuer', async () => {
      const res = await get('/read', { authorization: `Bearer ${issuer.accessToken({ claims: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' } })}` });
      await expectUnauthorized(res);
    });

    it('refuses a token for another audience (access token client_id, ID token aud)', async () => {
      const access = await get('/read', { authorization: `Bearer ${issuer.accessToken({ clientId: 'someone-else' })}` });
      await expectUnauthorized(access);
      expect(access.headers.get('www-authenticate')).toContain('error_description="the token does not have a valid audience"');
      await expectUnauthorized(await get('/anyone', { authorization: issuer.idToken({ clientId: 'someone-else' }) }));
    });

    it('accepts a token without the Bearer prefix, and with a lower-case one', async () => {
      const token = issuer.accessToken({ scope: 'pier/orders.read' });
      const bare = await get('/read', { authorization: token });
      expect(bare.status).toBe(200);
      expect(await bare.json()).toEqual({ ok: 'read' });
      expect((await get('/read', { authorization: `bearer ${token}` })).status).toBe(200);
    });

    it('accepts an ID token whose audience matches on a route that needs no scope', async () => {
      const res = await get('/anyone', { authorization: `Bearer ${issuer.idToken({ sub: 'id-user' })}` });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ sub: 'id-user' });
    });

    it('answers 403 when the token lacks every required scope, without invoking the backend', async () => {
      const before = calls.read ?? 0;
      const res = await get('/read', { authorization: `Bearer ${issuer.accessToken({ scope: 'openid pier/orders.write' })}` });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ message: 'Forbidden' });
      expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      // An ID token carries no scopes at all.
      expect((await get('/read', { authorization: issuer.idToken() })).status).toBe(403);
      expect(calls.read ?? 0).toBe(before);
      // The service behind a refused route is not reached either.
      const seen = serviceSeen.length;
      expect((await get('/svc/1', { authorization: issuer.accessToken({ scope: 'pier/orders.write' }) })).status).toBe(403);
      expect((await get('/svc/1')).status).toBe(401);
      expect(serviceSeen.length).toBe(seen);
    });

    it('lets routes without auth through with no token', async () => {
      const res = await get('/open');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ open: true });
    });
  });

  describe('Lambda integration (payload format 2.0)', () => {
    it("sends an event with the AWS example's keys and types", async () => {
      const token = issuer.accessToken({ sub: 'user-1', groups: ['admin', 'ops'], scope: 'openid pier/orders.write' });
      // node:http sends a repeated header as repeated lines (fetch would join them first).
      const res = await rawRequest(url('/items/a%20b?x=1&x=2&y=%C3%A9'), 'POST', {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'X-Multi': ['one', 'two'],
        cookie: 'c1=v1; c2=v2',
        'user-agent': 'pier-test',
      }, JSON.stringify({ hello: 'world' }));
      expect(res.status).toBe(204);
      const e = lastEvent!;
      // Left out as AWS leaves them out here: no mutual TLS, no Lambda authorizer, no stage variables.
      const expected = structuredClone(AWS_EXAMPLE_EVENT_V2) as unknown as {
        requestContext: { authentication?: unknown; authorizer: { lambda?: unknown } };
        stageVariables?: unknown;
      };
      delete expected.requestContext.authentication;
      delete expected.requestContext.authorizer.lambda;
      delete expected.stageVariables;
      expect(shape(e)).toEqual(shape(expected));

      expect(e.version).toBe('2.0');
      expect(e.routeKey).toBe('POST /items/{id}');
      expect(e.requestContext.routeKey).toBe('POST /items/{id}');
      expect(e.rawPath).toBe('/items/a%20b');
      expect(e.rawQueryString).toBe('x=1&x=2&y=%C3%A9');
      expect(e.queryStringParameters).toEqual({ x: '1,2', y: 'é' });
      expect(e.pathParameters).toEqual({ id: 'a b' });
      expect(e.cookies).toEqual(['c1=v1', 'c2=v2']);
      expect(e.headers['x-multi']).toBe('one,two');
      expect(e.headers.cookie).toBeUndefined();
      expect(Object.keys(e.headers).every((k) => k === k.toLowerCase())).toBe(true);
      expect(e.body).toBe('{"hello":"world"}');
      expect(e.isBase64Encoded).toBe(false);
      expect('stageVariables' in e).toBe(false);
      expect(e.requestContext.stage).toBe('$default');
      expect(e.requestContext.http).toEqual({ method: 'POST', path: '/items/a b', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'pier-test' });
      expect(e.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
      expect(Math.abs(e.requestContext.timeEpoch - Date.now())).toBeLessThan(10_000);
      expect(e.requestContext.requestId).toBe(res.headers['apigw-requestid']);
      // Claims as API Gateway passes them: every value a string, lists as "[a b]".
      const claims = e.requestContext.authorizer.jwt.claims;
      expect(claims.sub).toBe('user-1');
      expect(claims['cognito:groups']).toBe('[admin ops]');
      expect(claims.exp).toMatch(/^\d{10}$/);
      expect(claims.version).toBe('2');
      expect(Object.values(claims).every((v) => typeof v === 'string')).toBe(true);
      expect(e.requestContext.authorizer.jwt.scopes).toEqual(['openid', 'pier/orders.write']);
    });

    it('passes null scopes on a route that requires none, and base64-encodes binary bodies', async () => {
      await get('/files/a/b/c.txt', { authorization: issuer.accessToken() });
      expect(lastEvent!.pathParameters).toEqual({ proxy: 'a/b/c.txt' });
      expect(lastEvent!.requestContext.authorizer.jwt.scopes).toBeNull();
      expect(lastEvent!.queryStringParameters).toBeUndefined();
      expect(lastEvent!.body).toBeUndefined();

      const bytes = Buffer.from([0, 1, 2, 255, 254]);
      await fetch(url('/items/bin'), {
        method: 'POST',
        headers: { authorization: issuer.accessToken(), 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      expect(lastEvent!.isBase64Encoded).toBe(true);
      expect(Buffer.from(lastEvent!.body!, 'base64')).toEqual(bytes);
    });

    it('maps results as API Gateway does for format 2.0', async () => {
      results.object = { a: 1 };
      let res = await get('/result/object');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.text()).toBe('{"a":1}');

      results.string = 'Hello from Lambda!';
      res = await get('/result/string');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.text()).toBe('Hello from Lambda!');

      results.full = {
        statusCode: 201,
        headers: { 'Content-Type': 'text/plain', 'X-One': 'a' },
        multiValueHeaders: { 'X-Many': ['b', 'c'] },
        cookies: ['s=1; Path=/', 't=2; HttpOnly'],
        body: 'created',
      };
      res = await get('/result/full');
      expect(res.status).toBe(201);
      expect(res.headers.get('content-type')).toBe('text/plain');
      expect(res.headers.get('x-one')).toBe('a');
      expect(res.headers.get('x-many')).toBe('b, c');
      expect(res.headers.getSetCookie()).toEqual(['s=1; Path=/', 't=2; HttpOnly']);
      expect(await res.text()).toBe('created');

      results.binary = { statusCode: 200, headers: { 'content-type': 'image/png' }, body: Buffer.from([137, 80, 78, 71]).toString('base64'), isBase64Encoded: true };
      res = await get('/result/binary');
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([137, 80, 78, 71]));

      results.empty = { statusCode: 304 };
      expect((await get('/result/empty')).status).toBe(304);

      results.malformed = { statusCode: 'teapot', body: 'x' };
      res = await get('/result/malformed');
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    });

    it('answers 500 when the handler throws', async () => {
      const res = await get('/boom');
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    });

    it('answers 500 when the handler outlives its timeout', async () => {
      const t0 = Date.now();
      const res = await get('/slow');
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ message: 'Internal Server Error' });
      expect(Date.now() - t0).toBeLessThan(2500);
    });
  });

  describe('HTTP integration to the service', () => {
    it('forwards the request with the Authorization header and x-forwarded-*', async () => {
      const token = issuer.accessToken({ scope: 'pier/orders.read' });
      const res = await get('/svc/42?q=1', { authorization: `Bearer ${token}` });
      expect(res.status).toBe(201);
      expect(res.headers.get('x-from')).toBe('service');
      expect(await res.json()).toEqual({ path: '/svc/42?q=1', method: 'GET', body: '' });
      const seen = serviceSeen.at(-1)!;
      expect(seen.authorization).toBe(`Bearer ${token}`);
      expect(seen['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen['x-forwarded-proto']).toBe('http');
      expect(seen['x-request-id']).toBe(res.headers.get('apigw-requestid'));

      const post = await fetch(url('/svc-post'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
      expect(await post.json()).toEqual({ path: '/svc-post', method: 'POST', body: '{"n":1}' });
    });
  });

  describe('service integration failures', () => {
    const svcRoute: GatewayRoute[] = [{ method: 'GET', path: '/svc', target: { kind: 'service' }, auth: { type: 'none' } }];

    it('answers 503 when the service is unreachable and 504 when it does not answer in time', async () => {
      // A port that was just free: nothing listens there.
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const deadPort = (probe.address() as AddressInfo).port;
      await new Promise((r) => probe.close(r));
      const silent = createServer(() => {
        /* never answers */
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const start = (serviceUrl: string) =>
        startGateway({ logger, verifier: issuer.verifier(), routes: svcRoute, functions: {}, serviceUrl, bodyLimitBytes: 1024, lambdaTimeoutMs: 100, integrationTimeoutMs: 300, webDir: false });
      const dead = await start(`http://127.0.0.1:${deadPort}`);
      const slow = await start(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
      try {
        const down = await fetch(`${dead.url}/svc`);
        expect(down.status).toBe(503);
        expect(await down.json()).toEqual({ message: 'Service Unavailable' });
        const late = await fetch(`${slow.url}/svc`);
        expect(late.status).toBe(504);
        expect(await late.json()).toEqual({ message: 'Gateway Timeout' });
      } finally {
        await dead.close();
        await slow.close();
        silent.closeAllConnections();
        await new Promise((r) => silent.close(r));
      }
    });
  });

  describe('limits and unmatched routes', () => {
    it('answers 404 {"message":"Not Found"} for an unmatched route or method', async () => {
      for (const [method, path] of [
        ['GET', '/nope/x.json'],
        ['DELETE', '/read'],
        ['GET', '/read/extra'],
        ['POST', '/nothing'],
      ] as const) {
        const res = await fetch(url(path), { method });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(await res.json()).toEqual({ message: 'Not Found' });
      }
    });

    it('answers 413 for a body over the limit, without invoking the backend', async () => {
      const before = calls.capture ?? 0;
      const res = await fetch(url('/items/big'), {
        method: 'POST',
        headers: { authorization: issuer.accessToken(), 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'x'.repeat(5000) }),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ message: 'Request Entity Too Large' });
      expect(calls.capture ?? 0).toBe(before);
      const seen = serviceSeen.length;
      expect((await fetch(url('/svc-post'), { method: 'POST', body: 'y'.repeat(5000) })).status).toBe(413);
      expect(serviceSeen.length).toBe(seen);
    });
  });

  describe('CORS', () => {
    it('answers a preflight itself, without a token and without invoking the backend', async () => {
      const before = calls.read ?? 0;
      const res = await fetch(url('/read'), {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(res.headers.get('access-control-allow-methods')).toContain('GET');
      expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(res.headers.get('access-control-max-age')).toBe('600');
      expect(calls.read ?? 0).toBe(before);
    });

    it("allows the gateway's own origin, and no other", async () => {
      const own = await fetch(url('/read'), { method: 'OPTIONS', headers: { origin: gw.url, 'access-control-request-method': 'GET' } });
      expect(own.headers.get('access-control-allow-origin')).toBe(gw.url);
      const evil = await fetch(url('/read'), { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    });

    it("sets CORS headers on responses for allowed origins, replacing the integration's", async () => {
      const ok = await get('/open', { origin: 'https://app.example.com' });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(ok.headers.get('access-control-expose-headers')).toContain('apigw-requestid');
      const denied = await get('/read', { origin: 'https://app.example.com' });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      // The service sent `*`; API Gateway answers for CORS itself.
      const svc = await fetch(url('/svc-post'), { method: 'POST', headers: { origin: 'https://evil.example' }, body: '{}' });
      expect(svc.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('web page', () => {
    it('serves the built page at / and its files, and index.html for the SPA paths', async () => {
      const root = await get('/');
      expect(root.status).toBe(200);
      expect(await root.text()).toContain('Pier page');
      expect(await (await get('/app.js')).text()).toContain('pier');
      const cb = await get('/callback?code=abc&state=xyz');
      expect(cb.status).toBe(200);
      expect(cb.headers.get('content-type')).toContain('text/html');
      expect(await cb.text()).toContain('Pier page');
      expect((await get('/missing.js')).status).toBe(404);
    });

    it('serves a placeholder page when the page is not built', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'pier-gw-empty-'));
      const bare = await startGateway({
        logger,
        verifier: issuer.verifier(),
        routes: [],
        functions: {},
        bodyLimitBytes: 1024,
        lambdaTimeoutMs: 100,
        integrationTimeoutMs: 100,
        webDir: dir,
      });
      try {
        const res = await fetch(`${bare.url}/`);
        expect(res.status).toBe(200);
        expect(await res.text()).toMatch(/web page isn't built/);
      } finally {
        await bare.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
