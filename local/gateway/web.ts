import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
