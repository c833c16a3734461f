/**
 * The console's view of the span store (src/telemetry/spanStore.ts), which the runner adapts to this interface:
 * `GET /api/traces` lists recent traces and `GET /api/traces/<traceId>` returns one as OTLP/JSON (`resourceSpans`),
 * which Jaeger or Grafana Tempo load. As everywhere in the console, a trace carries no secret values, passwords or
 * tokens: the spans hold SQL text without values, routes and ids only.
 */
export interface TraceSummary {
  traceId: string;
  /** The root span's name (`POST /orders`...). */
  name: string;
  startedAt: string;
  durationMs: number;
  spans: number;
  error: boolean;
}

export interface TraceSource {
  recent(limit: number): Promise<TraceSummary[]> | TraceSummary[];
  /** One trace as OTLP/JSON; undefined when the store does not hold it (never seen, or evicted by the bound). */
  get(traceId: string): { resourceSpans: unknown[] } | undefined;
}
