import { afterEach, describe, expect, it } from 'vitest';
import { createTestIssuer, type JwksServer } from '../../test/support/tokens.js';
import { loadConfig } from '../config/index.js';
import { AuthError } from './types.js';
import { createTokenVerifier, tokenVerifierFromConfig } from './verifier.js';

const servers: JwksServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A test issuer whose JWKS is served over HTTP, and a verifier that fetches it from there. */
async function overHttp() {
  const issuer = await createTestIssuer();
  const server = await issuer.jwksServer();
  servers.push(server);
  const v = createTokenVerifier({ userPoolId: issuer.userPoolId, clientId: issuer.clientId, jwksUrl: server.url });
  return { issuer, server, v };
}

async function rejection(p: Promise<unknown>): Promise<AuthError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  return err as AuthError;
}

describe('createTokenVerifier: valid tokens', () => {
  it('maps an access token to a User', async () => {
    const issuer = await createTestIssuer();
    const token = issuer.accessToken({ sub: 'sub-1', username: 'alice', groups: ['admins', 'staff'], scope: 'openid pier/orders.read' });
    const user = await issuer.verifier().verify(token);
    expect(user).toEqual({
      sub: 'sub-1',
      username: 'alice',
      groups: ['admins', 'staff'],
      scopes: ['openid', 'pier/orders.read'],
      tokenUse: 'access',
      clientId: issuer.clientId,
    });
    expect(user.email).toBeUndefined();
  });

  it('maps an ID token to a User (email, no scopes)', async () => {
    const issuer = await createTestIssuer();
    const token = issuer.idToken({ sub: 'sub-2', username: 'bob', email: 'bob@example.com', groups: ['staff'] });
    const user = await issuer.verifier().verify(token, { tokenUse: 'id' });
    expect(user).toEqual({
      sub: 'sub-2',
      username: 'bob',
      email: 'bob@example.com',
      groups: ['staff'],
      scopes: [],
      tokenUse: 'id',
      clientId: issuer.clientId,
    });
  });

  it("tokenUse 'any' accepts both kinds; the default is access only", async () => {
    const issuer = await createTestIssuer();
    const v = issuer.verifier();
    expect((await v.verify(issuer.idToken(), { tokenUse: 'any' })).tokenUse).toBe('id');
    expect((await v.verify(issuer.accessToken(), { tokenUse: 'any' })).tokenUse).toBe('access');
    expect((await rejection(v.verify(issuer.idToken()))).code).toBe('TOKEN_USE_INVALID');
  });

  it('accepts a token carrying one of the required scopes', async () => {
    const issuer = await createTestIssuer();
    const token = issuer.accessToken({ scope: 'openid pier/orders.read' });
    const v = issuer.verifier();
    await expect(v.verify(token, { scopes: ['pier/orders.write', 'pier/orders.read'] })).resolves.toMatchObject({ tokenUse: 'access' });
    expect((await rejection(v.verify(token, { scopes: ['pier/orders.write'] }))).code).toBe('TOKEN_SCOPE_MISSING');
  });

  it('accepts every configured client id and refuses others', async () => {
    const issuer = await createTestIssuer();
    const v = issuer.verifier({ clientId: [issuer.clientId, 'cli-client'] });
    await expect(v.verify(issuer.accessToken({ clientId: 'cli-client' }))).resolves.toMatchObject({ clientId: 'cli-client' });
    await expect(v.verify(issuer.idToken({ clientId: 'cli-client' }), { tokenUse: 'id' })).resolves.toMatchObject({ clientId: 'cli-client' });
    expect((await rejection(v.verify(issuer.accessToken({ clientId: 'other' })))).code).toBe('TOKEN_AUDIENCE_INVALID');
  });
});

