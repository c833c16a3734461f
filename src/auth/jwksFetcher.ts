import type { Fetcher } from 'aws-jwt-verify/https';
import { FetchError, NonRetryableFetchError } from 'aws-jwt-verify/error';

export interface JwksFetcherOptions {
  /** The JWKS to fetch instead (the local identity stand-in's, http or https). */
  jwksUrl: string;
  /** The URIs aws-jwt-verify asks for (the pool's own https JWKS URIs); any other request is refused. */
  servesFor: readonly string[];
  timeoutMs?: number;
  /** Larger responses are refused: a JWKS holds a few keys (Cognito's is about 1 KiB). */
  maxBytes?: number;
}

/**
 * aws-jwt-verify's own fetcher speaks https only. This one answers its requests for the pool's JWKS from the
 * configured URL (plain http on loopback locally), so the library's JWKS cache, refetch on an unknown `kid` and
 * its rate limit work the same locally as in AWS.
 */
export class RedirectingJwksFetcher implements Fetcher {
  private readonly servesFor: ReadonlySet<string>;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(private readonly opts: JwksFetcherOptions) {
    this.servesFor = new Set(opts.servesFor);
    this.timeoutMs = opts.timeoutMs ?? 3000;
    this.maxBytes = opts.maxBytes ?? 64 * 1024;
  }

  async fetch(uri: string): Promise<ArrayBuffer> {
    if (!this.servesFor.has(uri)) throw new NonRetryableFetchError(uri, 'not the configured JWKS');
    try {
      return await this.fetchOnce();
    } catch (err) {
      if (err instanceof NonRetryableFetchError) throw err;
      // One immediate retry, as aws-jwt-verify's SimpleFetcher does.
      return this.fetchOnce();
    }
  }

  private async fetchOnce(): Promise<ArrayBuffer> {
    const url = this.opts.jwksUrl;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), redirect: 'error', headers: { accept: 'application/json' } });
    } catch (err) {
      throw new FetchError(url, (err as Error).message);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new NonRetryableFetchError(url, `status code is ${res.status}, expected 200`);
    }
    const body = await res.arrayBuffer().catch((err: Error) => {
      throw new FetchError(url, err.message);
    });
    if (body.byteLength > this.maxBytes) throw new NonRetryableFetchError(url, `JWKS larger than ${this.maxBytes} bytes`);
    return body;
  }
}
