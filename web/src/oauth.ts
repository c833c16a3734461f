/**
 * The authorization-code-with-PKCE flow against Cognito's hosted login (or the local stand-in), as pure functions:
 * building the URLs, checking what comes back on the callback, and reading token responses. `session.ts` wires them
 * to fetch, sessionStorage and timers.
 */
import type { WebConfig } from './config';

/** What is kept in sessionStorage across the redirect to the hosted login and back. */
export interface PendingSignIn {
  state: string;
  verifier: string;
  /** When the redirect started (ms); a stale pending sign-in is refused. */
  startedAt: number;
}

export interface Tokens {
  accessToken: string;
  idToken?: string;
  refreshToken?: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  /** Lifetime in ms as issued (expires_in), used to pick when to refresh. */
  lifetimeMs: number;
}

export type SignInErrorCode = 'STATE_MISSING' | 'STATE_MISMATCH' | 'SIGN_IN_EXPIRED' | 'PROVIDER_ERROR' | 'CODE_MISSING' | 'TOKEN_RESPONSE_INVALID' | 'TOKEN_REQUEST_FAILED';

export class SignInError extends Error {
  override readonly name = 'SignInError';
  constructor(
    readonly code: SignInErrorCode,
    message: string,
    /** The token endpoint's HTTP status, when it answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A pending sign-in older than this is refused (the hosted login's own codes live minutes, not hours). */
export const PENDING_MAX_AGE_MS = 10 * 60_000;

/**
 * Where sign-in starts: `/oauth2/authorize`, or the hosted login's `/signup` page (Cognito's hosted UI takes the same
 * parameters there and, once the account is confirmed, redirects back with a code the same way).
 */
export function authorizeUrl(cfg: WebConfig, pending: { state: string; challenge: string }, opts: { signUp?: boolean } = {}): string {
  const u = new URL(`${cfg.identityDomain}${opts.signUp ? '/signup' : '/oauth2/authorize'}`);
  u.search = new URLSearchParams({
    response_type: 'code',
    client_id: cfg.clientId,
    redirect_uri: cfg.redirectUri,
    scope: cfg.scopes.join(' '),
    state: pending.state,
    code_challenge: pending.challenge,
    code_challenge_method: 'S256',
  }).toString();
  return u.toString();
}

export function logoutUrl(cfg: WebConfig): string {
  const u = new URL(`${cfg.identityDomain}/logout`);
  u.search = new URLSearchParams({ client_id: cfg.clientId, logout_uri: cfg.logoutUri }).toString();
  return u.toString();
}

/**
 * Checks the callback's query against the pending sign-in and returns the authorization code. The state must match
 * exactly (constant-time compare is not needed: the attacker never sees the stored value, only the response).
 */
export function checkCallback(params: URLSearchParams, pending: PendingSignIn | null, now: number): string {
  const error = params.get('error');
  if (error) {
    const desc = params.get('error_description');
    throw new SignInError('PROVIDER_ERROR', `The sign-in page reported: ${desc ? `${desc} (${error})` : error}`);
  }
  const state = params.get('state');
  if (!pending) throw new SignInError('STATE_MISSING', 'No sign-in was started from this tab, so this response was ignored. Please sign in again.');
  if (!state || state !== pending.state) throw new SignInError('STATE_MISMATCH', 'The sign-in response did not match the request (state check failed). Please sign in again.');
  if (now - pending.startedAt > PENDING_MAX_AGE_MS) throw new SignInError('SIGN_IN_EXPIRED', 'The sign-in took too long. Please sign in again.');
  const code = params.get('code');
  if (!code) throw new SignInError('CODE_MISSING', 'The sign-in response had no authorization code.');
  return code;
}

export function codeExchangeBody(cfg: WebConfig, code: string, verifier: string): URLSearchParams {
  return new URLSearchParams({ grant_type: 'authorization_code', client_id: cfg.clientId, code, redirect_uri: cfg.redirectUri, code_verifier: verifier });
}

export function refreshBody(cfg: WebConfig, refreshToken: string): URLSearchParams {
  return new URLSearchParams({ grant_type: 'refresh_token', client_id: cfg.clientId, refresh_token: refreshToken });
}

/**
 * Reads a token endpoint response. A refresh response carries no new refresh token (Cognito's rule), so the
 * previous one is kept.
 */
export function parseTokenResponse(body: unknown, now: number, previous?: Tokens): Tokens {
  if (typeof body !== 'object' || body === null) throw new SignInError('TOKEN_RESPONSE_INVALID', 'The token response was not a JSON object.');
  const b = body as Record<string, unknown>;
  if (typeof b.access_token !== 'string' || b.access_token === '') throw new SignInError('TOKEN_RESPONSE_INVALID', 'The token response had no access token.');
  if (b.token_type !== undefined && typeof b.token_type === 'string' && b.token_type.toLowerCase() !== 'bearer') {
    throw new SignInError('TOKEN_RESPONSE_INVALID', `Unexpected token type ${b.token_type}.`);
  }
  const expiresIn = typeof b.expires_in === 'number' ? b.expires_in : Number(b.expires_in);
  if (!Number.isFinite(expiresIn) || expiresIn <= 0) throw new SignInError('TOKEN_RESPONSE_INVALID', 'The token response had no valid expires_in.');
  const idToken = typeof b.id_token === 'string' ? b.id_token : previous?.idToken;
  const refreshToken = typeof b.refresh_token === 'string' ? b.refresh_token : previous?.refreshToken;
  return {
    accessToken: b.access_token,
    ...(idToken ? { idToken } : {}),
    ...(refreshToken ? { refreshToken } : {}),
    expiresAt: now + expiresIn * 1000,
    lifetimeMs: expiresIn * 1000,
  };
}

/** Refresh this long before expiry at most; short-lived tokens refresh at 80% of their life instead. */
export const REFRESH_LEAD_MS = 60_000;
/** setTimeout's ceiling (2^31-1 ms); longer delays would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long to wait before refreshing: a minute before expiry, or at 80% of a short lifetime; never negative. */
export function refreshDelay(tokens: Pick<Tokens, 'expiresAt' | 'lifetimeMs'>, now: number): number {
  const lead = Math.min(REFRESH_LEAD_MS, tokens.lifetimeMs * 0.2);
  return Math.min(MAX_TIMER_MS, Math.max(0, tokens.expiresAt - lead - now));
}

/** Claims shown on the page before /me answers (display only: the page never trusts them for anything). */
export function decodeJwtPayload(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
