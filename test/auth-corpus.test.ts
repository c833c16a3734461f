/**
 * The bad-token corpus: every token here must be refused by src/auth with the stated AuthError code, against a
 * verifier that fetches the JWKS from a real local HTTP server (as the local runtime does). It runs twice: with
 * Cognito's issuer (as in AWS) and with the local stand-in's own http issuer (COGNITO_ISSUER, as `npm start`).
 */
import { createHmac, randomBytes, sign as rsaSign, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, type AuthErrorCode, type VerifyOptions } from '../src/auth/index.js';
import { createTokenVerifier, type CognitoTokenVerifier } from '../src/auth/verifier.js';
import { createTestIssuer, type JwksServer, type TestIssuer } from './support/tokens.js';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const parts = (t: string) => t.split('.') as [string, string, string];
const decode = (seg: string) => JSON.parse(Buffer.from(seg, 'base64url').toString('utf8')) as Record<string, unknown>;
const now = () => Math.floor(Date.now() / 1000);

interface Ctx {
  issuer: TestIssuer;
  /** Another user pool's issuer whose key has the same kid. */
  otherPool: TestIssuer;
  /** This pool's issuer in the other setting: the stand-in's URL when Cognito's is trusted, and the reverse. */
  crossIss: string;
}

interface Case {
  name: string;
  token: (c: Ctx) => string;
  code: AuthErrorCode;
  opts?: VerifyOptions;
}

