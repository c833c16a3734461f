import { bearerToken } from '../../src/auth/bearer.js';
import { AuthError, type AuthErrorCode, type TokenVerifier } from '../../src/auth/types.js';
import type { RouteAuth } from '../../src/routes.js';
import { claimsForEvent, decodeVerifiedPayload } from './claims.js';

export type AuthorizerDecision =
  | { allow: true; claims: Record<string, string>; scopes: string[] | null }
  | { allow: false; statusCode: 401 | 403; message: 'Unauthorized' | 'Forbidden'; wwwAuthenticate: string; code: AuthErrorCode };

/** What API Gateway writes in `error_description` (from its troubleshooting page); ours where it publishes none. */
const DESCRIPTIONS: Partial<Record<AuthErrorCode, string>> = {
  TOKEN_EXPIRED: 'the token has expired',
  TOKEN_AUDIENCE_INVALID: 'the token does not have a valid audience',
  TOKEN_ISSUER_INVALID: 'the token does not have a valid issuer',
  TOKEN_SIGNATURE_INVALID: 'the token signature is invalid',
  TOKEN_NOT_YET_VALID: 'the token is not valid yet',
  TOKEN_KID_UNKNOWN: 'the token signing key is unknown',
  JWKS_UNAVAILABLE: 'unable to fetch the signing keys',
};

const quote = (s: string) => s.replace(/["\\]/g, '');

/**
 * The HTTP API JWT authorizer: token from `Authorization` (a `Bearer ` prefix is optional, as AWS accepts), issuer,
 * audience (`aud`, or `client_id` when there is no `aud`), expiry and signature checked by the `TokenVerifier`; then,
 * if the route names scopes, the token's `scope` claim must hold at least one of them. A refused request never
 * reaches the integration.
 */
export function createJwtAuthorizer(verifier: TokenVerifier) {
  // Tokens this authorizer has verified, with their claims rendered for the event, until their `exp`: a page reuses
  // one token for an hour, so most requests skip verification (and its own cache) altogether. Bounded: the oldest
  // entry goes first. (API Gateway itself caches verified tokens and keys the same way.)
  const verified = new Map<string, { claims: Record<string, string>; scopes: string[]; expiresAtMs: number }>();
  const MAX_VERIFIED = 10_000;

  return async function authorize(authorization: string | undefined, auth: RouteAuth): Promise<AuthorizerDecision> {
    if (auth.type === 'none') return { allow: true, claims: {}, scopes: null };
    const token = bearerToken(authorization);
    if (token === undefined) {
      return { allow: false, statusCode: 401, message: 'Unauthorized', wwwAuthenticate: 'Bearer', code: 'TOKEN_MISSING' };
    }
    let entry = verified.get(token);
    if (entry !== undefined && entry.expiresAtMs <= Date.now()) {
      verified.delete(token);
      entry = undefined;
    }
    if (entry === undefined) {
      try {
        await verifier.verify(token, { tokenUse: 'any' });
      } catch (err) {
        const code: AuthErrorCode = err instanceof AuthError ? err.code : 'TOKEN_MALFORMED';
        const description = DESCRIPTIONS[code] ?? 'the token is invalid';
        return {
          allow: false,
          statusCode: 401,
          message: 'Unauthorized',
          wwwAuthenticate: `Bearer scope="" error="invalid_token" error_description="${description}"`,
          code,
        };
      }
      const payload = decodeVerifiedPayload(token);
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
      // The verifier refuses tokens without a numeric exp; the fallback only keeps a malformed one out of the cache.
      const expiresAtMs = typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
      entry = { claims: claimsForEvent(payload), scopes, expiresAtMs };
      if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value as string);
      verified.set(token, entry);
    }
    if (auth.scopes.length === 0) return { allow: true, claims: entry.claims, scopes: null };
    if (!auth.scopes.some((s) => entry.scopes.includes(s))) {
      const wanted = auth.scopes.map(quote).join(' ');
      return {
        allow: false,
        statusCode: 403,
        message: 'Forbidden',
        wwwAuthenticate: `Bearer scope="${wanted}" error="insufficient_scope" error_description="expected scopes: [${wanted}]"`,
        code: 'TOKEN_SCOPE_MISSING',
      };
    }
    return { allow: true, claims: entry.claims, scopes: [...entry.scopes] };
  };
}
