/** Start-up: the page's settings from the server it was loaded from. */
import { ConfigInvalidError, parseWebConfig, type WebConfig } from './config';

/** Fetches and checks `/config.json` (never cached: it changes with every local start's ports). */
export async function fetchWebConfig(fetchFn: typeof fetch = fetch, url = '/config.json'): Promise<WebConfig> {
  const res = await fetchFn(url, { cache: 'no-store', headers: { accept: 'application/json' } });
  if (!res.ok) throw new ConfigInvalidError(`could not load ${url} (HTTP ${res.status})`);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ConfigInvalidError(`${url} is not JSON`);
  }
  return parseWebConfig(body);
}
