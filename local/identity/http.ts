import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'cognito';
const CSRF_COOKIE = 'XSRF-TOKEN';
export const SIGNUP_COOKIE = 'pier-signup';

export function cookies(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

/** HttpOnly, SameSite=Lax cookies on the identity origin (no Secure flag: local runs use http). */
export function setCookie(reply: FastifyReply, name: string, value: string, maxAgeSeconds?: number): void {
  const cookie = `${name}=${value}; Path=/; HttpOnly; SameSite=Lax${maxAgeSeconds !== undefined ? `; Max-Age=${maxAgeSeconds}` : ''}`;
  const prev = reply.getHeader('set-cookie');
  reply.header('set-cookie', prev === undefined ? [cookie] : [...(Array.isArray(prev) ? prev : [String(prev)]), cookie]);
}

/** Request fields as single strings: a repeated field is refused rather than guessed at. */
export function fields(source: unknown): { get(name: string): string | undefined; repeated: string | undefined } {
  const obj = (source && typeof source === 'object' ? source : {}) as Record<string, unknown>;
  const repeated = Object.keys(obj).find((k) => Array.isArray(obj[k]));
  return {
    get: (name) => {
      const v = obj[name];
      return typeof v === 'string' ? v : undefined;
    },
    repeated,
  };
}

/**
 * CSRF protection for the hosted pages' forms, in two layers.
 *
 * 1. A signed double-submit token, as Cognito's hosted UI uses (`XSRF-TOKEN` cookie + `_csrf` field): a cross-site
 *    form can post to us but cannot read our cookie to put it in the body. A plain random token is not enough on
 *    loopback, though: cookies are not isolated by port, so a page served from another port of the same host (any
 *    local dev server) can set ("toss") an `XSRF-TOKEN` cookie of its choosing for this host and post the same value
 *    as `_csrf`. So the token is `<nonce>.<issued>.<HMAC-SHA256(key, nonce.issued)>` with a key made at random when
 *    the server starts: a pair the server did not mint is refused, and a minted one expires after TOKEN_TTL_SECONDS.
 *    A `__Host-` cookie would not help: the prefix needs the Secure flag (https; browsers accept it on http only
 *    for localhost), and even then only keeps subdomains out. Another port of the same host is the same host, so
 *    it could set the same `__Host-` cookie.
 * 2. Fetch metadata: a browser marks a form posted from another origin `Sec-Fetch-Site: same-site` (another port
 *    of this host) or `cross-site`, which a page cannot forge. That stops the one thing the signature cannot: an
 *    attacker fetching a genuine token from us and tossing it, with its field, into the victim's browser. A POST
 *    that says it came from elsewhere is refused. (`Origin` cannot be used for the same: the pages send
 *    `Referrer-Policy: no-referrer`, under which a browser posts forms with `Origin: null`.)
 */
export class CsrfGuard {
  static readonly TOKEN_TTL_SECONDS = 12 * 3600;
  static readonly #FORMAT = /^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{43})$/;
  readonly #key = randomBytes(32);

  /** The token for a form: the browser's cookie if this server minted it and it has time left, else a new one. */
  token(req: FastifyRequest, reply: FastifyReply): string {
    const existing = cookies(req)[CSRF_COOKIE];
    const issued = existing === undefined ? undefined : this.#issuedAt(existing);
    // Renewed once half its life is gone, so a form shown now can still be sent hours later.
    if (existing !== undefined && issued !== undefined && issued + CsrfGuard.TOKEN_TTL_SECONDS / 2 > nowSeconds()) return existing;
    const payload = `${randomBytes(16).toString('base64url')}.${nowSeconds().toString(36)}`;
    const token = `${payload}.${this.#mac(payload)}`;
    setCookie(reply, CSRF_COOKIE, token);
    return token;
  }

  /** True for a POST whose `_csrf` field equals its cookie, the server minted that token, and no browser says it came from elsewhere. */
  valid(req: FastifyRequest, submitted: string | undefined): boolean {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
    const cookie = cookies(req)[CSRF_COOKIE];
    if (!cookie || !submitted || cookie.length !== submitted.length) return false;
    if (!timingSafeEqual(Buffer.from(cookie), Buffer.from(submitted))) return false;
    const issued = this.#issuedAt(cookie);
    return issued !== undefined && issued + CsrfGuard.TOKEN_TTL_SECONDS > nowSeconds();
  }

  /** When a token this server minted was issued; undefined for anything else (malformed, forged, another key). */
  #issuedAt(token: string): number | undefined {
    const m = CsrfGuard.#FORMAT.exec(token);
    if (!m) return undefined;
    const expected = Buffer.from(this.#mac(`${m[1]}.${m[2]}`));
    if (!timingSafeEqual(Buffer.from(m[3]!), expected)) return undefined;
    const issued = parseInt(m[2]!, 36);
    return issued <= nowSeconds() + 60 ? issued : undefined;
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
