import { ENV_DIMENSION, METRIC_NAMESPACE, METRICS, type MetricName } from './names.js';

/**
 * CloudWatch Embedded Metric Format (EMF): metrics written as JSON log lines with an `_aws` block, which CloudWatch
 * Logs turns into metrics with no extra endpoint (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html;
 * lines sent with PutLogEvents, as the awslogs driver and Lambda do, are extracted without a special header:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Generation_PutLogEvents.html).
 * Values are aggregated in memory and written once per flush interval: counts summed, timings as a list of values
 * (EMF allows up to 100 per metric per line), so a busy task writes a few lines a minute and an idle one none.
 */
export interface Metrics {
  /** Adds to a count, or records one value of a timing/gauge. `dims` are the metric's extra dimensions (names.ts). */
  add(name: MetricName, value: number, dims?: Readonly<Record<string, string>>): void;
  /** Writes what has been gathered (nothing when nothing was). */
  flush(): void;
  /** Flushes and stops the timer. */
  close(): void;
}

/** Metrics that go nowhere (local runs, tests). */
export const noMetrics: Metrics = { add() {}, flush() {}, close() {} };

const MAX_VALUES_PER_LINE = 100;

export function createEmfMetrics(opts: { environment: string; write: (line: string) => void; flushMs?: number; now?: () => number }): Metrics {
  const now = opts.now ?? Date.now;
  const pending = new Map<string, { name: MetricName; dims: Record<string, string>; values: number[] }>();

  const flush = () => {
    for (const { name, dims, values } of pending.values()) {
      const def = METRICS[name];
      for (let i = 0; i < values.length; i += MAX_VALUES_PER_LINE) {
        const chunk = values.slice(i, i + MAX_VALUES_PER_LINE);
        const line = {
          _aws: {
            Timestamp: now(),
            CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[ENV_DIMENSION, ...def.dimensions]], Metrics: [{ Name: def.name, Unit: def.unit }] }],
          },
          [ENV_DIMENSION]: opts.environment,
          ...dims,
          [def.name]: chunk.length === 1 ? chunk[0] : chunk,
        };
        opts.write(JSON.stringify(line));
      }
    }
    pending.clear();
  };
  const timer = setInterval(flush, opts.flushMs ?? 60_000);
  timer.unref();

  return {
    add(name, value, dims = {}) {
      const def = METRICS[name];
      const own = Object.fromEntries(def.dimensions.map((d) => [d, dims[d] ?? 'unknown']));
      const key = `${name}\u0000${JSON.stringify(own)}`;
      const entry = pending.get(key) ?? { name, dims: own, values: [] };
      pending.set(key, entry);
      // Counts are summed into one value per flush; everything else keeps each value (percentiles need them).
      if (def.unit === 'Count') entry.values[0] = (entry.values[0] ?? 0) + value;
      else entry.values.push(value);
    },
    flush,
    close() {
      clearInterval(timer);
      flush();
    },
  };
}
