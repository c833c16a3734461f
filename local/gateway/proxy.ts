import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { SpanKind } from '@opentelemetry/api';
import { injectHeaders, inSpan } from '../../src/telemetry/tracing.js';

/** Headers that describe one hop, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

export interface ProxyRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer | undefined;
  sourceIp: string;
  requestId: string;
  /** How the client reached the gateway (`http`) and on which port, for x-forwarded-*. */
  proto: string;
  port: string;
}

export interface ProxyResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export class IntegrationError extends Error {
  override readonly name = 'IntegrationError';
  constructor(
    readonly code: 'INTEGRATION_UNREACHABLE' | 'INTEGRATION_TIMEOUT',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The HTTP proxy integration to the service (in AWS: a VPC link to the service's load balancer): method, path,
 * query, body and headers (Authorization included) pass through; x-forwarded-for/proto/port say who called; the
 * gateway's request id travels as x-request-id so both logs share it.
 */
export function createServiceProxy(opts: { baseUrl: string; timeoutMs: number }) {
  const base = new URL(opts.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  function forward(req: ProxyRequest): Promise<ProxyResponse> {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const prior = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = prior ? `${String(prior)}, ${req.sourceIp}` : req.sourceIp;
    headers['x-forwarded-proto'] = req.proto;
    headers['x-forwarded-port'] = req.port;
    headers['x-request-id'] = req.requestId;
    headers.host = base.host;
    if (req.body !== undefined) headers['content-length'] = String(req.body.length);
    else delete headers['content-length'];

    // A CLIENT span for the integration call; the service continues it from the `traceparent` sent (replacing any
    // the client sent: that one is the parent of the gateway's own span).
    return inSpan('gateway', `${req.method} integration`, { kind: SpanKind.CLIENT, attributes: { 'http.request.method': req.method, 'server.address': base.hostname, 'server.port': Number(base.port || 80) } }, async (span) => {
      injectHeaders(headers);
      const res = await send(req, headers);
      span.setAttribute('http.response.status_code', res.statusCode);
      return res;
    });
  }

  function send(req: ProxyRequest, headers: Record<string, string | string[]>): Promise<ProxyResponse> {
    return new Promise((resolve, reject) => {
      const out = http.request(
        { protocol: base.protocol, hostname: base.hostname, port: base.port, method: req.method, path: req.url, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(new IntegrationError('INTEGRATION_UNREACHABLE', 'service response broke off', { cause: err })));
          res.on('end', () => {
            const back: Record<string, string | string[]> = {};
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !HOP_BY_HOP.has(k) && k !== 'content-length') back[k] = v;
            resolve({ statusCode: res.statusCode ?? 502, headers: back, body: Buffer.concat(chunks) });
          });
        },
      );
      out.setTimeout(opts.timeoutMs, () => out.destroy(new IntegrationError('INTEGRATION_TIMEOUT', `service did not answer in ${opts.timeoutMs} ms`)));
      out.on('error', (err) =>
        reject(err instanceof IntegrationError ? err : new IntegrationError('INTEGRATION_UNREACHABLE', 'service unreachable', { cause: err })),
      );
      out.end(req.body);
    });
  }

  return { forward, close: () => agent.destroy() };
}
