import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwkInvalidKtyError,
  JwkInvalidUseError,
  JwksNotAvailableInCacheError,
  JwksValidationError,
  JwkValidationError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidClaimError,
  JwtInvalidIssuerError,
  JwtInvalidScopeError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  NotSupportedError,
  ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import { AuthError, type AuthErrorCode } from './types.js';

/** Fixed, token-free messages: callers may return them in a 401 body or log them. */
export const AUTH_ERROR_MESSAGES: Record<AuthErrorCode, string> = {
  TOKEN_MISSING: 'no token was presented',
  TOKEN_MALFORMED: 'the token is not a well-formed JWT',
  TOKEN_TOO_LARGE: 'the token is larger than allowed',
  TOKEN_ALGORITHM_UNSUPPORTED: 'the token is not signed with RS256',
  TOKEN_KID_UNKNOWN: "the token's signing key is not in the pool's JWKS",
  TOKEN_SIGNATURE_INVALID: "the token's signature does not verify",
  TOKEN_EXPIRED: 'the token has expired',
  TOKEN_NOT_YET_VALID: 'the token is not valid yet',
  TOKEN_ISSUER_INVALID: 'the token was not issued by the configured user pool',
  TOKEN_AUDIENCE_INVALID: 'the token was not issued to an allowed app client',
  TOKEN_USE_INVALID: 'the token is not the kind this call needs (ID or access token)',
  TOKEN_CLAIM_INVALID: 'a required claim is missing or has the wrong type',
  TOKEN_SCOPE_MISSING: 'the token lacks the scope this call needs',
  JWKS_UNAVAILABLE: "the user pool's signing keys could not be loaded",
};

export const authError = (code: AuthErrorCode, cause?: unknown): AuthError =>
  new AuthError(code, AUTH_ERROR_MESSAGES[code], cause === undefined ? undefined : { cause });

/**
 * aws-jwt-verify's error classes, most specific first (several extend `JwtInvalidClaimError` or
 * `FailedAssertionError`, so order matters).
 */
const BY_CLASS: [abstract new (...args: never[]) => Error, AuthErrorCode][] = [
  [JwtParseError, 'TOKEN_MALFORMED'],
  [JwtInvalidSignatureAlgorithmError, 'TOKEN_ALGORITHM_UNSUPPORTED'],
  [NotSupportedError, 'TOKEN_ALGORITHM_UNSUPPORTED'],
  [JwtInvalidSignatureError, 'TOKEN_SIGNATURE_INVALID'],
  [JwtWithoutValidKidError, 'TOKEN_KID_UNKNOWN'],
  [KidNotFoundInJwksError, 'TOKEN_KID_UNKNOWN'],
  // The JWKS was just refetched for another unknown kid: the rate limit refuses a refetch, so the kid is unknown.
  [WaitPeriodNotYetEndedJwkError, 'TOKEN_KID_UNKNOWN'],
  [JwtExpiredError, 'TOKEN_EXPIRED'],
  [JwtNotBeforeError, 'TOKEN_NOT_YET_VALID'],
  [JwtInvalidIssuerError, 'TOKEN_ISSUER_INVALID'],
  [JwtInvalidAudienceError, 'TOKEN_AUDIENCE_INVALID'],
  [CognitoJwtInvalidClientIdError, 'TOKEN_AUDIENCE_INVALID'],
  [CognitoJwtInvalidTokenUseError, 'TOKEN_USE_INVALID'],
  [JwtInvalidScopeError, 'TOKEN_SCOPE_MISSING'],
  [JwtInvalidClaimError, 'TOKEN_CLAIM_INVALID'],
  // A JWKS that cannot be fetched, parsed or used is the identity provider's problem, not the caller's.
  [JwksNotAvailableInCacheError, 'JWKS_UNAVAILABLE'],
  [FetchError, 'JWKS_UNAVAILABLE'],
  [JwksValidationError, 'JWKS_UNAVAILABLE'],
  [JwkValidationError, 'JWKS_UNAVAILABLE'],
  [JwkInvalidUseError, 'JWKS_UNAVAILABLE'],
  [JwkInvalidKtyError, 'JWKS_UNAVAILABLE'],
];

/**
 * Turns anything thrown while verifying into an `AuthError`. Unknown errors become TOKEN_MALFORMED: whatever the
 * cause, the token is refused, and the original stays on `cause`.
 */
export function toAuthError(err: unknown, token?: string): AuthError {
  if (err instanceof AuthError) return err;
  if (err instanceof ParameterValidationError) {
    // The verifier picks its settings by the token's `iss`; a missing or foreign `iss` surfaces here.
    return authError(/issuer/i.test(err.message) ? 'TOKEN_ISSUER_INVALID' : 'TOKEN_MALFORMED', err);
  }
  for (const [cls, code] of BY_CLASS) {
    if (err instanceof cls) {
      // `alg: none` tokens usually carry no `kid` and an empty signature: when the header names another
      // algorithm, that is the more telling reason.
      if ((code === 'TOKEN_KID_UNKNOWN' || code === 'TOKEN_MALFORMED') && token !== undefined && isOtherAlg(headerAlg(token))) {
        return authError('TOKEN_ALGORITHM_UNSUPPORTED', err);
      }
      return authError(code, err);
    }
  }
  return authError('TOKEN_MALFORMED', err);
}

const isOtherAlg = (alg: unknown): boolean => typeof alg === 'string' && alg !== 'RS256';

/** Best-effort read of the unverified header's `alg` (error path only). */
function headerAlg(token: string): unknown {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
    return header && typeof header === 'object' ? (header as { alg?: unknown }).alg : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The HTTP status for a refusal, as API Gateway's JWT authorizer answers: 403 when only the scope is wrong, 401
 * for every other bad token; 503 when the keys cannot be loaded (the caller's token may be fine).
 */
export function authErrorStatus(code: AuthErrorCode): 401 | 403 | 503 {
  if (code === 'TOKEN_SCOPE_MISSING') return 403;
  if (code === 'JWKS_UNAVAILABLE') return 503;
  return 401;
}
