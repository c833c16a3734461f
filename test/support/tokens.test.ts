import { afterEach, describe, expect, it } from 'vitest';
import { createTestIssuer, type JwksServer } from './tokens.js';

const decode = (token: string, i: 0 | 1) => JSON.parse(Buffer.from(token.split('.')[i] as string, 'base64url').toString()) as Record<string, unknown>;

const servers: JwksServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('createTestIssuer', () => {
  it('mints Cognito-shaped access tokens (client_id, scope, username; no aud)', async () => {
    const issuer = await createTestIssuer({ userPoolId: 'eu-central-1_Shape1', clientId: 'c1' });
    const token = issuer.accessToken({ sub: 's', username: 'alice', scope: ['a', 'b'], groups: ['g'] });
    expect(decode(token, 0)).toEqual({ kid: issuer.kid, alg: 'RS256' });
    const claims = decode(token, 1);
    expect(Object.keys(claims).sort()).toEqual(
      ['auth_time', 'client_id', 'cognito:groups', 'exp', 'iat', 'iss', 'jti', 'origin_jti', 'scope', 'sub', 'token_use', 'username', 'version'].sort(),
    );
    expect(claims).toMatchObject({
      iss: 'https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Shape1',
      token_use: 'access',
      client_id: 'c1',
      scope: 'a b',
      username: 'alice',
      'cognito:groups': ['g'],
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
  });

  it('mints Cognito-shaped ID tokens (aud, cognito:username, email; no scope)', async () => {
    const issuer = await createTestIssuer();
    const claims = decode(issuer.idToken({ username: 'bob', email: 'b@example.com' }), 1);
    expect(Object.keys(claims).sort()).toEqual(
      ['aud', 'auth_time', 'cognito:groups', 'cognito:username', 'email', 'email_verified', 'exp', 'iat', 'iss', 'jti', 'origin_jti', 'sub', 'token_use'].sort(),
    );
    expect(claims).toMatchObject({ aud: issuer.clientId, token_use: 'id', 'cognito:username': 'bob', email: 'b@example.com', email_verified: true });
  });

  it('overrides and deletes claims and header fields', async () => {
    const issuer = await createTestIssuer();
    const token = issuer.accessToken({ claims: { exp: 5, scope: undefined, extra: 'x' }, header: { typ: 'JWT', kid: undefined } });
    expect(decode(token, 0)).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(decode(token, 1)).toMatchObject({ exp: 5, extra: 'x' });
    expect(decode(token, 1)).not.toHaveProperty('scope');
  });

  it('serves its live JWKS over HTTP and keeps old keys after a rotation', async () => {
    const issuer = await createTestIssuer();
    const first = issuer.kid;
    const server = await issuer.jwksServer();
    servers.push(server);
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${issuer.userPoolId}/\\.well-known/jwks\\.json$`));
    const second = await issuer.rotate();
    expect(second).not.toBe(first);
    const res = await fetch(server.url);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { keys: { kid: string; alg: string; kty: string; use: string }[] };
    expect(body.keys.map((k) => k.kid)).toEqual([first, second]);
    expect(body.keys.every((k) => k.kty === 'RSA' && k.alg === 'RS256' && k.use === 'sig')).toBe(true);
    expect(server.requests).toBe(1);
    expect((await fetch(server.url.replace('jwks.json', 'other'))).status).toBe(404);
  });

  it("builds a verifier that accepts its tokens and refuses another issuer's", async () => {
    const issuer = await createTestIssuer();
    const other = await createTestIssuer();
    await expect(issuer.verifier().verify(issuer.accessToken({ sub: 'me' }))).resolves.toMatchObject({ sub: 'me' });
    // Same pool id and client, different key: the kid is unknown to this verifier.
    await expect(issuer.verifier().verify(other.accessToken())).rejects.toMatchObject({ code: 'TOKEN_KID_UNKNOWN' });
  });
});
