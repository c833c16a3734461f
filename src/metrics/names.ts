/**
 * The custom metrics Pier emits through CloudWatch's Embedded Metric Format (EMF): one definition, read by the
 * emitters in src/ and by the CDK dashboard (infra/lib/monitoring.ts), so a name or a dimension cannot drift between
 * what is written and what is graphed. CloudWatch matches a metric by namespace, name and the exact set of dimensions:
 * an emitter must write every dimension listed here for its metric, and no other.
 */

/** The CloudWatch namespace of every Pier custom metric. */
export const METRIC_NAMESPACE = 'Pier';

/** Set on every Pier metric: the deployment's PIER_ENV (`dev`, `prod`), so environments sharing an account stay apart. */
export const ENV_DIMENSION = 'Environment';

/** WebhookDeliveries' second dimension: how a delivery ended. */
export const OUTCOME_DIMENSION = 'Outcome';
export const WEBHOOK_OUTCOMES = ['delivered', 'failed', 'refused'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** EMF/CloudWatch units (a subset of CloudWatch's StandardUnit names). */
export type MetricUnit = 'Count' | 'Seconds' | 'Milliseconds';

export interface MetricDef {
  name: string;
  unit: MetricUnit;
  /** Dimensions beyond ENV_DIMENSION, in order. */
  dimensions: readonly string[];
  /** The statistic the dashboard graphs. */
  statistic: 'Sum' | 'Maximum' | 'Average' | 'p99';
  description: string;
}

export const METRICS = {
  OrdersPlaced: { name: 'OrdersPlaced', unit: 'Count', dimensions: [], statistic: 'Sum', description: 'Orders accepted (one per order written with its outbox row)' },
  OutboxLag: {
    name: 'OutboxLag',
    unit: 'Seconds',
    dimensions: [],
    statistic: 'Maximum',
    description: 'Age of the oldest unsent outbox row, in seconds (0 when the outbox is empty)',
  },
  EventsRelayed: { name: 'EventsRelayed', unit: 'Count', dimensions: [], statistic: 'Sum', description: 'Outbox rows sent to the order-events queue' },
  EventsProcessed: { name: 'EventsProcessed', unit: 'Count', dimensions: [], statistic: 'Sum', description: 'Order events the worker handled and deleted' },
  ProcessingTime: { name: 'ProcessingTime', unit: 'Milliseconds', dimensions: [], statistic: 'p99', description: "The worker's time per event, in ms" },
  WebhookDeliveries: {
    name: 'WebhookDeliveries',
    unit: 'Count',
    dimensions: [OUTCOME_DIMENSION],
    statistic: 'Sum',
    description: `Webhook deliveries by ${OUTCOME_DIMENSION} (${WEBHOOK_OUTCOMES.join(' | ')})`,
  },
  DlqArrivals: { name: 'DlqArrivals', unit: 'Count', dimensions: [], statistic: 'Sum', description: 'Order events that went to the dead-letter queue' },
} as const satisfies Record<string, MetricDef>;

export type MetricName = keyof typeof METRICS;
