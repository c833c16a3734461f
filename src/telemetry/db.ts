import { SpanKind, trace } from '@opentelemetry/api';
import type { Db, Queryable } from '../db/types.js';
import { inSpan, tracingEnabled, type Part } from './tracing.js';

const ATTRS = { 'db.system.name': 'postgresql' } as const;
/** `INSERT`, `SELECT`, `WITH`...: the span name, as the semantic conventions' `db.operation.name` fallback. */
const operation = (sql: string) => /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';

/**
 * The Db port instrumented (the adapter): a CLIENT span of `part` per statement and per transaction, with the
 * parameterised statement text (never the values). Only inside a trace: a statement with no active span (the
 * relay's idle sweep, migrations) starts no trace of its own, so background polling costs nothing here.
 */
export function traceQueryable(q: Queryable, part: Part): Queryable {
  if (!tracingEnabled()) return q;
  return {
    query(sql, params) {
      if (!trace.getActiveSpan()) return q.query(sql, params);
      return inSpan(part, operation(sql), { kind: SpanKind.CLIENT, attributes: { ...ATTRS, 'db.query.text': sql, 'db.operation.name': operation(sql) } }, () => q.query(sql, params));
    },
    exec(sql) {
      if (!trace.getActiveSpan()) return q.exec(sql);
      return inSpan(part, 'exec', { kind: SpanKind.CLIENT, attributes: ATTRS }, () => q.exec(sql));
    },
  };
}

/** `traceQueryable` for the whole Db: its transactions get a span, their statements one each beneath it. */
export function traceDb(db: Db, part: Part): Db {
  if (!tracingEnabled()) return db;
  return {
    ...traceQueryable(db, part),
    kind: db.kind,
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      if (!trace.getActiveSpan()) return db.transaction(fn);
      return inSpan(part, 'transaction', { kind: SpanKind.CLIENT, attributes: ATTRS }, () => db.transaction((tx) => fn(traceQueryable(tx, part))));
    },
    close: () => db.close(),
  };
}
