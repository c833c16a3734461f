/** Who is calling, from a verified Cognito token alone. */
export interface User {
  /** Cognito `sub`: the stable user id every row is keyed by. */
  sub: string;
  username: string;
  email?: string;
  groups: readonly string[];
  /** From the access token's `scope` claim; empty for ID tokens. */
  scopes: readonly string[];
  tokenUse: 'id' | 'access';
  clientId: string;
}

/** Stable codes for every way a token is refused. */
export type AuthErrorCode =
  | 'TOKEN_MISSING'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_TOO_LARGE'
  | 'TOKEN_ALGORITHM_UNSUPPORTED'
  | 'TOKEN_KID_UNKNOWN'
  | 'TOKEN_SIGNATURE_INVALID'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'TOKEN_ISSUER_INVALID'
  | 'TOKEN_AUDIENCE_INVALID'
  | 'TOKEN_USE_INVALID'
  | 'TOKEN_CLAIM_INVALID'
  | 'TOKEN_SCOPE_MISSING'
  | 'JWKS_UNAVAILABLE';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    /** `cause` keeps the library's error for debugging; messages never contain the token. */
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface VerifyOptions {
  /** Which token the caller must present; `any` accepts both (API Gateway's authorizer does). Default `access`. */
  tokenUse?: 'id' | 'access' | 'any';
  /** The token must carry at least one of these scopes. */
  scopes?: readonly string[];
}

export interface TokenVerifier {
  /** Resolves to the caller, or rejects with an `AuthError`; never with anything else. */
  verify(token: string, opts?: VerifyOptions): Promise<User>;
}
