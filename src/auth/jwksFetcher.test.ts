import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FetchError, NonRetryableFetchError } from 'aws-jwt-verify/error';
import { afterEach, describe, expect, it } from 'vitest';
import { RedirectingJwksFetcher } from './jwksFetcher.js';

const POOL_URI = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X/.well-known/jwks.json';
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((r) => s.close(r));
    }),
  );
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
}

describe('RedirectingJwksFetcher', () => {
  it("answers the pool's JWKS URI from the configured URL", async () => {
    const url = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}'));
    const f = new RedirectingJwksFetcher({ jwksUrl: url, servesFor: [POOL_URI] });
    expect(Buffer.from(await f.fetch(POOL_URI)).toString()).toBe('{"keys":[]}');
  });

  it('refuses any other URI without a request', async () => {
    let requests = 0;
    const url = await serve((_req, res) => {
      requests++;
      res.end('{}');
    });
    const f = new RedirectingJwksFetcher({ jwksUrl: url, servesFor: [POOL_URI] });
    await expect(f.fetch('https://evil.example/jwks.json')).rejects.toBeInstanceOf(NonRetryableFetchError);
    expect(requests).toBe(0);
  });

  it('refuses non-200 answers, oversized bodies and unreachable servers', async () => {
    const notFound = await serve((_req, res) => res.writeHead(404).end());
    await expect(new RedirectingJwksFetcher({ jwksUrl: notFound, servesFor: [POOL_URI] }).fetch(POOL_URI)).rejects.toBeInstanceOf(NonRetryableFetchError);
    const huge = await serve((_req, res) => res.writeHead(200).end('x'.repeat(2048)));
    await expect(new RedirectingJwksFetcher({ jwksUrl: huge, servesFor: [POOL_URI], maxBytes: 1024 }).fetch(POOL_URI)).rejects.toThrow(/larger/);
    const down = 'http://127.0.0.1:1/jwks.json';
    await expect(new RedirectingJwksFetcher({ jwksUrl: down, servesFor: [POOL_URI] }).fetch(POOL_URI)).rejects.toBeInstanceOf(FetchError);
  });

  it('times out a server that never answers', async () => {
    const url = await serve(() => undefined);
    const f = new RedirectingJwksFetcher({ jwksUrl: url, servesFor: [POOL_URI], timeoutMs: 200 });
    const started = Date.now();
    await expect(f.fetch(POOL_URI)).rejects.toBeInstanceOf(FetchError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
