import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { authError } from './errors.js';
import type { User, VerifyOptions } from './types.js';

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * Turns the claims of a token whose signature, issuer, client id and expiry aws-jwt-verify has checked into a
 * `User`. aws-jwt-verify does not require `exp`, `sub` or a username: Cognito always sets them, so a token without
 * them is refused (a token without `exp` would never expire).
 */
export function userFromClaims(payload: JwtPayload, nowSeconds: number, graceSeconds: number): User {
  const tokenUse = payload.token_use;
  if (tokenUse !== 'id' && tokenUse !== 'access') throw authError('TOKEN_USE_INVALID');
  if (typeof payload.exp !== 'number') throw authError('TOKEN_CLAIM_INVALID');
  // aws-jwt-verify checks `nbf` only; Cognito sets `iat` (not `nbf`), so a token issued in the future is refused here.
  if (typeof payload.iat !== 'number') throw authError('TOKEN_CLAIM_INVALID');
  if (payload.iat - graceSeconds > nowSeconds) throw authError('TOKEN_NOT_YET_VALID');
  if (!isString(payload.sub)) throw authError('TOKEN_CLAIM_INVALID');

  const username = tokenUse === 'access' ? payload.username : payload['cognito:username'];
  if (!isString(username)) throw authError('TOKEN_CLAIM_INVALID');
  const clientId = tokenUse === 'access' ? payload.client_id : payload.aud;
  if (!isString(clientId)) throw authError('TOKEN_CLAIM_INVALID');

  const groups = payload['cognito:groups'] ?? [];
  if (!isStringArray(groups)) throw authError('TOKEN_CLAIM_INVALID');
  const email = tokenUse === 'id' ? payload.email : undefined;
  if (email !== undefined && typeof email !== 'string') throw authError('TOKEN_CLAIM_INVALID');
  // aws-jwt-verify already refuses a non-string `scope`.
  const scopes = tokenUse === 'access' && typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];

  // Frozen: a cached User is handed to many callers. The arrays come from this token's own freshly parsed payload.
  const user: User = { sub: payload.sub, username, groups: Object.freeze(groups), scopes: Object.freeze(scopes), tokenUse, clientId };
  if (email !== undefined) user.email = email;
  return Object.freeze(user);
}

/** The per-call rules: checked on every call, cached token or not. */
export function checkPolicy(user: User, opts: VerifyOptions | undefined): void {
  const want = opts?.tokenUse ?? 'access';
  if (want !== 'any' && user.tokenUse !== want) throw authError('TOKEN_USE_INVALID');
  const scopes = opts?.scopes;
  // API Gateway's rule: at least one of the route's scopes.
  if (scopes && scopes.length > 0 && !scopes.some((s) => user.scopes.includes(s))) throw authError('TOKEN_SCOPE_MISSING');
}
