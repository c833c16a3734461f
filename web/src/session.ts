/**
 * The signed-in session: tokens live only in this object's memory (never localStorage or cookies), so a reload
 * signs the user out; the PKCE verifier and state live in sessionStorage only for the round trip to the hosted
 * login. The access token is refreshed with the refresh token shortly before it expires.
 */
import type { WebConfig } from './config';
import {
  authorizeUrl,
  checkCallback,
  codeExchangeBody,
  logoutUrl,
  parseTokenResponse,
  refreshBody,
  refreshDelay,
  SignInError,
  type PendingSignIn,
  type Tokens,
} from './oauth';
import { challengeFor, createState, createVerifier } from './pkce';

export const PENDING_KEY = 'pier.pendingSignIn';

type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface SessionDeps {
  config: WebConfig;
  fetch: typeof fetch;
  /** sessionStorage in the browser. */
  storage: KeyValueStore;
  /** Leaves the page (location.assign in the browser). */
  navigate: (url: string) => void;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export type SessionEvent = { type: 'signed-in' } | { type: 'refreshed' } | { type: 'signed-out'; reason?: string };

export class Session {
  private tokens: Tokens | null = null;
  private timer: unknown = null;
  private refreshing: Promise<Tokens | null> | null = null;
  private readonly listeners = new Set<(e: SessionEvent) => void>();
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly deps: SessionDeps) {
    this.now = deps.now ?? Date.now;
    this.setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = deps.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  get signedIn(): boolean {
    return this.tokens !== null;
  }

  /** When the current access token expires (ms), for tests and the page's status line. */
  get expiresAt(): number | null {
    return this.tokens?.expiresAt ?? null;
  }

  /** Claims source for display only. */
  get idToken(): string | undefined {
    return this.tokens?.idToken;
  }

  onChange(listener: (e: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the redirect to the hosted login (or its sign-up page) with a fresh verifier and state. */
  async signIn(opts: { signUp?: boolean } = {}): Promise<void> {
    const verifier = createVerifier();
    const state = createState();
    const pending: PendingSignIn = { state, verifier, startedAt: this.now() };
    this.deps.storage.setItem(PENDING_KEY, JSON.stringify(pending));
    this.deps.navigate(authorizeUrl(this.deps.config, { state, challenge: await challengeFor(verifier) }, opts));
  }

  /**
   * Handles the redirect back (`?code=&state=`): checks the state, then trades the code and verifier for tokens.
   * The pending sign-in is removed first, whatever happens, so a response can be used once only.
   */
  async completeSignIn(params: URLSearchParams): Promise<void> {
    const pending = this.readPending();
    this.deps.storage.removeItem(PENDING_KEY);
    const code = checkCallback(params, pending, this.now());
    const tokens = await this.tokenRequest(codeExchangeBody(this.deps.config, code, (pending as PendingSignIn).verifier));
    this.setTokens(tokens);
    this.emit({ type: 'signed-in' });
  }

  /**
   * A current access token, refreshing first if it is about to expire; null when signed out. Concurrent callers
   * share one refresh.
   */
  async accessToken(): Promise<string | null> {
    if (!this.tokens) return null;
    if (this.tokens.expiresAt - this.now() > 5_000) return this.tokens.accessToken;
    const refreshed = await this.refresh();
    return refreshed?.accessToken ?? null;
  }

  /** Uses the refresh token; if that is refused the session ends (signed out, with a reason). */
  refresh(): Promise<Tokens | null> {
    if (!this.tokens) return Promise.resolve(null);
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Forgets the tokens here and sends the browser to the hosted login's logout, which ends its session too. */
  signOut(): void {
    this.clear();
    this.emit({ type: 'signed-out' });
    this.deps.navigate(logoutUrl(this.deps.config));
  }

  /** Forgets the tokens without leaving the page (the API refused them, or the refresh failed). */
  expire(reason: string): void {
    if (!this.tokens) return;
    this.clear();
    this.emit({ type: 'signed-out', reason });
  }

  private async doRefresh(): Promise<Tokens | null> {
    const current = this.tokens;
    if (!current) return null;
    if (!current.refreshToken) {
      this.expire('Your session has ended. Please sign in again.');
      return null;
    }
    try {
      const tokens = await this.tokenRequest(refreshBody(this.deps.config, current.refreshToken), current);
      if (this.tokens !== current) return this.tokens; // signed out (or in again) meanwhile
      this.setTokens(tokens);
      this.emit({ type: 'refreshed' });
      return tokens;
    } catch (err) {
      if (err instanceof SignInError && err.code === 'TOKEN_REQUEST_FAILED' && !(err.status && err.status < 500) && current.expiresAt > this.now()) {
        // A network blip or 5xx while the token is still valid: try again shortly rather than signing out.
        this.schedule(Math.min(10_000, Math.max(1_000, (current.expiresAt - this.now()) / 2)));
        return current;
      }
      this.expire('Your session has ended. Please sign in again.');
      return null;
    }
  }

  private async tokenRequest(body: URLSearchParams, previous?: Tokens): Promise<Tokens> {
    let res: Response;
    try {
      res = await this.deps.fetch(`${this.deps.config.identityDomain}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body.toString(),
      });
    } catch {
      throw new SignInError('TOKEN_REQUEST_FAILED', 'Could not reach the sign-in service.');
    }
    let json: unknown = null;
    try {
      json = await res.json();
    } catch {
      // handled below
    }
    if (!res.ok) {
      const err = (json as { error?: unknown; error_description?: unknown } | null) ?? {};
      const detail = typeof err.error_description === 'string' ? err.error_description : typeof err.error === 'string' ? err.error : '';
      throw new SignInError('TOKEN_REQUEST_FAILED', `The sign-in service refused the request (HTTP ${res.status}${detail ? `: ${detail}` : ''}).`, res.status);
    }
    return parseTokenResponse(json, this.now(), previous);
  }

  private setTokens(tokens: Tokens): void {
    this.tokens = tokens;
    this.schedule(refreshDelay(tokens, this.now()));
  }

  private schedule(ms: number): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = this.setTimer(() => {
      this.timer = null;
      void this.refresh();
    }, ms);
  }

  private clear(): void {
    this.tokens = null;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  private readPending(): PendingSignIn | null {
    const raw = this.deps.storage.getItem(PENDING_KEY);
    if (!raw) return null;
    try {
      const p = JSON.parse(raw) as Partial<PendingSignIn>;
      return typeof p.state === 'string' && typeof p.verifier === 'string' && typeof p.startedAt === 'number'
        ? { state: p.state, verifier: p.verifier, startedAt: p.startedAt }
        : null;
    } catch {
      return null;
    }
  }

  private emit(e: SessionEvent): void {
    for (const l of this.listeners) l(e);
  }
}
