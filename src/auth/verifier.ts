import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import { JwksNotAvailableInCacheError, KidNotFoundInJwksError, ParameterValidationError } from 'aws-jwt-verify/error';
import { SimpleJwksCache, SimplePenaltyBox, type Jwks } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { JwtVerifierProperties, VerifyProperties } from 'aws-jwt-verify/jwt-verifier';
import type { Config } from '../config/index.js';
import { checkPolicy, userFromClaims } from './claims.js';
import { authError, toAuthError } from './errors.js';
import { parseJwks, rs256Only } from './jwks.js';
import { RedirectingJwksFetcher } from './jwksFetcher.js';
import { VerifiedTokenCache } from './tokenCache.js';
import type { TokenVerifier, User, VerifyOptions } from './types.js';

export const DEFAULT_MAX_TOKEN_BYTES = 8 * 1024;

export interface TokenVerifierOptions {
  /** The Cognito user pool (`us-east-1_xxxx`); the issuer is `https://cognito-idp.<region>.amazonaws.com/<id>`. */
  userPoolId: string;
  /**
   * The one issuer (`iss`) trusted instead of Cognito's: the local identity stand-in's URL,
   * `http://127.0.0.1:4002/<userPoolId>`. It must end with `/<userPoolId>`. Unset (AWS): Cognito's own issuer, in
   * both its formats (`https://cognito-idp.<region>…` and `https://issuer-cognito-idp.<region>…`).
   */
  issuer?: string;
  /** App client ids the token may be issued to (ID token `aud`, access token `client_id`). */
  clientId: string | readonly string[];
  /**
   * Fetch the JWKS from here instead of the issuer's `<issuer>/.well-known/jwks.json` (the local identity stand-in,
   * the JWKS mirror in AWS). The verifier still refetches on an unknown `kid` (key rotation), rate-limited.
   */
  jwksUrl?: string;
  /** Preload this JWKS (no fetch until a token names a kid it does not hold). */
  jwks?: Jwks;
  /** Tokens longer than this are refused before parsing (TOKEN_TOO_LARGE). Default 8 KiB. */
  maxTokenBytes?: number;
  /** Cache verified tokens (LRU, entries expire at `exp`). Off unless `maxEntries` > 0. */
  cache?: { maxEntries: number };
  /** Clock skew allowed on `exp`, `nbf` and `iat`. Default 0, like API Gateway. */
  graceSeconds?: number;
  /** After a JWKS fetch that did not hold the wanted kid, no refetch for this long. Default 10 s (aws-jwt-verify's). */
  jwksRefetchWaitSeconds?: number;
  /** JWKS fetch timeout (only with `jwksUrl`). Default 3 s. */
  jwksTimeoutMs?: number;
}

export interface CognitoTokenVerifier extends TokenVerifier {
  /** Fetches the JWKS now (e.g. at start-up); rejects with AuthError JWKS_UNAVAILABLE. */
  hydrate(): Promise<void>;
  /** Verified tokens held by the cache (0 when it is off). */
  readonly cachedTokens: number;
}

/**
 * aws-jwt-verify's generic verifier, except that the token's `iss` always picks the issuer's settings, as in
 * `CognitoJwtVerifier` (which configures two issuers): the base class skips that lookup when only one issuer is
 * configured and checks `iss` only after the signature, so another pool's token signed under the same kid would be
 * TOKEN_SIGNATURE_INVALID rather than TOKEN_ISSUER_INVALID. A foreign or missing `iss` is refused before any key
 * lookup, fetch or signature check.
 */
type IssuerConfig = JwtVerifierProperties<VerifyProperties> & { issuer: string; jwksUri: string };
class IssuerKeyedJwtVerifier extends (JwtVerifier as unknown as new (
  props: IssuerConfig[],
  jwksCache: SimpleJwksCache,
) => JwtVerifier<Partial<VerifyProperties>, IssuerConfig, true>) {
  protected override getIssuerConfig(issuer?: string | null) {
    const config = typeof issuer === 'string' ? this.issuersConfig.get(issuer) : undefined;
    if (!config) throw new ParameterValidationError(`issuer not configured: ${String(issuer)}`);
    return config;
  }
}

