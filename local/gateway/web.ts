import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectSources, securityHeaders, webSecurityPolicy, type PageEndpoints } from '../../src/webSecurityHeaders.js';

/** web/dist of this repository: where `npm run build` in web/ puts the page. */
export const DEFAULT_WEB_DIR = resolve(fileURLToPath(new URL('../../web/dist', import.meta.url)));

export const hasBuiltPage = (dir: string): boolean => existsSync(join(dir, 'index.html'));

export const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pier</title></head>
<body><h1>Pier</h1><p>The web page isn't built. Build it (web/ to web/dist) and restart <code>npm start</code>.</p>
<p>The API is served here: try <a href="/healthz">/healthz</a> and <a href="/openapi.json">/openapi.json</a>.</p></body></html>
`;

/**
 * Whether a GET the routes did not match should get the page (the SPA's own paths, e.g. `/callback`) rather than
 * a 404: not under an API route's first segment, and not a file name (a missing `app.js` stays a 404).
 */
export function isPagePath(path: string, apiPrefixes: ReadonlySet<string>): boolean {
  const first = path.split('/')[1] ?? '';
  if (apiPrefixes.has(first)) return false;
  const last = path.split('/').pop() ?? '';
  return !last.includes('.');
}

/** The page's endpoints from a `config.json`, or undefined when it is missing or not the generator's shape. */
function readPageEndpoints(file: string): PageEndpoints | undefined {
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<keyof PageEndpoints, unknown>>;
    const { identityDomain, apiUrl, redirectUri } = c;
    if (typeof identityDomain !== 'string' || typeof apiUrl !== 'string' || typeof redirectUri !== 'string') return undefined;
    return { identityDomain, apiUrl, redirectUri };
  } catch {
    return undefined;
  }
}

/**
 * The security headers for the page and its files (src/webSecurityHeaders.ts, the policy CloudFront sends in AWS,
 * without HSTS: this is http). `connect-src` comes from the `config.json` the page itself reads, beside it in `dir`:
 * the runner writes that file once the gateway knows its port, so it is re-read whenever it changes. Without one
 * (no page, or not written yet) the page may connect only to its own origin.
 */
export function pageSecurityHeaders(dir: string | undefined): () => Readonly<Record<string, string>> {
  const file = dir === undefined ? undefined : join(dir, 'config.json');
  let seen: string | undefined;
  let headers = securityHeaders(webSecurityPolicy({ connectSrc: [], https: false }));
  return () => {
    if (file === undefined) return headers;
    const st = statSync(file, { throwIfNoEntry: false });
    const stamp = st ? `${st.mtimeMs}:${st.size}:${st.ino}` : '';
    if (stamp !== seen) {
      seen = stamp;
      const endpoints = st ? readPageEndpoints(file) : undefined;
      let connectSrc: string[] = [];
      try {
        if (endpoints) connectSrc = connectSources(endpoints);
      } catch {
        // a config.json with unusable URLs: the page cannot use it either
      }
      headers = securityHeaders(webSecurityPolicy({ connectSrc, https: false }));
    }
    return headers;
  };
}
