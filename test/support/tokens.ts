/**
 * A test stand-in for a Cognito user pool's signing side: an RSA key pair, its JWKS, and Cognito-shaped ID and
 * access tokens. Shared by every suite that needs a signed-in caller.
 *
 *   const issuer = await createTestIssuer();                       // pool us-east-1_TestPool1, client pier-web-test
 *   const token = issuer.accessToken({ sub: 'u1', scope: ['pier/orders.read'] });
 *   const verifier = issuer.verifier();                            // src/auth verifier, JWKS preloaded
 *   const jwks = await issuer.jwksServer();                        // or serve the JWKS over real HTTP
 *   const v2 = createTokenVerifier({ userPoolId: issuer.userPoolId, clientId: issuer.clientId, jwksUrl: jwks.url });
 *   await jwks.close();
 *
 * Tokens carry the pool's real Cognito issuer (`https://cognito-idp.<region>.amazonaws.com/<pool>`), so the
 * production verifier accepts them unchanged; or, with `iss`, another issuer (the local stand-in's URL). `claims`/`header` override anything; an `undefined` value deletes it.
 */
import { createHash, generateKeyPair, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { createTokenVerifier, type CognitoTokenVerifier, type TokenVerifierOptions } from '../../src/auth/verifier.js';

const generateRsa = promisify(generateKeyPair);

/** An RSA public key as Cognito publishes it. (A type alias, so it fits aws-jwt-verify's JSON-object `Jwk`.) */
export type Jwk = {
  kty: 'RSA';
  kid: string;
  alg: 'RS256';
  use: 'sig';
  n: string;
  e: string;
};
export type Jwks = {
  keys: Jwk[];
};

export type Claims = Record<string, unknown>;

interface CommonTokenOptions {
  sub?: string;
  username?: string;
  groups?: string[];
  /** Defaults to the issuer's client id. */
  clientId?: string;
  /** Seconds from now until `exp` (default 3600); negative for an expired token. */
  expiresIn?: number;
  /** Laid over the generated claims; `undefined` removes a claim. */
  claims?: Claims;
  /** Laid over `{ kid, alg: 'RS256' }`; `undefined` removes a field. */
  header?: Claims;
}
export interface AccessTokenOptions extends CommonTokenOptions {
  /** Space-separated string or a list. Default `openid email pier/orders.read pier/orders.write`. */
  scope?: string | string[];
}
export interface IdTokenOptions extends CommonTokenOptions {
  email?: string;
}

export interface JwksServer {
  /** `http://127.0.0.1:<port>/<userPoolId>/.well-known/jwks.json`; always serves the issuer's current JWKS. */
  url: string;
  /** How many times the JWKS was fetched. */
  readonly requests: number;
  close(): Promise<void>;
}

export interface TestIssuer {
  readonly userPoolId: string;
  readonly clientId: string;
  readonly region: string;
  /** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`, or the `iss` it was created with. */
  readonly iss: string;
  /** The kid new tokens are signed with. */
  readonly kid: string;
  /** Public keys of every key this issuer has had (rotation keeps old ones, as Cognito does). */
  readonly jwks: Jwks;
  /** The signing key's public half as PEM (for forging tests, e.g. HS256 with the public key as secret). */
  readonly publicKeyPem: string;
  accessToken(opts?: AccessTokenOptions): string;
  idToken(opts?: IdTokenOptions): string;
  /**
   * Signs any header and payload with the current key (RSA-SHA256, whatever `header.alg` says). A string payload
   * is used as the raw JSON text (for payloads that are not objects).
   */
  sign(header: Claims, payload: Claims | string): string;
  /** Adds a new key pair and signs new tokens with it; the JWKS (and any `jwksServer`) then lists both. */
  rotate(): Promise<string>;
  /** A real HTTP server on 127.0.0.1, port 0, serving the JWKS. Close it when done. */
  jwksServer(): Promise<JwksServer>;
  /**
   * A src/auth verifier for this pool and client with the current JWKS preloaded (a snapshot: later rotations are
   * not seen; use `jwksServer()` for those). Options override, e.g. `{ cache: { maxEntries: 100 } }`.
   */
  verifier(opts?: Partial<TokenVerifierOptions>): CognitoTokenVerifier;
}

export interface TestIssuerOptions {
  userPoolId?: string;
  clientId?: string;
  /** Fix the first key's kid (e.g. to forge "same kid, other pool's key"). */
  kid?: string;
  /** The tokens' issuer instead of Cognito's, e.g. `http://127.0.0.1:4002/<userPoolId>` (as the local stand-in). */
  iss?: string;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: Jwk;
  pem: string;
}

const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

function overlay(base: Claims, over: Claims | undefined): Claims {
  const out: Claims = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

async function newKey(kid?: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const { n, e } = publicKey.export({ format: 'jwk' });
  const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  // Cognito kids are base64 of a hash of the key; any stable string works.
  const id = kid ?? createHash('sha256').update(pem).digest('base64');
  return { kid: id, privateKey, pem, jwk: { kty: 'RSA', kid: id, alg: 'RS256', use: 'sig', n: n as string, e: e as string } };
}

export async function createTestIssuer(opts: TestIssuerOptions = {}): Promise<TestIssuer> {
  const userPoolId = opts.userPoolId ?? 'us-east-1_TestPool1';
  const clientId = opts.clientId ?? 'pier-web-test';
  const region = userPoolId.split('_')[0] as string;
  const iss = opts.iss ?? `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
  const keys: SigningKey[] = [await newKey(opts.kid)];
  const current = () => keys[keys.length - 1] as SigningKey;
  const jwks = (): Jwks => ({ keys: keys.map((k) => ({ ...k.jwk })) });

  const signWith = (key: SigningKey, header: Claims, payload: Claims | string): string => {
    const body = typeof payload === 'string' ? Buffer.from(payload).toString('base64url') : b64url(payload);
    const input = `${b64url(header)}.${body}`;
    return `${input}.${sign('RSA-SHA256', Buffer.from(input), key.privateKey).toString('base64url')}`;
  };

  const common = (o: CommonTokenOptions, tokenUse: 'id' | 'access') => {
    const now = Math.floor(Date.now() / 1000);
    return {
      sub: o.sub ?? randomUUID(),
      'cognito:groups': o.groups ?? [],
      iss,
      token_use: tokenUse,
      auth_time: now,
      exp: now + (o.expiresIn ?? 3600),
      iat: now,
      jti: randomUUID(),
      origin_jti: randomUUID(),
    };
  };
  const mint = (payload: Claims, o: CommonTokenOptions) =>
    signWith(current(), overlay({ kid: current().kid, alg: 'RS256' }, o.header), overlay(payload, o.claims));

  const issuer: TestIssuer = {
    userPoolId,
    clientId,
    region,
    iss,
    get kid() {
      return current().kid;
    },
    get jwks() {
      return jwks();
    },
    get publicKeyPem() {
      return current().pem;
    },
    accessToken(o: AccessTokenOptions = {}) {
      const base = common(o, 'access');
      const scope = o.scope ?? 'openid email pier/orders.read pier/orders.write';
      return mint(
        {
          ...base,
          client_id: o.clientId ?? clientId,
          scope: Array.isArray(scope) ? scope.join(' ') : scope,
          username: o.username ?? base.sub,
          version: 2,
        },
        o,
      );
    },
    idToken(o: IdTokenOptions = {}) {
      const base = common(o, 'id');
      return mint(
        {
          ...base,
          aud: o.clientId ?? clientId,
          'cognito:username': o.username ?? base.sub,
          email: o.email ?? `${o.username ?? 'user'}@example.com`,
          email_verified: true,
        },
        o,
      );
    },
    sign: (header, payload) => signWith(current(), header, payload),
    async rotate() {
      keys.push(await newKey());
      return current().kid;
    },
    async jwksServer() {
      let requests = 0;
      const path = `/${userPoolId}/.well-known/jwks.json`;
      const server = createServer((req, res) => {
        if (req.method === 'GET' && req.url === path) {
          requests++;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks()));
        } else {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}${path}`,
        get requests() {
          return requests;
        },
        close: () =>
          new Promise<void>((resolve, reject) => {
            server.closeAllConnections();
            server.close((err) => (err ? reject(err) : resolve()));
          }),
      };
    },
    verifier: (o = {}) => {
      const snapshot = jwks();
      // A data: URL holds the same JWKS, so a refetch on an unknown kid never leaves the machine (use
      // jwksServer() to see rotations).
      const jwksUrl = `data:application/json;base64,${Buffer.from(JSON.stringify(snapshot)).toString('base64')}`;
      return createTokenVerifier({ userPoolId, clientId, jwks: snapshot, jwksUrl, ...(opts.iss ? { issuer: opts.iss } : {}), ...o });
    },
  };
  return issuer;
}