const CASES: Case[] = [
  // --- not a JWT at all -----------------------------------------------------------------------------------------
  { name: 'empty string', token: () => '', code: 'TOKEN_MISSING' },
  { name: 'not a JWT', token: () => 'hello-world', code: 'TOKEN_MALFORMED' },
  { name: 'truncated after the payload (two segments)', token: ({ issuer }) => parts(issuer.accessToken()).slice(0, 2).join('.'), code: 'TOKEN_MALFORMED' },
  { name: 'extra segments (JWE-like, five parts)', token: ({ issuer }) => `${issuer.accessToken()}.AAAA.BBBB`, code: 'TOKEN_MALFORMED' },
  { name: 'extra trailing dot', token: ({ issuer }) => `${issuer.accessToken()}.`, code: 'TOKEN_MALFORMED' },
  { name: 'garbage base64 characters', token: () => 'e@y!.e$y%.s^g&', code: 'TOKEN_MALFORMED' },
  { name: 'header is base64 of non-JSON', token: ({ issuer }) => `${b64('not json')}.${parts(issuer.accessToken())[1]}.${parts(issuer.accessToken())[2]}`, code: 'TOKEN_MALFORMED' },
  { name: 'header JSON is null', token: ({ issuer }) => `${b64('null')}.${parts(issuer.accessToken())[1]}.AAAA`, code: 'TOKEN_MALFORMED' },
  { name: 'header JSON is an array', token: ({ issuer }) => `${b64([{ alg: 'RS256', kid: issuer.kid }])}.${parts(issuer.accessToken())[1]}.AAAA`, code: 'TOKEN_MALFORMED' },
  { name: 'payload JSON is an array (signed)', token: ({ issuer }) => signRaw(issuer, { kid: issuer.kid, alg: 'RS256' }, '[1,2,3]'), code: 'TOKEN_MALFORMED' },
  { name: 'payload JSON is a string (signed)', token: ({ issuer }) => signRaw(issuer, { kid: issuer.kid, alg: 'RS256' }, '"sub"'), code: 'TOKEN_MALFORMED' },
  { name: 'payload is not JSON (signed)', token: ({ issuer }) => signRaw(issuer, { kid: issuer.kid, alg: 'RS256' }, '{"sub":'), code: 'TOKEN_MALFORMED' },
  { name: 'kid is a number', token: ({ issuer }) => issuer.accessToken({ header: { kid: 42 } }), code: 'TOKEN_MALFORMED' },
  { name: 'exp is a string', token: ({ issuer }) => issuer.accessToken({ claims: { exp: String(now() + 3600) } }), code: 'TOKEN_MALFORMED' },
  { name: 'scope is a list, not a string', token: ({ issuer }) => issuer.accessToken({ claims: { scope: ['pier/orders.read'] } }), code: 'TOKEN_MALFORMED' },
  { name: 'whitespace around the token', token: ({ issuer }) => ` ${issuer.accessToken()} `, code: 'TOKEN_MALFORMED' },
  { name: '"Bearer " prefix left on', token: ({ issuer }) => `Bearer ${issuer.accessToken()}`, code: 'TOKEN_MALFORMED' },
  { name: 'non-ASCII characters', token: ({ issuer }) => issuer.accessToken().replace(/.$/, 'é'), code: 'TOKEN_MALFORMED' },

  // --- size -----------------------------------------------------------------------------------------------------
  { name: 'oversized junk (64 KiB)', token: () => 'a'.repeat(64 * 1024), code: 'TOKEN_TOO_LARGE' },
  { name: 'oversized but validly signed (9 KiB of claims)', token: ({ issuer }) => issuer.accessToken({ claims: { pad: 'x'.repeat(9 * 1024) } }), code: 'TOKEN_TOO_LARGE' },

  // --- algorithm --------------------------------------------------------------------------------------------------
  { name: 'alg none, empty signature, no kid', token: ({ issuer }) => `${b64({ alg: 'none', typ: 'JWT' })}.${parts(issuer.accessToken())[1]}.`, code: 'TOKEN_ALGORITHM_UNSUPPORTED' },
  { name: 'alg none with the real kid', token: ({ issuer }) => `${b64({ alg: 'none', kid: issuer.kid })}.${parts(issuer.accessToken())[1]}.AAAA`, code: 'TOKEN_ALGORITHM_UNSUPPORTED' },
  { name: 'alg "None" (case games)', token: ({ issuer }) => `${b64({ alg: 'None', kid: issuer.kid })}.${parts(issuer.accessToken())[1]}.AAAA`, code: 'TOKEN_ALGORITHM_UNSUPPORTED' },
  { name: 'HS256 signed with the public key as HMAC secret', token: ({ issuer }) => hs256WithPublicKey(issuer), code: 'TOKEN_ALGORITHM_UNSUPPORTED' },
  { name: 'RS512 header', token: ({ issuer }) => issuer.accessToken({ header: { alg: 'RS512' } }), code: 'TOKEN_ALGORITHM_UNSUPPORTED' },
  { name: 'ES256 header', token: ({ issuer }) => issuer.accessToken({ header: { alg: 'ES256' } }), code: 'TOKEN_ALGORITHM_UNSUPPORTED' },
  { name: 'PS256 header', token: ({ issuer }) => issuer.accessToken({ header: { alg: 'PS256' } }), code: 'TOKEN_ALGORITHM_UNSUPPORTED' },
  { name: 'alg missing', token: ({ issuer }) => issuer.accessToken({ header: { alg: undefined } }), code: 'TOKEN_ALGORITHM_UNSUPPORTED' },
  { name: 'ES256 token from an EC key, same kid', token: ({ issuer }) => es256Token(issuer), code: 'TOKEN_ALGORITHM_UNSUPPORTED' },

  // --- key ------------------------------------------------------------------------------------------------------
  { name: 'unknown kid', token: ({ issuer }) => issuer.accessToken({ header: { kid: 'not-a-kid-of-this-pool' } }), code: 'TOKEN_KID_UNKNOWN' },
  { name: 'another unknown kid (inside the refetch wait period)', token: ({ issuer }) => issuer.accessToken({ header: { kid: 'another-unknown-kid' } }), code: 'TOKEN_KID_UNKNOWN' },
  { name: 'kid missing', token: ({ issuer }) => issuer.accessToken({ header: { kid: undefined } }), code: 'TOKEN_KID_UNKNOWN' },

  // --- signature --------------------------------------------------------------------------------------------------
  { name: 'tampered payload (sub changed)', token: ({ issuer }) => tamperPayload(issuer.accessToken({ sub: 'victim' }), { sub: 'attacker' }), code: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'tampered payload (scope widened)', token: ({ issuer }) => tamperPayload(issuer.accessToken({ scope: 'openid' }), { scope: 'openid pier/orders.write' }), code: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'tampered payload (exp extended)', token: ({ issuer }) => tamperPayload(issuer.accessToken({ expiresIn: -60 }), { exp: now() + 3600 }), code: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'tampered header (typ added)', token: ({ issuer }) => tamperHeader(issuer.accessToken(), { typ: 'JWT' }), code: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'bad signature bytes', token: ({ issuer }) => `${parts(issuer.accessToken()).slice(0, 2).join('.')}.${randomBytes(256).toString('base64url')}`, code: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'signature truncated', token: ({ issuer }) => issuer.accessToken().slice(0, -12), code: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'signature of another token', token: ({ issuer }) => `${parts(issuer.accessToken()).slice(0, 2).join('.')}.${parts(issuer.accessToken())[2]}`, code: 'TOKEN_SIGNATURE_INVALID' },
  { name: "signed by another pool's key with the same kid", token: ({ issuer, otherPool }) => otherPool.sign({ kid: issuer.kid, alg: 'RS256' }, decode(parts(issuer.accessToken())[1])), code: 'TOKEN_SIGNATURE_INVALID' },
  { name: 'signature segment a single character', token: ({ issuer }) => `${parts(issuer.accessToken()).slice(0, 2).join('.')}.A`, code: 'TOKEN_SIGNATURE_INVALID' },

  // --- time -------------------------------------------------------------------------------------------------------
  { name: 'expired', token: ({ issuer }) => issuer.accessToken({ expiresIn: -1 }), code: 'TOKEN_EXPIRED' },
  { name: 'expired long ago (ID token)', token: ({ issuer }) => issuer.idToken({ claims: { exp: 1_000_000_000, iat: 999_996_400 } }), code: 'TOKEN_EXPIRED', opts: { tokenUse: 'id' } },
  { name: 'nbf in the future', token: ({ issuer }) => issuer.accessToken({ claims: { nbf: now() + 600 } }), code: 'TOKEN_NOT_YET_VALID' },
  { name: 'iat in the future', token: ({ issuer }) => issuer.accessToken({ claims: { iat: now() + 600 } }), code: 'TOKEN_NOT_YET_VALID' },
  { name: 'exp missing', token: ({ issuer }) => issuer.accessToken({ claims: { exp: undefined } }), code: 'TOKEN_CLAIM_INVALID' },
  { name: 'iat missing', token: ({ issuer }) => issuer.accessToken({ claims: { iat: undefined } }), code: 'TOKEN_CLAIM_INVALID' },

  // --- issuer -----------------------------------------------------------------------------------------------------
  { name: 'another pool as issuer', token: ({ otherPool }) => otherPool.accessToken(), code: 'TOKEN_ISSUER_INVALID' },
  { name: 'issuer with a trailing slash', token: ({ issuer }) => issuer.accessToken({ claims: { iss: `${issuer.iss}/` } }), code: 'TOKEN_ISSUER_INVALID' },
  { name: 'issuer over the other scheme (http for https, https for http)', token: ({ issuer }) => issuer.accessToken({ claims: { iss: otherScheme(issuer.iss) } }), code: 'TOKEN_ISSUER_INVALID' },
  { name: "this pool's issuer in the other setting (local URL in AWS, Cognito's locally)", token: ({ issuer, crossIss }) => issuer.accessToken({ claims: { iss: crossIss } }), code: 'TOKEN_ISSUER_INVALID' },
  { name: 'issuer missing', token: ({ issuer }) => issuer.accessToken({ claims: { iss: undefined } }), code: 'TOKEN_ISSUER_INVALID' },

  // --- client / token use -------------------------------------------------------------------------------------------
  { name: 'access token for another client (client_id)', token: ({ issuer }) => issuer.accessToken({ clientId: 'someone-elses-client' }), code: 'TOKEN_AUDIENCE_INVALID' },
  { name: 'ID token for another client (aud)', token: ({ issuer }) => issuer.idToken({ clientId: 'someone-elses-client' }), code: 'TOKEN_AUDIENCE_INVALID', opts: { tokenUse: 'id' } },
  { name: 'access token without client_id', token: ({ issuer }) => issuer.accessToken({ claims: { client_id: undefined } }), code: 'TOKEN_AUDIENCE_INVALID' },
  { name: 'access token carrying aud instead of client_id', token: ({ issuer }) => issuer.accessToken({ claims: { client_id: undefined, aud: issuer.clientId } }), code: 'TOKEN_AUDIENCE_INVALID' },
  { name: 'ID token where an access token is required', token: ({ issuer }) => issuer.idToken(), code: 'TOKEN_USE_INVALID' },
  { name: 'access token where an ID token is required', token: ({ issuer }) => issuer.accessToken(), code: 'TOKEN_USE_INVALID', opts: { tokenUse: 'id' } },
  { name: 'token_use missing', token: ({ issuer }) => issuer.accessToken({ claims: { token_use: undefined } }), code: 'TOKEN_USE_INVALID', opts: { tokenUse: 'any' } },
  { name: 'token_use "refresh"', token: ({ issuer }) => issuer.accessToken({ claims: { token_use: 'refresh' } }), code: 'TOKEN_USE_INVALID', opts: { tokenUse: 'any' } },

  // --- claims -----------------------------------------------------------------------------------------------------
  { name: 'sub missing', token: ({ issuer }) => issuer.accessToken({ claims: { sub: undefined } }), code: 'TOKEN_CLAIM_INVALID' },
  { name: 'sub empty', token: ({ issuer }) => issuer.accessToken({ claims: { sub: '' } }), code: 'TOKEN_CLAIM_INVALID' },
  { name: 'username missing (access)', token: ({ issuer }) => issuer.accessToken({ claims: { username: undefined } }), code: 'TOKEN_CLAIM_INVALID' },
  { name: 'cognito:username missing (ID)', token: ({ issuer }) => issuer.idToken({ claims: { 'cognito:username': undefined } }), code: 'TOKEN_CLAIM_INVALID', opts: { tokenUse: 'id' } },
  { name: 'cognito:groups is a string', token: ({ issuer }) => issuer.accessToken({ claims: { 'cognito:groups': 'admins' } }), code: 'TOKEN_CLAIM_INVALID' },
  { name: 'email is a number (ID)', token: ({ issuer }) => issuer.idToken({ claims: { email: 42 } }), code: 'TOKEN_CLAIM_INVALID', opts: { tokenUse: 'id' } },

  // --- scope ------------------------------------------------------------------------------------------------------
  { name: 'scope missing when required', token: ({ issuer }) => issuer.accessToken({ claims: { scope: undefined } }), code: 'TOKEN_SCOPE_MISSING', opts: { scopes: ['pier/orders.read'] } },
  { name: 'only other scopes', token: ({ issuer }) => issuer.accessToken({ scope: 'openid email pier/orders.read' }), code: 'TOKEN_SCOPE_MISSING', opts: { scopes: ['pier/orders.write'] } },
  { name: 'scope prefix is not the scope', token: ({ issuer }) => issuer.accessToken({ scope: 'pier/orders' }), code: 'TOKEN_SCOPE_MISSING', opts: { scopes: ['pier/orders.read'] } },
  { name: 'ID token when scopes are required (any token use)', token: ({ issuer }) => issuer.idToken(), code: 'TOKEN_SCOPE_MISSING', opts: { tokenUse: 'any', scopes: ['pier/orders.read'] } },
];

