import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { JwksNotAvailableInCacheError, KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import { SimpleJwksCache, SimplePenaltyBox, type Jwks } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
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
  /** App client ids the token may be issued to (ID token `aud`, access token `client_id`). */
  clientId: string | readonly string[];
  /**
   * Fetch the JWKS from here instead of the pool's https JWKS (the local identity stand-in). The verifier still
   * refetches on an unknown `kid` (key rotation), rate-limited.
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
 * Verifies Cognito ID and access tokens with aws-jwt-verify's `CognitoJwtVerifier` (RS256 signature by a key of the
 * pool's JWKS, issuer, `token_use`, client id, `exp`/`nbf`), then turns the claims into a `User`. The same code
 * runs in AWS (pool's https JWKS) and locally (`jwksUrl`). Every refusal is an `AuthError` with a stable code.
 */
export function createTokenVerifier(opts: TokenVerifierOptions): CognitoTokenVerifier {
  const clientIds = typeof opts.clientId === 'string' ? [opts.clientId] : [...opts.clientId];
  if (clientIds.length === 0) throw new TypeError('createTokenVerifier: at least one client id is required');
  const maxTokenBytes = opts.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  const graceSeconds = opts.graceSeconds ?? 0;
  const cache = opts.cache && opts.cache.maxEntries > 0 ? new VerifiedTokenCache(opts.cache.maxEntries) : undefined;

  // The JWKS URIs the library derives from the pool id, for both issuer formats it accepts.
  const poolJwksUris = [
    CognitoJwtVerifier.parseUserPoolId(opts.userPoolId).jwksUri,
    CognitoJwtVerifier.parseUserPoolId(opts.userPoolId, 'https://issuer-cognito-idp').jwksUri,
  ];
  const jwksCache = new SimpleJwksCache({
    penaltyBox: new SimplePenaltyBox({ waitSeconds: opts.jwksRefetchWaitSeconds ?? 10 }),
    jwksParser: parseJwks,
    ...(opts.jwksUrl
      ? { fetcher: new RedirectingJwksFetcher({ jwksUrl: opts.jwksUrl, servesFor: poolJwksUris, timeoutMs: opts.jwksTimeoutMs }) }
      : {}),
  });

  const verifier = CognitoJwtVerifier.create(
    {
      userPoolId: opts.userPoolId,
      clientId: clientIds,
      // Checked per call by `checkPolicy`, so one cached verification serves calls with different needs.
      tokenUse: null,
      graceSeconds,
    },
    { jwksCache },
  );
  if (opts.jwks) verifier.cacheJwks(rs256Only(opts.jwks));

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
        // One fetch for both issuer formats (the library's own hydrate() fetches once per format).
        verifier.cacheJwks(await jwksCache.getJwks(poolJwksUris[0] as string));
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
 * The verifier for this deployment: pool and client ids from the config, the JWKS from COGNITO_JWKS_URL when set
 * (local runs), else from the pool's own https JWKS.
 */
export function tokenVerifierFromConfig(
  config: Pick<Config, 'COGNITO_USER_POOL_ID' | 'COGNITO_CLIENT_ID' | 'COGNITO_EXTRA_CLIENT_IDS' | 'COGNITO_JWKS_URL' | 'AUTH_TOKEN_CACHE_SIZE'>,
  overrides: Partial<TokenVerifierOptions> = {},
): CognitoTokenVerifier {
  return createTokenVerifier({
    userPoolId: config.COGNITO_USER_POOL_ID,
    clientId: [config.COGNITO_CLIENT_ID, ...config.COGNITO_EXTRA_CLIENT_IDS],
    ...(config.COGNITO_JWKS_URL ? { jwksUrl: config.COGNITO_JWKS_URL } : {}),
    ...(config.AUTH_TOKEN_CACHE_SIZE > 0 ? { cache: { maxEntries: config.AUTH_TOKEN_CACHE_SIZE } } : {}),
    ...overrides,
  });
}
