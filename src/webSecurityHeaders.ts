/**
 * The web page's security headers: one policy for both runtimes. The local gateway sends it with the page and its
 * files (local/gateway/web.ts); in AWS the CDK turns the same object into CloudFront's response headers policy
 * (infra/lib/web.ts). The Content-Security-Policy is what the built page really needs (test/web.headers.browser.test.ts
 * proves it raises no violation through a whole sign-in and order): its own scripts and styles only, no inline code,
 * and `connect-src` limited to the origins its `/config.json` names. See docs/web.md.
 */

/** What the page fetches besides its own files, from its `/config.json` (scripts/web-config.ts `webConfig()`). */
export interface PageEndpoints {
  /** The hosted login: the page posts to `<identityDomain>/oauth2/token`. */
  identityDomain: string;
  /** The HTTP API (locally the gateway, the page's own origin). */
  apiUrl: string;
  /** The page's own callback URL: its origin is the page's (`'self'`). */
  redirectUri: string;
}

export interface StrictTransportSecurity {
  maxAgeSeconds: number;
  includeSubdomains: boolean;
  preload: boolean;
}

/** The policy, shaped after CloudFront's security headers config so the CDK maps it one to one. */
export interface WebSecurityPolicy {
  contentSecurityPolicy: string;
  /** `X-Content-Type-Options`. */
  contentTypeOptions: 'nosniff';
  /** `X-Frame-Options` (for browsers older than CSP's `frame-ancestors`). */
  frameOptions: 'DENY';
  /** The OAuth code arrives in the callback URL's query: no referrer ever leaves the page. */
  referrerPolicy: 'no-referrer';
  /** Only when served over HTTPS (CloudFront); never on the local http gateway. */
  strictTransportSecurity?: StrictTransportSecurity;
  permissionsPolicy: string;
}

/** Two years, the subdomains too (HSTS preload-list values, without asking for preload). */
export const HSTS: StrictTransportSecurity = { maxAgeSeconds: 63_072_000, includeSubdomains: true, preload: false };

/** Powerful features the page never uses, switched off for it and anything it could embed. */
export const PERMISSIONS_POLICY = 'camera=(), geolocation=(), microphone=(), payment=(), usb=()';

/**
 * The CSP's directives. `img-src data:` is for the page's `<link rel="icon" href="data:,">` (it keeps browsers from
 * asking for /favicon.ico); `form-action 'self'`: the page's forms are handled by script and never post elsewhere
 * (sign-in and sign-out leave by navigation, which CSP does not restrict).
 */
export function cspDirectives(connectSrc: readonly string[]): Array<[string, string[]]> {
  return [
    ['default-src', ["'self'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['img-src', ["'self'", 'data:']],
    ['connect-src', ["'self'", ...connectSrc]],
    ['form-action', ["'self'"]],
    ['frame-ancestors', ["'none'"]],
    ['base-uri', ["'self'"]],
    ['object-src', ["'none'"]],
  ];
}

const TOKEN = /\$\{Token\[[^\]]+\]\}/g;

/**
 * The origin of a URL (`https://host[:port]`). CDK tokens (`${Token[...]}`) may stand for parts of it: they are kept
 * as they are, for CloudFormation to resolve. Anything that could break out of a CSP source (spaces, `;`, `,`,
 * quotes) is refused.
 */
export function sourceOrigin(url: string): string {
  const plain = url.replace(TOKEN, 'x');
  if (/[\s;,'"]/.test(plain)) throw new Error(`webSecurityHeaders: not usable in a CSP: ${url}`);
  if (plain === 'x') return url; // one whole token (an API endpoint): an origin already
  const m = /^https?:\/\/[^/?#]+/i.exec(url);
  if (!m) throw new Error(`webSecurityHeaders: not an http(s) URL: ${url}`);
  return plain === url ? new URL(url).origin : m[0];
}

/** `connect-src`'s sources besides `'self'`: the hosted login and the API, unless they are the page's own origin. */
export function connectSources(e: PageEndpoints): string[] {
  const self = sourceOrigin(e.redirectUri);
  const out: string[] = [];
  for (const url of [e.identityDomain, e.apiUrl]) {
    const o = sourceOrigin(url);
    if (o !== self && !out.includes(o)) out.push(o);
  }
  return out;
}

/** The page's policy: `connectSrc` from `connectSources()`; `https` adds Strict-Transport-Security. */
export function webSecurityPolicy(opts: { connectSrc: readonly string[]; https: boolean }): WebSecurityPolicy {
  return {
    contentSecurityPolicy: cspDirectives(opts.connectSrc)
      .map(([name, values]) => `${name} ${values.join(' ')}`)
      .join('; '),
    contentTypeOptions: 'nosniff',
    frameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    ...(opts.https ? { strictTransportSecurity: HSTS } : {}),
    permissionsPolicy: PERMISSIONS_POLICY,
  };
}

/** The policy as HTTP response headers (lower-case names), as the local gateway sends them and CloudFront would. */
export function securityHeaders(p: WebSecurityPolicy): Record<string, string> {
  const h: Record<string, string> = {
    'content-security-policy': p.contentSecurityPolicy,
    'x-content-type-options': p.contentTypeOptions,
    'x-frame-options': p.frameOptions,
    'referrer-policy': p.referrerPolicy,
    'permissions-policy': p.permissionsPolicy,
  };
  const t = p.strictTransportSecurity;
  if (t) h['strict-transport-security'] = `max-age=${t.maxAgeSeconds}${t.includeSubdomains ? '; includeSubDomains' : ''}${t.preload ? '; preload' : ''}`;
  return h;
}