const otherScheme = (iss: string) => (iss.startsWith('https:') ? iss.replace('https:', 'http:') : iss.replace('http:', 'https:'));

/** Signs a raw payload text (for payloads that are not JSON objects) with the pool's real key. */
const signRaw = (issuer: TestIssuer, header: Record<string, unknown>, payloadText: string) => issuer.sign(header, payloadText);

function hs256WithPublicKey(issuer: TestIssuer): string {
  const input = `${b64({ alg: 'HS256', kid: issuer.kid, typ: 'JWT' })}.${parts(issuer.accessToken())[1]}`;
  return `${input}.${createHmac('sha256', issuer.publicKeyPem).update(input).digest('base64url')}`;
}

function es256Token(issuer: TestIssuer): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = `${b64({ alg: 'ES256', kid: issuer.kid })}.${parts(issuer.accessToken())[1]}`;
  return `${input}.${rsaSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function tamperPayload(token: string, change: Record<string, unknown>): string {
  const [h, p, s] = parts(token);
  return `${h}.${b64({ ...decode(p), ...change })}.${s}`;
}

function tamperHeader(token: string, change: Record<string, unknown>): string {
  const [h, p, s] = parts(token);
  return `${b64({ ...decode(h), ...change })}.${p}.${s}`;
}

const LOCAL = (pool: string) => `http://127.0.0.1:4002/${pool}`;
const COGNITO = (pool: string) => `https://cognito-idp.us-east-1.amazonaws.com/${pool}`;
/** Where the verifier trusts Cognito's issuer (AWS), and where it trusts the stand-in's (COGNITO_ISSUER locally). */
const SETTINGS = [
  { setting: "Cognito's issuer", local: false },
  { setting: 'the local issuer (COGNITO_ISSUER)', local: true },
];

