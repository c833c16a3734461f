import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { injectHeaders, inSpan, tracingEnabled } from '../telemetry/tracing.js';
import { resolveWebhookTarget, WebhookTargetError } from './address.js';

/** The HMAC key from a Standard Webhooks secret: the base64 after `whsec_`. */
export function signingKeyBytes(secret: string): Buffer {
  const m = /^whsec_([A-Za-z0-9+/=]+)$/.exec(secret);
  if (!m) throw new TypeError('a webhook signing key looks like whsec_<base64>');
  return Buffer.from(m[1] as string, 'base64');
}

/** `v1,<base64 HMAC-SHA256 of "${id}.${timestamp}.${body}">`, as Standard Webhooks defines. */
export function signWebhook(key: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export interface WebhookDeliveryOutcome {
  status: 'delivered' | 'failed' | 'refused';
  httpStatus?: number;
  /** A short reason; never the response body or the signing key. */
  error?: string;
}

export interface WebhookSenderOptions {
  signingKey: Buffer;
  /**
   * The key before the last rotation: while set, each webhook carries a second signature made with it, in the same
   * `webhook-signature` header (Standard Webhooks: several space-separated signatures, a receiver accepts any match).
   */
  previousSigningKey?: Buffer | undefined;
  timeoutMs: number;
  /** Local runs: loopback targets are allowed, and only they may use http (resolveWebhookTarget). */
  allowLoopback: boolean;
}

export type WebhookSender = (url: string, id: string, body: string) => Promise<WebhookDeliveryOutcome>;

/**
 * POSTs a signed event to a user's URL. The host is resolved and every address checked first; the connection is
 * pinned to the checked address (no second DNS lookup to rebind). No redirects are followed. 2xx is delivered;
 * anything else, a timeout or a network error is failed; a refused address is refused.
 */
export function createWebhookSender(opts: WebhookSenderOptions): WebhookSender {
  const send = deliver(opts);
  if (!tracingEnabled()) return send;
  // Instrumented: a CLIENT span of pier-worker per POST, in the active trace (the order's); the receiver gets its
  // `traceparent` header (docs/observability.md). Neither the URL's path nor its query is recorded: they may hold a
  // receiver's token.
  return (rawUrl, id, body) =>
    inSpan('worker', 'POST webhook', { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST', 'pier.webhook.id': id } }, async (span) => {
      const outcome = await send(rawUrl, id, body);
      span.setAttribute('pier.webhook.status', outcome.status);
      if (outcome.httpStatus !== undefined) span.setAttribute('http.response.status_code', outcome.httpStatus);
      if (outcome.status !== 'delivered') span.setStatus({ code: 2, message: outcome.error ?? outcome.status });
      return outcome;
    });
}

function deliver(opts: WebhookSenderOptions): WebhookSender {
  return async (rawUrl, id, body) => {
    let target;
    try {
      target = await resolveWebhookTarget(rawUrl, { allowLoopback: opts.allowLoopback });
    } catch (err) {
      if (err instanceof WebhookTargetError) return { status: 'refused', error: err.code };
      throw err;
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const pinned: LookupFunction = (_host, options, cb) => {
      if ((options as { all?: boolean }).all) (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
      else cb(null, target.address, target.family);
    };
    const client = target.url.protocol === 'https:' ? https : http;
    const trace: Record<string, string> = {};
    injectHeaders(trace);
    return new Promise<WebhookDeliveryOutcome>((resolve) => {
      const req = client.request(
        target.url,
        {
          method: 'POST',
          lookup: pinned,
          signal: AbortSignal.timeout(opts.timeoutMs),
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'Pier-Webhooks/1',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': [opts.signingKey, ...(opts.previousSigningKey ? [opts.previousSigningKey] : [])].map((k) => signWebhook(k, id, timestamp, body)).join(' '),
            ...trace,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const code = res.statusCode ?? 0;
            resolve(code >= 200 && code < 300 ? { status: 'delivered', httpStatus: code } : { status: 'failed', httpStatus: code, error: `HTTP ${code}` });
          });
          res.on('error', () => resolve({ status: 'failed', httpStatus: res.statusCode ?? 0, error: 'response aborted' }));
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        resolve({ status: 'failed', error: err.name === 'AbortError' ? 'timeout' : (err.code ?? 'network error') });
      });
      req.end(body);
    });
  };
}