/** Cognito's issuer URLs for a pool, both formats (as `CognitoJwtVerifier` accepts them). */
export function cognitoIssuers(userPoolId: string): [string, string] {
  return [
    CognitoJwtVerifier.parseUserPoolId(userPoolId).issuer,
    CognitoJwtVerifier.parseUserPoolId(userPoolId, 'https://issuer-cognito-idp').issuer,
  ];
}

/**
 * Verifies Cognito ID and access tokens with aws-jwt-verify: the RS256 signature by a key of the issuer's JWKS,
 * `iss`, `exp`/`nbf`, then Cognito's own checks (`validateCognitoJwtFields`, what `CognitoJwtVerifier` runs):
 * `token_use` and the client id. Then the claims become a `User`. The same code runs in AWS (Cognito's issuer) and
 * locally (`issuer`: the stand-in's URL, which `CognitoJwtVerifier` cannot accept). Every refusal is an `AuthError`
 * with a stable code.
 */
export function createTokenVerifier(opts: TokenVerifierOptions): CognitoTokenVerifier {
  const clientIds = typeof opts.clientId === 'string' ? [opts.clientId] : [...opts.clientId];
  if (clientIds.length === 0) throw new TypeError('createTokenVerifier: at least one client id is required');
  const maxTokenBytes = opts.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  const graceSeconds = opts.graceSeconds ?? 0;
  const cache = opts.cache && opts.cache.maxEntries > 0 ? new VerifiedTokenCache(opts.cache.maxEntries) : undefined;

  const issuers = opts.issuer === undefined ? cognitoIssuers(opts.userPoolId) : [opts.issuer];
  if (opts.issuer !== undefined && !opts.issuer.endsWith(`/${opts.userPoolId}`)) {
    throw new TypeError(`createTokenVerifier: the issuer must end with /${opts.userPoolId}`);
  }
  // Each issuer's JWKS URI, `<issuer>/.well-known/jwks.json`, as aws-jwt-verify derives it.
  const jwksUris = issuers.map((iss) => `${iss}/.well-known/jwks.json`);
  const jwksCache = new SimpleJwksCache({
    penaltyBox: new SimplePenaltyBox({ waitSeconds: opts.jwksRefetchWaitSeconds ?? 10 }),
    jwksParser: parseJwks,
    ...(opts.jwksUrl
      ? { fetcher: new RedirectingJwksFetcher({ jwksUrl: opts.jwksUrl, servesFor: jwksUris, timeoutMs: opts.jwksTimeoutMs }) }
      : {}),
  });

  const cognitoChecks = { clientId: clientIds, tokenUse: null } as const;
  const verifier = new IssuerKeyedJwtVerifier(
    issuers.map((issuer, i) => ({
      issuer,
      jwksUri: jwksUris[i] as string,
      // Cognito access tokens carry no `aud`; the client id (`aud` or `client_id`) is checked below instead.
      audience: null,
      graceSeconds,
      // `tokenUse: null`: checked per call by `checkPolicy`, so one cached verification serves calls with different
      // needs; `token_use` must still be `id` or `access`.
      customJwtCheck: ({ payload }: { payload: JwtPayload }) => validateCognitoJwtFields(payload, cognitoChecks),
    })),
    jwksCache,
  );
  const cacheJwks = (jwks: Jwks) => {
    for (const issuer of issuers) verifier.cacheJwks(jwks, issuer);
  };
  if (opts.jwks) cacheJwks(rs256Only(opts.jwks));

  /**
   * With the kid's key already cached, the library's synchronous path does the same checks without its chain of
   * awaits (about a tenth faster); only a missing JWKS or an unknown kid takes the async path, which fetches,
   * refetches on rotation and applies the refetch rate limit.
   */
  function libraryVerify(token: string): JwtPayload | Promise<JwtPayload> {
    try {
      return verifier.verifySync(token);
    } catch (err) {
      if (err instanceof KidNotFoundInJwksError || err instanceof JwksNotAvailableInCacheError) return verifier.verify(token);
      throw err;
    }
  }

  function toUser(token: string, payload: JwtPayload): User {
    const user = userFromClaims(payload, Date.now() / 1000, graceSeconds);
    cache?.set(token, user, payload.exp as number);
    return user;
  }

  /** Everything that can refuse, synchronously where the library allows; only a JWKS fetch makes it async. */
  function verifyOrPending(token: string, verifyOpts: VerifyOptions | undefined): User | Promise<User> {
    if (token === undefined || token === null || token === '') throw authError('TOKEN_MISSING');
    if (typeof token !== 'string') throw authError('TOKEN_MALFORMED');
    if (token.length > maxTokenBytes) throw authError('TOKEN_TOO_LARGE');
    const cached = cache?.get(token);
    if (cached) {
      checkPolicy(cached, verifyOpts);
      return cached;
    }
    const payload = libraryVerify(token);
    const finish = (p: JwtPayload) => {
      const user = toUser(token, p);
      checkPolicy(user, verifyOpts);
      return user;
    };
    return payload instanceof Promise ? payload.then(finish) : finish(payload);
  }

  const refuse = (token: unknown) => (err: unknown) => Promise.reject(toAuthError(err, typeof token === 'string' ? token : undefined));

  return {
    // Not `async`: the common case settles without the extra ticks an async function and awaits would add.
    verify(token: string, verifyOpts?: VerifyOptions): Promise<User> {
      try {
        const result = verifyOrPending(token, verifyOpts);
        return result instanceof Promise ? result.catch(refuse(token)) : Promise.resolve(result);
      } catch (err) {
        return refuse(token)(err);
      }
    },
    async hydrate(): Promise<void> {
      try {
        // One fetch for every issuer (both Cognito formats share one JWKS; the library's hydrate() fetches each).
        cacheJwks(await jwksCache.getJwks(jwksUris[0] as string));
      } catch (err) {
        throw authError('JWKS_UNAVAILABLE', err);
      }
    },
    get cachedTokens() {
      return cache?.size ?? 0;
    },
  };
}

