import type { ServerOptions } from 'node:http';

/** How long an HTTP server of Pier's waits for a client; see `serverTimeoutOptions`. */
export interface ServerTimeouts {
  /** Longest time to receive a whole request, headers and body (default 30 s). */
  requestTimeoutMs?: number;
  /** Longest time to receive the request headers (default 10 s, never more than requestTimeoutMs). */
  headersTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open between requests (default 65 s). */
  keepAliveTimeoutMs?: number;
}

export const DEFAULT_SERVER_TIMEOUTS = { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 65_000 } as const;

/**
 * `http.createServer` options (Fastify: the same, see `fastifyTimeoutOptions`) that stop a client from holding a request open: one whose headers, or whose body
 * (say a Content-Length larger than what it sends), do not arrive within the limits is answered 408 and its
 * connection closed. In Node, `requestTimeout` counts only while the request is being received: once the body has
 * arrived the timer stops, so an answer that takes long on purpose (an SQS long poll of up to 20 s) is not cut.
 * Node checks the limits every `connectionsCheckingInterval` (30 s by default, which would let a short limit run
 * long), so the interval is derived from the limits. Idle keep-alive connections last longer than SDK clients keep
 * their sockets for reuse, so a client does not send on a socket the server is just closing.
 */
export function serverTimeoutOptions(t: ServerTimeouts = {}): Required<Pick<ServerOptions, 'requestTimeout' | 'headersTimeout' | 'keepAliveTimeout' | 'connectionsCheckingInterval'>> {
  const requestTimeout = t.requestTimeoutMs ?? DEFAULT_SERVER_TIMEOUTS.requestTimeoutMs;
  // Node refuses a headersTimeout above a (non-zero) requestTimeout.
  const headersTimeout = Math.min(t.headersTimeoutMs ?? DEFAULT_SERVER_TIMEOUTS.headersTimeoutMs, requestTimeout);
  const keepAliveTimeout = t.keepAliveTimeoutMs ?? DEFAULT_SERVER_TIMEOUTS.keepAliveTimeoutMs;
  const connectionsCheckingInterval = Math.max(25, Math.min(1000, Math.floor(Math.min(headersTimeout, requestTimeout) / 4)));
  return { requestTimeout, headersTimeout, keepAliveTimeout, connectionsCheckingInterval };
}

/** The same limits as Fastify options: Fastify leaves Node's request timeout off unless told. */
export function fastifyTimeoutOptions(t: ServerTimeouts = {}) {
  const { requestTimeout, keepAliveTimeout, headersTimeout, connectionsCheckingInterval } = serverTimeoutOptions(t);
  return { requestTimeout, keepAliveTimeout, http: { headersTimeout, connectionsCheckingInterval } };
}
