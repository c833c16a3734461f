import { httpUrl } from '../httpUrl.js';
import type { AppClient } from './pool.js';

/**
 * The web page's public app client for a gateway at `host:port`: its root and `/callback` as callback and logout
 * URLs, also under `localhost` (and 127.0.0.1), since a browser may be pointed at either name.
 */
export function gatewayClient(clientId: string, host: string, port: number): AppClient {
  const hosts = [...new Set([host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host, 'localhost', '127.0.0.1'])];
  const bases = hosts.map((h) => httpUrl(h, port));
  const urls = bases.flatMap((b) => [`${b}/`, `${b}/callback`]);
  return { clientId, callbackUrls: urls, logoutUrls: urls };
}