describe('createTokenVerifier: JWKS over HTTP', () => {
  it('fetches the JWKS from jwksUrl once and reuses it', async () => {
    const { issuer, server, v } = await overHttp();
    for (let i = 0; i < 3; i++) await v.verify(issuer.accessToken());
    expect(server.requests).toBe(1);
  });

  it('accepts a token from a rotated key once the served JWKS lists it (refetch on unknown kid)', async () => {
    const { issuer, server, v } = await overHttp();
    await v.hydrate();
    const oldToken = issuer.accessToken();
    await v.verify(oldToken);
    expect(server.requests).toBe(1);

    const newKid = await issuer.rotate();
    const newToken = issuer.accessToken({ sub: 'after-rotation' });
    expect(JSON.parse(Buffer.from(newToken.split('.')[0] as string, 'base64url').toString())).toMatchObject({ kid: newKid });
    await expect(v.verify(newToken)).resolves.toMatchObject({ sub: 'after-rotation' });
    expect(server.requests).toBe(2);
    // Old keys stay in the JWKS, so tokens issued before the rotation still verify.
    await expect(v.verify(oldToken)).resolves.toMatchObject({ tokenUse: 'access' });
  });

  it('rate-limits refetches for unknown kids', async () => {
    const { issuer, server, v } = await overHttp();
    await v.hydrate();
    for (let i = 0; i < 5; i++) {
      expect((await rejection(v.verify(issuer.accessToken({ header: { kid: `forged-${i}` } })))).code).toBe('TOKEN_KID_UNKNOWN');
    }
    // One refetch for the first unknown kid; the rest fall in the wait period.
    expect(server.requests).toBe(2);
  });

  it('gives JWKS_UNAVAILABLE when the JWKS server is down, and recovers when it is back', async () => {
    const issuer = await createTestIssuer();
    const server = await issuer.jwksServer();
    const url = server.url;
    await server.close();
    const v = createTokenVerifier({ userPoolId: issuer.userPoolId, clientId: issuer.clientId, jwksUrl: url, jwksTimeoutMs: 1000 });
    expect((await rejection(v.verify(issuer.accessToken()))).code).toBe('JWKS_UNAVAILABLE');
    expect((await rejection(v.hydrate())).code).toBe('JWKS_UNAVAILABLE');

    const up = await issuer.jwksServer();
    servers.push(up);
    const v2 = createTokenVerifier({ userPoolId: issuer.userPoolId, clientId: issuer.clientId, jwksUrl: up.url });
    await expect(v2.verify(issuer.accessToken())).resolves.toMatchObject({ tokenUse: 'access' });
  });

  it('gives JWKS_UNAVAILABLE when the JWKS endpoint answers 404', async () => {
    const issuer = await createTestIssuer();
    const server = await issuer.jwksServer();
    servers.push(server);
    const v = createTokenVerifier({ userPoolId: issuer.userPoolId, clientId: issuer.clientId, jwksUrl: server.url.replace('jwks.json', 'nope.json') });
    expect((await rejection(v.verify(issuer.accessToken()))).code).toBe('JWKS_UNAVAILABLE');
  });
});

describe('createTokenVerifier: cache of verified tokens', () => {
  it('serves a repeated token from the cache, still applying per-call rules', async () => {
    const issuer = await createTestIssuer();
    const v = issuer.verifier({ cache: { maxEntries: 2 } });
    const token = issuer.accessToken({ scope: 'pier/orders.read' });
    const first = await v.verify(token);
    expect(v.cachedTokens).toBe(1);
    expect(await v.verify(token)).toBe(first);
    expect((await rejection(v.verify(token, { scopes: ['pier/orders.write'] }))).code).toBe('TOKEN_SCOPE_MISSING');
    expect((await rejection(v.verify(token, { tokenUse: 'id' }))).code).toBe('TOKEN_USE_INVALID');
    // Bounded: a third token evicts the least recently used.
    await v.verify(issuer.accessToken());
    await v.verify(issuer.accessToken());
    expect(v.cachedTokens).toBe(2);
  });

  it('never caches a refusal', async () => {
    const issuer = await createTestIssuer();
    const v = issuer.verifier({ cache: { maxEntries: 10 } });
    await rejection(v.verify(issuer.accessToken({ clientId: 'other' })));
    await rejection(v.verify(issuer.accessToken({ expiresIn: -10 })));
    expect(v.cachedTokens).toBe(0);
  });

  it('drops a cached token at its exp', async () => {
    const issuer = await createTestIssuer();
    const v = issuer.verifier({ cache: { maxEntries: 10 } });
    // At least a second away, so the first call cannot race the expiry.
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = issuer.accessToken({ claims: { exp } });
    await expect(v.verify(token)).resolves.toMatchObject({ tokenUse: 'access' });
    expect(v.cachedTokens).toBe(1);
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
    expect((await rejection(v.verify(token))).code).toBe('TOKEN_EXPIRED');
    expect(v.cachedTokens).toBe(0);
  });
});

