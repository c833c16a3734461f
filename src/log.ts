import { trace } from '@opentelemetry/api';
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Config secrets are `Redacted` and print as `[redacted]` on their own; these paths catch
 * the values that arrive from outside (tokens in headers, passwords in bodies) before they reach a log line.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.idToken',
  '*.refreshToken',
  '*.secret',
];

/** An error from PostgreSQL or PGlite: a SQLSTATE `code` and a `severity` (pg's DatabaseError and PGlite's alike). */
interface DatabaseErrorFields {
  code: string;
  severity: string;
  routine?: string;
  table?: string;
  column?: string;
  constraint?: string;
}
const isDatabaseError = (e: unknown): e is Error & DatabaseErrorFields =>
  e instanceof Error && typeof (e as { severity?: unknown }).severity === 'string' && /^[0-9A-Z]{5}$/.test(String((e as { code?: unknown }).code));

/**
 * pino's error serializer, except that a database error anywhere in the cause chain is logged by its SQLSTATE and
 * where it happened, never by its message, detail or stack heading: PostgreSQL quotes the offending value there
 * (`invalid input syntax for type uuid: "..."`, `Token "..." is invalid`), and that value came from a request body.
 */
export function errSerializer(err: unknown): unknown {
  let db: (Error & DatabaseErrorFields) | undefined;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (isDatabaseError(e)) {
      db = e;
      break;
    }
  }
  if (!(err instanceof Error) || !db) return pino.stdSerializers.err(err as Error);
  const outer = err as Error & { code?: unknown };
  const frames = (outer.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  return {
    type: outer.name,
    message: `database error ${db.code}${db.routine ? ` (${db.routine})` : ''}`,
    ...(typeof outer.code === 'string' && outer !== db ? { code: outer.code } : {}),
    sqlState: db.code,
    severity: db.severity,
    ...(db.table ? { table: db.table } : {}),
    ...(db.column ? { column: db.column } : {}),
    ...(db.constraint ? { constraint: db.constraint } : {}),
    stack: frames.join('\n'),
  };
}

/**
 * The active span's ids on every log line (`trace_id`, `span_id`), so a line leads to its trace (docs/observability.md).
 * Reads the OpenTelemetry context only: nothing while no span is active or tracing is off.
 */
export function traceMixin(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export function createLogger(opts: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    ...(opts.name ? { name: opts.name } : {}),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: errSerializer },
    base: undefined,
    mixin: traceMixin,
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
