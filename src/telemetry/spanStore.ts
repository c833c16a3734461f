import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';

/** The default bound: whichever is reached first evicts the oldest trace (by first span ended). */
export const SPAN_STORE_LIMITS = { maxTraces: 2_000, maxSpans: 50_000 } as const;

/** One trace in `recentTraces()`: enough for a list; `getTrace` gives the spans. */
export interface TraceSummary {
  traceId: string;
  /** The root span's name, or the earliest span's when the root has not ended (or came from elsewhere). */
  name: string;
  /** `service.name` of every part with a span in it. */
  services: string[];
  spanCount: number;
  /** ISO time of the earliest span's start. */
  startTime: string;
  durationMs: number;
  /** A span in it ended with status ERROR. */
  error: boolean;
}

/** OTLP/JSON (`ExportTraceServiceRequest`), the shape Jaeger and Tempo load and an OTLP/HTTP collector accepts. */
export interface OtlpTrace {
  resourceSpans: unknown[];
}

const toMs = (t: readonly [number, number]) => t[0] * 1000 + t[1] / 1e6;

/**
 * Ended spans kept in memory, grouped by trace, for the local console and tests. Bounded: at most `maxTraces`
 * traces and `maxSpans` spans (default 2,000 and 50,000, some tens of MB at worst); past either, the trace that
 * began ending spans earliest is dropped whole. A span processor: `onEnd` is one Map lookup and an array push.
 */
export class SpanStore implements SpanProcessor {
  readonly #traces = new Map<string, ReadableSpan[]>();
  #spans = 0;
  readonly maxTraces: number;
  readonly maxSpans: number;

  constructor(limits: { maxTraces?: number; maxSpans?: number } = {}) {
    this.maxTraces = Math.max(1, limits.maxTraces ?? SPAN_STORE_LIMITS.maxTraces);
    this.maxSpans = Math.max(1, limits.maxSpans ?? SPAN_STORE_LIMITS.maxSpans);
  }

  onStart(_span: Span): void {}

  onEnd(span: ReadableSpan): void {
    const id = span.spanContext().traceId;
    let list = this.#traces.get(id);
    if (!list) this.#traces.set(id, (list = []));
    list.push(span);
    this.#spans++;
    while (this.#traces.size > this.maxTraces || this.#spans > this.maxSpans) {
      const [oldest, spans] = this.#traces.entries().next().value as [string, ReadableSpan[]];
      this.#traces.delete(oldest);
      this.#spans -= spans.length;
    }
  }

  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}

  /** How many traces and spans are held. */
  get size(): { traces: number; spans: number } {
    return { traces: this.#traces.size, spans: this.#spans };
  }

  /** The ended spans of one trace, raw (tests, the console). */
  spans(traceId: string): readonly ReadableSpan[] {
    return this.#traces.get(traceId.toLowerCase()) ?? [];
  }

  /** One trace as OTLP/JSON (`{ resourceSpans: [...] }`), or undefined when it is not (or no longer) held. */
  getTrace(traceId: string): OtlpTrace | undefined {
    const spans = this.#traces.get(traceId.toLowerCase());
    if (!spans?.length) return undefined;
    const bytes = JsonTraceSerializer.serializeRequest(spans);
    return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as OtlpTrace) : undefined;
  }

  /** The most recent traces first (by when they began ending spans), at most `limit`. */
  recentTraces(limit = 50): TraceSummary[] {
    const out: TraceSummary[] = [];
    const all = [...this.#traces.entries()];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const [traceId, spans] = all[i]!;
      const ids = new Set(spans.map((s) => s.spanContext().spanId));
      const root = spans.find((s) => !s.parentSpanContext || !ids.has(s.parentSpanContext.spanId)) ?? spans[0]!;
      let start = Infinity;
      let end = 0;
      for (const s of spans) {
        start = Math.min(start, toMs(s.startTime));
        end = Math.max(end, toMs(s.endTime));
      }
      out.push({
        traceId,
        name: root.name,
        services: [...new Set(spans.map((s) => String(s.resource.attributes['service.name'])))],
        spanCount: spans.length,
        startTime: new Date(start).toISOString(),
        durationMs: Math.round((end - start) * 1000) / 1000,
        error: spans.some((s) => s.status.code === 2),
      });
    }
    return out;
  }

  clear(): void {
    this.#traces.clear();
    this.#spans = 0;
  }
}