describe('tokenVerifierFromConfig', () => {
  it('reads pool, client ids, JWKS URL and cache size from the config', async () => {
    const issuer = await createTestIssuer({ userPoolId: 'eu-west-1_CfgPool9', clientId: 'web-client' });
    const server = await issuer.jwksServer();
    servers.push(server);
    const config = await loadConfig({
      env: {
        PIER_ENV: 'test',
        ENV_FILE: '/nonexistent/.env',
        DOCKER_SECRETS_DIR: '/nonexistent/secrets',
        COGNITO_USER_POOL_ID: 'eu-west-1_CfgPool9',
        COGNITO_CLIENT_ID: 'web-client',
        COGNITO_EXTRA_CLIENT_IDS: 'cli-client, other-client',
        COGNITO_JWKS_URL: server.url,
        AUTH_TOKEN_CACHE_SIZE: '5',
      },
    });
    const v = tokenVerifierFromConfig(config);
    await expect(v.verify(issuer.accessToken({ clientId: 'cli-client' }))).resolves.toMatchObject({ clientId: 'cli-client' });
    await expect(v.verify(issuer.accessToken())).resolves.toMatchObject({ clientId: 'web-client' });
    expect((await rejection(v.verify(issuer.accessToken({ clientId: 'stranger' })))).code).toBe('TOKEN_AUDIENCE_INVALID');
    expect(v.cachedTokens).toBe(2);
    expect(server.requests).toBe(1);
  });
});

describe('createTokenVerifier: an issuer of its own (COGNITO_ISSUER, the local stand-in)', () => {
  const POOL = 'us-east-1_LocalIss1';
  const LOCAL_ISS = `http://127.0.0.1:4002/${POOL}`;

  it("trusts only the configured issuer, not Cognito's, and fetches its JWKS from COGNITO_JWKS_URL", async () => {
    const local = await createTestIssuer({ userPoolId: POOL, iss: LOCAL_ISS });
    const server = await local.jwksServer();
    servers.push(server);
    const config = await loadConfig({
      env: { PIER_ENV: 'test', ENV_FILE: '/nonexistent/.env', DOCKER_SECRETS_DIR: '/nonexistent/secrets', COGNITO_USER_POOL_ID: POOL, COGNITO_CLIENT_ID: local.clientId, COGNITO_ISSUER: LOCAL_ISS, COGNITO_JWKS_URL: server.url },
    });
    const v = tokenVerifierFromConfig(config);
    await expect(v.verify(local.accessToken({ sub: 'me' }))).resolves.toMatchObject({ sub: 'me', tokenUse: 'access' });
    await expect(v.verify(local.idToken({ sub: 'me' }), { tokenUse: 'id' })).resolves.toMatchObject({ sub: 'me', tokenUse: 'id' });
    // The same pool and key, but Cognito's issuer: not trusted here.
    const cognitoIss = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;
    expect((await rejection(v.verify(local.accessToken({ claims: { iss: cognitoIss } })))).code).toBe('TOKEN_ISSUER_INVALID');
    // Cognito's checks still apply: client id and token_use.
    expect((await rejection(v.verify(local.accessToken({ clientId: 'stranger' })))).code).toBe('TOKEN_AUDIENCE_INVALID');
    expect((await rejection(v.verify(local.accessToken({ claims: { token_use: 'refresh' } }), { tokenUse: 'any' }))).code).toBe('TOKEN_USE_INVALID');
    expect(server.requests).toBe(1);
  });

  it('without COGNITO_ISSUER (AWS), refuses the local issuer', async () => {
    const local = await createTestIssuer({ userPoolId: POOL, iss: LOCAL_ISS });
    const v = local.verifier({ issuer: undefined });
    expect((await rejection(v.verify(local.accessToken()))).code).toBe('TOKEN_ISSUER_INVALID');
  });

  it("refuses an issuer that does not end with the pool's id", async () => {
    expect(() => createTokenVerifier({ userPoolId: POOL, clientId: 'c', issuer: 'http://127.0.0.1:4002/us-east-1_Other' })).toThrow(TypeError);
  });
});
