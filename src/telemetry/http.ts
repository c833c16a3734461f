import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { tracer, tracingEnabled, type Part } from './tracing.js';

const spans = new WeakMap<IncomingMessage, Span>();

/** The server span of a request (undefined while tracing is off). */
export const requestSpan = (req: IncomingMessage): Span | undefined => spans.get(req);

/**
 * Instruments a Fastify app's HTTP server (the adapter): each request gets a SERVER span of `part`, continuing the
 * caller's `traceparent` when it sends one, active for everything Fastify does for that request (hooks, body,
 * handler, the log lines they write). The span is named `METHOD /route` once the route is known and ends when the
 * response is finished or the connection closes. Call before `listen`; nothing happens while tracing is off.
 */
export function traceFastify(app: FastifyInstance, part: Part): void {
  if (!tracingEnabled()) return;
  const server = app.server;
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  const t = tracer(part);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = t.startSpan(
      req.method ?? 'HTTP',
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', 'url.path': (req.url ?? '/').split('?')[0] ?? '/' } },
      parent,
    );
    spans.set(req, span);
    const ctx = trace.setSpan(parent, span);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: 2 });
      if (!res.writableFinished) span.setAttribute('http.response.aborted', true);
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    // Listeners added later (the body's data/end, Fastify's onResponse) run in the request's context too.
    context.bind(ctx, req);
    context.bind(ctx, res);
    context.with(ctx, () => {
      for (const l of listeners) l.call(server, req, res);
    });
  });
  app.addHook('onRequest', (req, _reply, done) => {
    const route = req.routeOptions.url;
    const span = spans.get(req.raw);
    if (span && route) {
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
    }
    done();
  });
}
