/**
 * The web page's `/config.json`, generated from the same settings the local runtime and the CDK use, so one built
 * page works everywhere. Locally the runner writes it next to its copy of the page (see `preparePageDir`); in AWS
 * the CDK stack deploys it beside the page in the bucket:
 *
 *   Source.jsonData('config.json', webConfig({ identityDomain: `https://${domain.domainName}.auth.${region}.amazoncognito.com`,
 *     clientId: client.userPoolClientId, apiUrl: httpApi.apiEndpoint, pageUrl: `https://${distribution.distributionDomainName}` }))
 *
 * CDK tokens (`${Token[...]}`) pass through unchecked; CloudFormation resolves them at deploy time.
 */
import { cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scope } from '../src/routes.js';
import type { WebConfig } from '../web/src/config.js';

export type { WebConfig };

/** What the page asks the hosted login for: who the user is, and the API's two scopes. */
export const WEB_SCOPES: readonly string[] = ['openid', 'email', 'profile', scope('orders.read'), scope('orders.write')];

/** Path the hosted login redirects back to with `?code=&state=`. */
export const CALLBACK_PATH = '/callback';

export const DEFAULT_POLL_INTERVAL_MS = 1500;

export interface WebConfigInput {
  /** Hosted login base URL: the local identity endpoint, or `https://<prefix>.auth.<region>.amazoncognito.com`. */
  identityDomain: string;
  /** The public app client (PKCE, no secret). */
  clientId: string;
  /** The HTTP API's base URL (locally the gateway). */
  apiUrl: string;
  /** Where the page is served (locally the gateway, in AWS the CloudFront URL); callback and sign-out URLs hang off it. */
  pageUrl: string;
  scopes?: readonly string[];
  pollIntervalMs?: number;
}

const isToken = (s: string) => s.includes('${Token[');
const trimSlash = (s: string) => s.replace(/\/+$/, '');

function checkUrl(key: string, value: string): string {
  if (isToken(value)) return value;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`webConfig: ${key} must be an absolute http(s) URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`webConfig: ${key} must be an absolute http(s) URL`);
  return trimSlash(value);
}

/** The page's settings. Throws naming the key when an input is not usable (never for CDK tokens). */
export function webConfig(input: WebConfigInput): WebConfig {
  const pageUrl = checkUrl('pageUrl', input.pageUrl);
  if (!input.clientId) throw new Error('webConfig: clientId is required');
  const scopes = [...(input.scopes ?? WEB_SCOPES)];
  if (scopes.length === 0 || !scopes.includes('openid')) throw new Error('webConfig: scopes must include openid');
  return {
    identityDomain: checkUrl('identityDomain', input.identityDomain),
    clientId: input.clientId,
    apiUrl: checkUrl('apiUrl', input.apiUrl),
    ...pageUrls(pageUrl),
    scopes,
    pollIntervalMs: input.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
  };
}

/** The redirect and sign-out URLs for a page URL: register both `redirectUri` and `logoutUri` with the app client. */
export function pageUrls(pageUrl: string): { redirectUri: string; logoutUri: string } {
  const base = trimSlash(pageUrl);
  return { redirectUri: `${base}${CALLBACK_PATH}`, logoutUri: `${base}/` };
}

/** The local runner's case: everything from `.pier/endpoints.json` (identity, clientId, gateway). */
export function webConfigFromEndpoints(endpoints: Readonly<Record<string, string | undefined>>, clientIdFallback?: string): WebConfig {
  const { identity, gateway } = endpoints;
  const clientId = endpoints.clientId ?? clientIdFallback;
  if (!identity || !gateway || !clientId) throw new Error('webConfig: endpoints need identity, gateway and clientId');
  return webConfig({ identityDomain: identity, clientId, apiUrl: gateway, pageUrl: gateway });
}

/**
 * A folder the local gateway serves as the page: a copy of the built page plus this run's `config.json`. Each run
 * gets its own (under its data folder), so concurrent runs and tests never overwrite each other's config and the
 * built page in web/dist stays environment-free. Returns false when the page is not built.
 */
export async function preparePageDir(builtDir: string, targetDir: string): Promise<boolean> {
  await rm(targetDir, { recursive: true, force: true });
  await mkdir(targetDir, { recursive: true });
  try {
    await cp(builtDir, targetDir, { recursive: true, filter: (src) => !src.endsWith('.build-stamp') });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Writes `config.json` atomically (a request never sees half a file). */
export async function writeWebConfig(dir: string, config: WebConfig): Promise<string> {
  const path = join(dir, 'config.json');
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(config, null, 2) + '\n');
  await rename(tmp, path);
  return path;
}
