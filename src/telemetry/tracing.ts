import { context, propagation, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { SpanStore } from './spanStore.js';

/**
 * The parts of Pier, each its own `service.name` (pier-gateway, pier-service, pier-worker, pier-functions). In AWS
 * each runs in its own process; `npm start` runs them all in one, so there is one TracerProvider per part (each with
 * its own Resource, sharing the span store and the exporter): spans keep the right service.name in Jaeger/Tempo and
 * in the OTLP/JSON the span store returns, which a single provider with per-span attributes could not give.
 */
export type Part = 'gateway' | 'service' | 'worker' | 'functions';
export const PARTS: readonly Part[] = ['gateway', 'service', 'worker', 'functions'];
export const serviceName = (part: Part) => `pier-${part}`;

export interface TracingOptions {
  /** Where OTEL_* settings are read (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Keep ended spans in memory (the span store). Default true. */
  spanStore?: boolean | { maxTraces?: number; maxSpans?: number };
  /** Extra resource attributes on every part (e.g. deployment.environment.name). */
  resource?: Record<string, string>;
}

interface TracingState {
  providers: Map<Part, TracerProvider>;
  tracers: Map<Part, Tracer>;
  store: SpanStore | undefined;
  processors: SpanProcessor[];
}

let state: TracingState | undefined;

/**
 * The sampler from the standard settings: OTEL_TRACES_SAMPLER (always_on, always_off, traceidratio,
 * parentbased_always_on, parentbased_always_off, parentbased_traceidratio) and OTEL_TRACES_SAMPLER_ARG (the ratio).
 * Unset: parentbased_always_on, every trace locally; in AWS set parentbased_traceidratio with a ratio such as 0.05.
 */
export function samplerFromEnv(env: Readonly<Record<string, string | undefined>>): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase();
  const arg = Number(env.OTEL_TRACES_SAMPLER_ARG);
  const ratio = Number.isFinite(arg) && arg >= 0 && arg <= 1 && env.OTEL_TRACES_SAMPLER_ARG !== undefined ? arg : 1;
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * Starts tracing for this process (once; later calls return at once): W3C Trace Context as the propagator, an
 * AsyncLocalStorage context manager, one provider per part, the span store, and an OTLP/HTTP exporter when
 * OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. OTEL_SDK_DISABLED=true: nothing is
 * started and every instrumentation point stays a no-op. Before this runs, they are no-ops too.
 */
export function initTracing(opts: TracingOptions = {}): void {
  if (state) return;
  const env = opts.env ?? process.env;
  if (String(env.OTEL_SDK_DISABLED).toLowerCase() === 'true') return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const processors: SpanProcessor[] = [];
  const store = opts.spanStore === false ? undefined : new SpanStore(typeof opts.spanStore === 'object' ? opts.spanStore : {});
  if (store) processors.push(store);
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    // The exporter reads the endpoint, headers and timeout from the standard OTEL_EXPORTER_OTLP_* settings itself.
    processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  }
  const sampler = samplerFromEnv(env);
  const providers = new Map<Part, TracerProvider>();
  const tracers = new Map<Part, Tracer>();
  // Processors are shared: each provider gets a wrapper that does not shut the shared ones down.
  const shared: SpanProcessor = {
    onStart: (span, ctx) => processors.forEach((p) => p.onStart(span, ctx)),
    onEnd: (span) => processors.forEach((p) => p.onEnd(span)),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  for (const part of PARTS) {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': serviceName(part), 'service.namespace': 'pier', ...opts.resource }),
      sampler,
      spanProcessors: [shared],
    });
    providers.set(part, provider);
    tracers.set(part, provider.getTracer(`pier.${part}`));
  }
  state = { providers, tracers, store, processors };
}

/** Sends what the exporter still holds (e.g. before a process exits). */
export async function flushTracing(): Promise<void> {
  await Promise.all((state?.processors ?? []).map((p) => p.forceFlush()));
}

/** Flushes and stops the exporter; tracing stays off for the rest of the process. */
export async function shutdownTracing(): Promise<void> {
  const s = state;
  if (!s) return;
  await Promise.all(s.processors.map((p) => p.shutdown()));
}

/** The span store, for the local console (`recentTraces()`, `getTrace(id)`), or undefined while tracing is off. */
export function getSpanStore(): SpanStore | undefined {
  return state?.store;
}

const noop = trace.getTracer('pier.noop');

/** The tracer of a part (a no-op tracer while tracing is off). */
export function tracer(part: Part): Tracer {
  return state?.tracers.get(part) ?? noop;
}

/** Whether tracing is on: instrumentation skips its work (carriers, attributes) when not. */
export const tracingEnabled = (): boolean => state !== undefined;

/** The W3C `traceparent` of the active span, to store or send as a plain value (the outbox row); undefined if none. */
export function currentTraceparent(ctx: Context = context.active()): string | undefined {
  if (!state) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

/** The context a `traceparent` value (a header, a message attribute, an outbox row) describes, over `base`. */
export function contextFromTraceparent(traceparent: string | undefined, base: Context = context.active()): Context {
  if (!state || !traceparent) return base;
  return propagation.extract(base, { traceparent });
}

/** Adds `traceparent` (and `tracestate`) for `ctx` to outgoing headers. */
export function injectHeaders(headers: Record<string, unknown>, ctx: Context = context.active()): void {
  if (state) propagation.inject(ctx, headers);
}

/**
 * Runs `fn` in a new active span of `part`, ended when `fn` settles; an error marks it ERROR and is rethrown.
 * `parent`: the context to start from (default the active one).
 */
export function inSpan<T>(part: Part, name: string, options: SpanOptions, fn: (span: Span) => Promise<T>, parent?: Context): Promise<T> {
  const t = tracer(part);
  const ctx = parent ?? context.active();
  const span = t.startSpan(name, options, ctx);
  return context.with(trace.setSpan(ctx, span), async () => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: 2, message: (err as Error)?.name });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The trace and span ids of the active span, for log lines (pino's mixin in src/log.ts). */
export function activeIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const sc = span.spanContext();
  return { trace_id: sc.traceId, span_id: sc.spanId };
}