describe.each(SETTINGS)('bad-token corpus, $setting', ({ local }) => {
  let ctx: Ctx;
  let server: JwksServer;
  let verifier: CognitoTokenVerifier;

  beforeAll(async () => {
    const iss = (pool: string) => (local ? { iss: LOCAL(pool) } : {});
    const issuer = await createTestIssuer({ userPoolId: 'us-east-1_CorpusPool', clientId: 'corpus-client', ...iss('us-east-1_CorpusPool') });
    const otherPool = await createTestIssuer({ userPoolId: 'us-east-1_OtherPool', clientId: 'corpus-client', kid: issuer.kid, ...iss('us-east-1_OtherPool') });
    ctx = { issuer, otherPool, crossIss: (local ? COGNITO : LOCAL)('us-east-1_CorpusPool') };
    server = await issuer.jwksServer();
    verifier = createTokenVerifier({ userPoolId: issuer.userPoolId, clientId: issuer.clientId, jwksUrl: server.url, ...(local ? { issuer: issuer.iss } : {}) });
    await verifier.hydrate();
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('cases', () => {
    it('has at least 25 distinct cases', () => {
      expect(CASES.length).toBeGreaterThanOrEqual(25);
      expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    });

    it.each(CASES)('$name → $code', async ({ token, code, opts }) => {
      const t = token(ctx);
      const err = await verifier.verify(t, opts).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AuthError);
      expect((err as AuthError).code).toBe(code);
      // The message is fixed text: it never echoes the token.
      if (t.length > 20) expect((err as AuthError).message).not.toContain(t.slice(0, 20));
    });

    it('refuses the whole corpus at once, concurrently, with only AuthErrors', async () => {
      const results = await Promise.allSettled(CASES.map((c) => verifier.verify(c.token(ctx), c.opts)));
      for (const [i, r] of results.entries()) {
        expect(r.status, CASES[i]?.name).toBe('rejected');
        if (r.status === 'rejected') expect((r.reason as AuthError).code, CASES[i]?.name).toBe(CASES[i]?.code);
      }
    });

    it('refuses values that are not strings (untyped callers)', async () => {
      for (const [value, code] of [
        [undefined, 'TOKEN_MISSING'],
        [null, 'TOKEN_MISSING'],
        [42, 'TOKEN_MALFORMED'],
        [{ token: 'x' }, 'TOKEN_MALFORMED'],
        [['a.b.c'], 'TOKEN_MALFORMED'],
      ] as const) {
        await expect(verifier.verify(value as unknown as string)).rejects.toMatchObject({ name: 'AuthError', code });
      }
    });

    it('still accepts a good token after the corpus (nothing poisoned)', async () => {
      await expect(verifier.verify(ctx.issuer.accessToken({ sub: 'good' }), { scopes: ['pier/orders.read'] })).resolves.toMatchObject({ sub: 'good' });
      await expect(verifier.verify(ctx.issuer.idToken({ sub: 'good' }), { tokenUse: 'id' })).resolves.toMatchObject({ sub: 'good' });
    });
  });
});
