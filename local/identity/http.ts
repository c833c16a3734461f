import { randomBytes, timingSafeEqual } from 'node:crypto';
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
 * Double-submit CSRF token, as Cognito's hosted UI does (`XSRF-TOKEN` cookie + `_csrf` field): a cross-site form
 * can post to us but cannot read our cookie to put it in the body.
 */
export function csrfToken(req: FastifyRequest, reply: FastifyReply): string {
  const existing = cookies(req)[CSRF_COOKIE];
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  setCookie(reply, CSRF_COOKIE, token);
  return token;
}

export function csrfValid(req: FastifyRequest, submitted: string | undefined): boolean {
  const cookie = cookies(req)[CSRF_COOKIE];
  if (!cookie || !submitted || cookie.length !== submitted.length) return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(submitted));
}