/**
 * The verifier for this deployment: pool and client ids from the config, the issuer from COGNITO_ISSUER when set
 * (local runs: the identity stand-in's URL), else Cognito's; the JWKS from COGNITO_JWKS_URL when set (the
 * stand-in's, or the JWKS mirror in AWS), else from the issuer's own JWKS.
 */
export function tokenVerifierFromConfig(
  config: Pick<Config, 'COGNITO_USER_POOL_ID' | 'COGNITO_ISSUER' | 'COGNITO_CLIENT_ID' | 'COGNITO_EXTRA_CLIENT_IDS' | 'COGNITO_JWKS_URL' | 'AUTH_TOKEN_CACHE_SIZE'>,
  overrides: Partial<TokenVerifierOptions> = {},
): CognitoTokenVerifier {
  return createTokenVerifier({
    userPoolId: config.COGNITO_USER_POOL_ID,
    ...(config.COGNITO_ISSUER ? { issuer: config.COGNITO_ISSUER } : {}),
    clientId: [config.COGNITO_CLIENT_ID, ...config.COGNITO_EXTRA_CLIENT_IDS],
    ...(config.COGNITO_JWKS_URL ? { jwksUrl: config.COGNITO_JWKS_URL } : {}),
    ...(config.AUTH_TOKEN_CACHE_SIZE > 0 ? { cache: { maxEntries: config.AUTH_TOKEN_CACHE_SIZE } } : {}),
    ...overrides,
  });
}
